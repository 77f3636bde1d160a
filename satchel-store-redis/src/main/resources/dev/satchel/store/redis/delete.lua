-- Deletes a session and takes its id out of its owner's index in the same step. KEYS[1] is the
-- session's hash; ARGV: index prefix ('' = the caller keeps the index), id. Returns {1 if a hash
-- was deleted else 0, its principal or false}; the principal is for a caller keeping the index.
local key = KEYS[1]
local principal = false
if redis.call('TYPE', key).ok == 'hash' then principal = redis.call('HGET', key, '_p') end
local deleted = redis.call('DEL', key)
if deleted == 1 and principal and ARGV[1] ~= '' then
  redis.call('SREM', ARGV[1] .. '{' .. principal .. '}', ARGV[2])
  principal = false
end
return {deleted, principal}
