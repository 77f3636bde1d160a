-- Applies one change set to one session hash, atomically. KEYS[1] is the session's hash.
-- ARGV: mode ('create' | 'update'), now (ms), createdAt, absoluteDeadline, maxInactive ('' = unchanged),
--       accessedAt ('' = unchanged), principal ('' = unchanged, '-' = cleared, else '=name'),
--       number of attributes set, then name/value pairs, then number removed, then names.
-- Returns the new version (1 for a session this call created); -1 when the session is gone (never
-- brought back). A create that finds the session there is a second first save of it, racing the
-- other (ids are too random to collide), and merges in as an update.
-- One read (HMGET) and one write per kind (HSET, HDEL), so a save costs the server little.
local key = KEYS[1]
local mode = ARGV[1]
local now = tonumber(ARGV[2])
local meta = redis.call('HMGET', key, '_a', '_i', '_d')
local a, i, d = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
local exists = a ~= nil and i ~= nil and d ~= nil

if exists and (now >= d or (i > 0 and now >= a + i)) then
  redis.call('DEL', key)
  exists = false
end

local fields = {}
if mode == 'create' and not exists then
  a, i, d = tonumber(ARGV[6]), tonumber(ARGV[5]), tonumber(ARGV[4])
  fields = {'_c', ARGV[3], '_d', ARGV[4], '_i', ARGV[5], '_a', ARGV[6], '_v', '0'}
else
  if not exists then return -1 end
  if ARGV[5] ~= '' then
    i = tonumber(ARGV[5])
    fields[#fields + 1] = '_i'
    fields[#fields + 1] = ARGV[5]
  end
  if ARGV[6] ~= '' and tonumber(ARGV[6]) > a then
    a = tonumber(ARGV[6])
    fields[#fields + 1] = '_a'
    fields[#fields + 1] = ARGV[6]
  end
end

local principal = ARGV[7]
if principal ~= '' and principal ~= '-' then
  fields[#fields + 1] = '_p'
  fields[#fields + 1] = string.sub(principal, 2)
end

local n = tonumber(ARGV[8])
local at = 9
for _ = 1, n do
  fields[#fields + 1] = 'a:' .. ARGV[at]
  fields[#fields + 1] = ARGV[at + 1]
  at = at + 2
end

-- HSET in slices: unpack has a stack limit, and a session may carry many attributes.
for first = 1, #fields, 200 do
  redis.call('HSET', key, unpack(fields, first, math.min(first + 199, #fields)))
end

local gone = {}
if principal == '-' then gone[#gone + 1] = '_p' end
local removed = tonumber(ARGV[at])
at = at + 1
for _ = 1, removed do
  gone[#gone + 1] = 'a:' .. ARGV[at]
  at = at + 1
end
for first = 1, #gone, 200 do
  redis.call('HDEL', key, unpack(gone, first, math.min(first + 199, #gone)))
end

-- The key lives exactly as long as the session: idle expiry, capped by the absolute deadline.
local expires = d
if i > 0 and a + i < d then expires = a + i end
redis.call('PEXPIRE', key, math.max(1, expires - now))
return redis.call('HINCRBY', key, '_v', 1)
