-- Start a practice attempt, or resume the one under way.
-- KEYS[1] {practice:USER}:attempt   KEYS[2] {practice:USER}:answers
-- ARGV[1] "resume" (keep an attempt still open for answers) or "restart" (always new)
-- ARGV[2] now (ms)  ARGV[3] grace (ms)  ARGV[4] lifetime of the keys (ms)
-- ARGV[5] the new attempt's id  ARGV[6] its deadline (ms)  ARGV[7] option counts ("4,4,5")
-- ARGV[8] its items (JSON)
-- Returns the id of the attempt now under way. Safe to repeat (same arguments, same id).
if ARGV[1] == 'resume' then
  local state = redis.call('HMGET', KEYS[1], 'id', 'status', 'deadline_ms')
  if state[1] and state[2] == 'in_progress'
     and tonumber(ARGV[2]) <= tonumber(state[3]) + tonumber(ARGV[3]) then
    return state[1]
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'id', ARGV[5], 'status', 'in_progress', 'started_ms', ARGV[2],
           'deadline_ms', ARGV[6], 'shape', ARGV[7], 'items', ARGV[8])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return ARGV[5]
