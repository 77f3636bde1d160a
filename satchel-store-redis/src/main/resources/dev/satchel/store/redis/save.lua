-- Applies one change set to one session hash, atomically. KEYS[1] is the session's hash; in
-- 'rename' mode KEYS[2] is the hash under the old id, moved to KEYS[1] by RENAME first.
-- ARGV: mode ('create' | 'update' | 'rename'), now (ms), createdAt, absoluteDeadline,
--       maxInactive ('' = unchanged), accessedAt ('' = unchanged), principal ('' = unchanged,
--       '-' = cleared, else '=name'), index prefix ('' = the caller keeps the principal index),
--       id, previous id ('' unless renaming), number of attributes set, then name/value pairs,
--       then number removed, then names, then number of expectations, then for each: name, '1'
--       and the bytes the attribute must hold, or '0' and '' for an attribute that must be absent.
-- Returns {version, principal to unindex or false, absolute deadline}: version 1 for a session
-- this call created, -1 when the session is gone (never brought back), -2 when an expectation
-- did not hold (nothing written: an atomic update retries on the newer value). The second element is for
-- a caller that keeps the index itself (Redis Cluster, where the index is in another slot).
-- A create that finds the session there is a second first save of it, racing the other (ids are
-- too random to collide), and merges in as an update.
local key = KEYS[1]
local mode = ARGV[1]
local now, created, deadline = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local idle, accessed = tonumber(ARGV[5]), tonumber(ARGV[6])
local principal = ARGV[7]
local index, id, previous = ARGV[8], ARGV[9], ARGV[10]
local n = tonumber(ARGV[11])

-- Every check comes before the first write: a refused save leaves the session as it was.
local function refuse(why)
  return redis.error_reply('ERR satchel save refused: ' .. why)
end
if mode ~= 'create' and mode ~= 'update' and mode ~= 'rename' then return refuse('unknown mode') end
if now == nil or created == nil or deadline == nil or n == nil then return refuse('bad numbers') end
if (ARGV[5] ~= '' and idle == nil) or (ARGV[6] ~= '' and accessed == nil) then
  return refuse('bad idle timeout or access time')
end
if mode == 'create' and (idle == nil or accessed == nil) then
  return refuse('a new session needs its idle timeout and access time')
end
if principal ~= '' and principal ~= '-' and string.sub(principal, 1, 1) ~= '=' then
  return refuse('bad principal')
end
if mode == 'rename' and (#KEYS ~= 2 or previous == '') then return refuse('a rename needs the old key') end
local removed = tonumber(ARGV[12 + 2 * n])
if removed == nil then return refuse('bad attribute counts') end
local expected = tonumber(ARGV[13 + 2 * n + removed])
if expected == nil or #ARGV ~= 13 + 2 * n + removed + 3 * expected then return refuse('bad attribute counts') end
if expected > 0 and mode ~= 'update' then return refuse('expectations apply to an update only') end

local source = mode == 'rename' and KEYS[2] or key
local meta = redis.call('HMGET', source, '_a', '_i', '_d', '_p')
local a, i, d = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
local before = meta[4]
local exists = a ~= nil and i ~= nil and d ~= nil

local function indexKey(name)
  return index .. '{' .. name .. '}'
end

if exists and (now >= d or (i > 0 and now >= a + i)) then
  redis.call('DEL', source)
  if before and index ~= '' then redis.call('SREM', indexKey(before), mode == 'rename' and previous or id) end
  exists = false
end

if mode == 'rename' then
  -- The old id dies in the same step as the new one is born: concurrent renames, and saves or a
  -- logout under the old id, come either wholly before this or find the old id gone.
  if not exists then return {-1, false, 0} end
  if redis.call('EXISTS', key) == 1 then return refuse('the new id is taken') end
  redis.call('RENAME', source, key)
end

-- An atomic update: every expected attribute must hold what the caller read, or nothing is written.
if exists and expected > 0 then
  local at = 14 + 2 * n + removed
  for _ = 1, expected do
    local held = redis.call('HGET', key, 'a:' .. ARGV[at])
    local matches
    if ARGV[at + 1] == '1' then matches = held == ARGV[at + 2] else matches = held == false end
    if not matches then return {-2, false, 0} end
    at = at + 3
  end
end

local fields = {}
if mode == 'create' and not exists then
  a, i, d = accessed, idle, deadline
  before = false
  fields = {'_c', ARGV[3], '_d', ARGV[4], '_i', ARGV[5], '_a', ARGV[6], '_v', '0'}
else
  if not exists then return {-1, false, 0} end
  if idle ~= nil then
    i = idle
    fields[#fields + 1] = '_i'
    fields[#fields + 1] = ARGV[5]
  end
  if accessed ~= nil and accessed > a then
    a = accessed
    fields[#fields + 1] = '_a'
    fields[#fields + 1] = ARGV[6]
  end
end

local after = before
if principal == '-' then
  after = false
elseif principal ~= '' then
  after = string.sub(principal, 2)
  fields[#fields + 1] = '_p'
  fields[#fields + 1] = after
end

local at = 12
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

-- The principal index: the id leaves its old owner's set and joins its new owner's, which lives
-- at least as long as this session can (its absolute deadline), so no live session is unlisted.
local moved = mode == 'rename' or before ~= after
local unindex = false
if before and moved then unindex = before end
if index ~= '' then
  if unindex then redis.call('SREM', indexKey(unindex), mode == 'rename' and previous or id) end
  unindex = false
  if after and (moved or principal ~= '') then
    local set = indexKey(after)
    redis.call('SADD', set, id)
    if redis.call('PTTL', set) < d - now then redis.call('PEXPIRE', set, math.max(1, d - now)) end
  end
end
return {redis.call('HINCRBY', key, '_v', 1), unindex, d}
