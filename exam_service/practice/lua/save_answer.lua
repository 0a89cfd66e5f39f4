-- Save one practice answer: the deadline, the form's shape and the seq in one step.
-- KEYS[1] {practice:USER}:attempt   KEYS[2] {practice:USER}:answers
-- ARGV[1] position  ARGV[2] seq  ARGV[3] choice ("" clears)  ARGV[4] option index (-1 clears)
-- ARGV[5] now (ms)  ARGV[6] grace (ms)
-- Returns {verdict, deadline_ms, stored}: verdict is "missing" (no practice under way),
-- "finished", "time_over", "invalid" (no such position or option), "stale" (seq not newer
-- than the stored "seq:choice", which is returned) or "ok" (saved).
local state = redis.call('HMGET', KEYS[1], 'status', 'deadline_ms', 'shape')
if not state[1] then
  return {'missing', 0, ''}
end
local deadline = tonumber(state[2])
if state[1] ~= 'in_progress' then
  return {'finished', deadline, ''}
end
if tonumber(ARGV[5]) > deadline + tonumber(ARGV[6]) then
  return {'time_over', deadline, ''}
end
local counts = {}
for n in string.gmatch(state[3], '%d+') do
  counts[#counts + 1] = tonumber(n)
end
local position = tonumber(ARGV[1])
local option_count = counts[position]
if not option_count or tonumber(ARGV[4]) >= option_count then
  return {'invalid', deadline, ''}
end
local stored = redis.call('HGET', KEYS[2], ARGV[1])
if stored then
  local stored_seq = tonumber(string.sub(stored, 1, string.find(stored, ':', 1, true) - 1))
  if tonumber(ARGV[2]) <= stored_seq then
    return {'stale', deadline, stored}
  end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return {'ok', deadline, ''}
