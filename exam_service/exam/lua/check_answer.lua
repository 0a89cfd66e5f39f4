-- May this answer be saved? Read-only: the answer is recorded after the database commit.
-- KEYS[1] {attempt:ID}:state   KEYS[2] {attempt:ID}:answers
-- ARGV[1] position  ARGV[2] seq  ARGV[3] now (ms)  ARGV[4] grace (ms)
-- ARGV[5] chosen option index (0-based; -1 clears the answer)
-- Returns {verdict, deadline_ms, stored}: verdict is "missing" (rebuild the state from
-- the database), "invalid" (no such position or option in this attempt's form),
-- "finished", "time_over", "stale" (seq not newer than the stored "seq:choice") or "ok".
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', 0, ''}
end
local deadline = tonumber(redis.call('HGET', KEYS[1], 'deadline_ms'))
local option_count = tonumber(redis.call('HGET', KEYS[1], 'n:' .. ARGV[1]))
if not option_count or tonumber(ARGV[5]) >= option_count then
  return {'invalid', deadline, ''}
end
if status ~= 'in_progress' then
  return {'finished', deadline, ''}
end
if tonumber(ARGV[3]) > deadline + tonumber(ARGV[4]) then
  return {'time_over', deadline, ''}
end
local stored = redis.call('HGET', KEYS[2], ARGV[1])
if stored then
  local stored_seq = tonumber(string.sub(stored, 1, string.find(stored, ':', 1, true) - 1))
  if tonumber(ARGV[2]) <= stored_seq then
    return {'stale', deadline, stored}
  end
end
return {'ok', deadline, ''}
