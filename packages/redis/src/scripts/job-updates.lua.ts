/** Scripts that change one job outside the hot path: operator state changes, parameters, expiry, logs. */

/** Compare-and-set of one job's state, for operator actions. */
export const JOB_SET_STATE_LUA = `
--[[ job_set_state: compare-and-set of one job's state (delete, requeue, retry, fail)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] job id, [4] expected states (comma-separated), [5] new state,
         [6] reason, [7] history data JSON ('' for none), [8] '1' to reset attempts and rescues,
         [9] error JSON stored with 'failed' ('' stores none)
Checks:  the job exists, is in an expected state, and the move is in TRANSITIONS
Returns: ok (1 or 0), the previous state ('' when the job does not exist), the events payload
Events:  job-state, jobs-enqueued, continuations settled
]]
local job = load(ARGV[3])
if job == nil then return { 0, '', '' } end
local previous = job.state
local expected = {}
for s in string.gmatch(ARGV[4], '[^,]+') do expected[s] = true end
local to = ARGV[5]
if not expected[previous] or not TRANSITIONS[previous][to] then return { 0, previous, '' } end
local variant = 'operator'
if ARGV[8] == '1' then variant = 'operator:reset' end
local values = NO_VALUES
if to == 'failed' then values = { error = ARGV[9] } end
move(job, to, ARGV[6], ARGV[7], nil, variant, values)
flush()
return { 1, previous, publish() }
`;

/** Sets one job parameter. */
export const JOB_PARAMETER_SET_LUA = `
--[[ job_parameter_set: sets one job parameter (stored as its own hash field 'p:<key>', JSON)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] job id, [4] key, [5] value JSON
Returns: 1 when set, 0 when the job does not exist
Keeps:   the key index: an enqueued job whose limit key changes moves to its new key's set, in its
         place in the queue
]]
local field = 'p:' .. ARGV[4]
if field == LIMIT_KEY_FIELD then
  local job = load(ARGV[3])
  if job == nil then return 0 end
  local key = limit_key_of(ARGV[5])
  if job.state == 'enqueued' and key ~= job.lkey then
    local member = job.seq .. job.id
    local score = redis.call('ZSCORE', k_runnable(job.queue, job.name), member) or (job.prio == 0 and '0' or -job.prio)
    if job.lkey ~= '' then unindex_key(job, member) end
    job.lkey = key
    if key ~= '' then index_key(job, member, score) end
  end
  redis.call('HSET', k_job(ARGV[3]), field, ARGV[5])
  flush()
  return 1
end
if redis.call('EXISTS', k_job(ARGV[3])) == 0 then return 0 end
redis.call('HSET', k_job(ARGV[3]), field, ARGV[5])
return 1
`;

/** Sets when a job is removed. */
export const JOB_EXPIRATION_SET_LUA = `
--[[ job_expiration_set: sets a job's retention; a finished job in an expiring state expires ttl from now
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] job id, [4] ttl ms ('' keeps the job forever)
Returns: 1 when set, 0 when the job does not exist
]]
local id = ARGV[3]
local state = redis.call('HGET', k_job(id), 'state')
if not state then return 0 end
if ARGV[4] == '' then
  redis.call('HSET', k_job(id), 'retention', '', 'expires', '')
  redis.call('ZREM', K_EXPIRY, id)
elseif EXPIRES[state] then
  local at = NOW + tonumber(ARGV[4])
  redis.call('HSET', k_job(id), 'retention', ARGV[4], 'expires', at)
  redis.call('ZADD', K_EXPIRY, at, id)
else
  redis.call('HSET', k_job(id), 'retention', ARGV[4], 'expires', '')
  redis.call('ZREM', K_EXPIRY, id)
end
return 1
`;

/** Appends persisted log lines of jobs that exist. */
export const JOB_LOGS_APPEND_LUA = `
--[[ job_logs_append: appends log lines; lines of jobs that do not exist are dropped (expired meanwhile)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, then groups: job id, line count, the lines (JSON)
Returns: the number of lines appended
]]
local i = 3
local appended = 0
while i <= #ARGV do
  local id = ARGV[i]
  local n = tonumber(ARGV[i + 1])
  if redis.call('EXISTS', k_job(id)) == 1 then
    redis.call('RPUSH', k_logs(id), unpack(ARGV, i + 2, i + 1 + n))
    appended = appended + n
  end
  i = i + 2 + n
end
return appended
`;

/** Writes a change of a waiting job that core decided (decideJobChange), guarded on the facts it was decided on. */
export const JOB_CHANGE_LUA = `
--[[ job_change: writes core's decision for a change of a waiting job (due time, priority, queue, arguments)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] job id,
         [4..7] the facts the decision read: state, runAt, prio, queue (as stored; '' for none),
         [8] new runAt ('' keeps), [9] new priority ('' keeps), [10] new queue ('' keeps),
         [11] '1' when the arguments change, [12] the new arguments (JSON), [13] '1' to put an
         enqueued job at the back of its (new) queue, [14] history reason, [15] history data JSON
Checks:  the job exists and its state, runAt, prio and queue are still the ones read: a claim or any
         other write since the read changed them, and the decision no longer holds
Returns: { 1, state, events payload } when written; { 0, '' } for a job that does not exist;
         { 0, state, runAt, prio, queue } with the facts found when they changed (decide again)
Events:  jobs-enqueued (an enqueued job's queue), scheduled (a new due time)
]]
local id = ARGV[3]
local key = k_job(id)
local v = redis.call('HMGET', key, 'state', 'runAt', 'prio', 'queue')
if not v[1] then return { 0, '' } end
local found = { v[1], v[2] or '', v[3] or '0', v[4] or '' }
if found[1] ~= ARGV[4] or found[2] ~= ARGV[5] or found[3] ~= ARGV[6] or found[4] ~= ARGV[7] then
  return { 0, found[1], found[2], found[3], found[4] }
end
local args = nil
if ARGV[11] == '1' then args = ARGV[12] end
local state = write_job_change(id, ARGV[8], ARGV[9], ARGV[10], args, ARGV[13] == '1', ARGV[14], ARGV[15])
flush()
return { 1, state, publish() }
`;
