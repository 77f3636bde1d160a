-- Takes a live session out of its hash for an id change on Redis Cluster, where the old and the
-- new key sit in different slots and no one script can reach both. KEYS[1] is the session's hash;
-- ARGV[1] is now (ms). Returns the hash's fields and values and deletes it, in one step, so of
-- two renames, or a rename and a logout, only one gets the session; a save that comes later finds
-- it gone. Returns an empty list, writing nothing but the removal of an expired hash, when the
-- session is not live.
local key = KEYS[1]
local now = tonumber(ARGV[1])
if now == nil then return redis.error_reply('ERR satchel take refused: bad now') end
local meta = redis.call('HMGET', key, '_a', '_i', '_d')
local a, i, d = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
if a == nil or i == nil or d == nil or now >= d or (i > 0 and now >= a + i) then
  redis.call('DEL', key)
  return {}
end
local all = redis.call('HGETALL', key)
redis.call('DEL', key)
return all
