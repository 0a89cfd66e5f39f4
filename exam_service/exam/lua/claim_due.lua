-- Claim attempts whose deadline (plus grace) has passed, for one finishing worker.
-- KEYS[1] exam:deadlines (sorted set: attempt id -> due time in ms)
-- ARGV[1] now (ms)  ARGV[2] lease (ms)  ARGV[3] batch size
-- A claimed attempt is pushed to now + lease: if its worker dies before removing it,
-- another worker claims it again after the lease; the database's conditional update
-- makes sure it is graded once.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local until_ms = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], until_ms, member)
end
return due
