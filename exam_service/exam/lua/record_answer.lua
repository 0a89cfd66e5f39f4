-- Record a committed answer as "seq:choice", unless a newer one is recorded already.
-- KEYS[1] {attempt:ID}:answers   ARGV[1] position  ARGV[2] seq  ARGV[3] choice ("" = cleared)
-- ARGV[4] expiry (unix ms)
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored then
  local stored_seq = tonumber(string.sub(stored, 1, string.find(stored, ':', 1, true) - 1))
  if tonumber(ARGV[2]) <= stored_seq then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
