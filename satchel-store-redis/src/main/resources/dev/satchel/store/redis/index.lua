-- Lists a session under its owner, on Redis Cluster, where the save script cannot reach the index
-- (another slot). KEYS[1] is the owner's set; ARGV: id, the session's remaining lifetime (ms). The
-- set lives at least as long as every session in it, so no live session goes unlisted.
local set = KEYS[1]
local life = tonumber(ARGV[2])
if life == nil then return redis.error_reply('ERR satchel index refused: bad lifetime') end
redis.call('SADD', set, ARGV[1])
if redis.call('PTTL', set) < life then redis.call('PEXPIRE', set, math.max(1, life)) end
return 1
