-- Finish a practice attempt: at the candidate's request, or because its time is over.
-- KEYS[1] {practice:USER}:attempt
-- ARGV[1] now (ms)  ARGV[2] grace (ms)  ARGV[3] "submit" or "due" (only if time is over)
-- Past deadline + grace it ends at its deadline (time_over); a submit before that ends now.
-- Returns "missing", "finished" (already), "open" (not due) or "done".
local state = redis.call('HMGET', KEYS[1], 'status', 'deadline_ms')
if not state[1] then
  return 'missing'
end
if state[1] ~= 'in_progress' then
  return 'finished'
end
if tonumber(ARGV[1]) > tonumber(state[2]) + tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'status', 'finished', 'finish_reason', 'time_over',
             'finished_ms', state[2])
  return 'done'
end
if ARGV[3] == 'due' then
  return 'open'
end
redis.call('HSET', KEYS[1], 'status', 'finished', 'finish_reason', 'submitted',
           'finished_ms', ARGV[1])
return 'done'
