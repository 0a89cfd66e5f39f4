-- (Re)build an attempt's live state from the database's copy, in one step.
-- KEYS[1] {attempt:ID}:state  KEYS[2] {attempt:ID}:answers
-- ARGV[1] status  ARGV[2] deadline (ms)  ARGV[3] expiry (unix ms)
-- ARGV[4] the form's shape: option counts per position, comma-separated ("4,4,5,...")
-- ARGV[5..] alternating position, "seq:choice"
-- The database is the source of truth, so its copy replaces whatever Redis held.
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'deadline_ms', ARGV[2])
local position = 0
for count in string.gmatch(ARGV[4], '[^,]+') do
  position = position + 1
  redis.call('HSET', KEYS[1], 'n:' .. position, count)
end
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
if #ARGV > 4 then
  redis.call('HSET', KEYS[2], unpack(ARGV, 5))
  redis.call('PEXPIREAT', KEYS[2], ARGV[3])
end
return 1
