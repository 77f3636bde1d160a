-- Applies one change set to one session hash, atomically. KEYS[1] is the session's hash.
-- ARGV: mode ('create' | 'update'), now (ms), createdAt, absoluteDeadline, maxInactive ('' = unchanged),
--       accessedAt ('' = unchanged), principal ('' = unchanged, '-' = cleared, else '=name'),
--       number of attributes set, then name/value pairs, then number removed, then names.
-- Returns the new version (1 for a session this call created); -1 when the session is gone (never
-- brought back). A create that finds the session there is a second first save of it, racing the
-- other (ids are too random to collide), and merges in as an update.
local key = KEYS[1]
local mode = ARGV[1]
local now = tonumber(ARGV[2])
local exists = redis.call('EXISTS', key) == 1

if exists then
  local meta = redis.call('HMGET', key, '_a', '_i', '_d')
  local a, i, d = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
  if now >= d or (i > 0 and now >= a + i) then
    redis.call('DEL', key)
    exists = false
  end
end

if mode == 'create' and not exists then
  redis.call('HSET', key, '_c', ARGV[3], '_d', ARGV[4], '_i', ARGV[5], '_a', ARGV[6], '_v', '0')
else
  if not exists then return -1 end
  local a = tonumber(redis.call('HGET', key, '_a'))
  if ARGV[5] ~= '' then redis.call('HSET', key, '_i', ARGV[5]) end
  if ARGV[6] ~= '' and tonumber(ARGV[6]) > a then redis.call('HSET', key, '_a', ARGV[6]) end
end

local principal = ARGV[7]
if principal == '-' then
  redis.call('HDEL', key, '_p')
elseif principal ~= '' then
  redis.call('HSET', key, '_p', string.sub(principal, 2))
end

local n = tonumber(ARGV[8])
local at = 9
for _ = 1, n do
  redis.call('HSET', key, 'a:' .. ARGV[at], ARGV[at + 1])
  at = at + 2
end
local removed = tonumber(ARGV[at])
at = at + 1
for _ = 1, removed do
  redis.call('HDEL', key, 'a:' .. ARGV[at])
  at = at + 1
end

-- The key lives exactly as long as the session: idle expiry, capped by the absolute deadline.
local meta = redis.call('HMGET', key, '_a', '_i', '_d')
local a, i, d = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
local expires = d
if i > 0 and a + i < d then expires = a + i end
redis.call('PEXPIRE', key, math.max(1, expires - now))
return redis.call('HINCRBY', key, '_v', 1)
