/** The create that replaces duplicates' holders (decision 41), guarded on the facts core decided on (decision 44's pattern). */
export const JOBS_CREATE_REPLACING_LUA = `
--[[ jobs_create_replacing: creates jobs in one commit, writing first what core decided for the
     holders of the unique keys that jobs with onDuplicate 'replace' bring
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] the jobs as JSON (see read_jobs), [4] JSON of the enqueued
         jobs per queue that later parts of the same call add ('{}' for none), [5] the decided
         duplicates as JSON, one array of strings each: unique key, the holder read ('' for none),
         its state, runAt, prio and queue as read, the action ('keep', 'replace', 'take-over'), then
         for a replace the change's new runAt, priority, queue ('' keeps each), '1' when the
         arguments change, the new arguments, '1' to put the holder at the back of its queue,
         history reason and history data JSON
Checks:  every key still has the holder read, in the state, runAt, prio and queue read: a claim, a
         change or another create since the read changed them, and the decisions no longer hold;
         then as jobs_create (parents, bounded queues, counting a taken-over key as free)
Returns: { 'stale' } when a decision no longer holds (nothing written: read and decide again), else
         as jobs_create: id, created, state per job, then the events payload
Errors:  SPOOL_JOB_NOT_FOUND <parent id>, SPOOL_QUEUE_FULL <size> <bound> <adding> <queue> (nothing written)
Events:  jobs-enqueued, jobs-scheduled
]]
local jobs = read_jobs(ARGV[3])
local duplicates = cjson.decode(ARGV[5])
local freed = {}
for _, d in ipairs(duplicates) do
  local holder = redis.call('HGET', K_UNIQUE, d[1]) or ''
  if holder ~= d[2] then return { 'stale' } end
  if holder ~= '' then
    local v = redis.call('HMGET', k_job(holder), 'state', 'runAt', 'prio', 'queue')
    if (v[1] or '') ~= d[3] or (v[2] or '') ~= d[4] or (v[3] or '0') ~= d[5] or (v[4] or '') ~= d[6] then return { 'stale' } end
  end
  if d[7] == 'take-over' then freed[d[1]] = true end
end
local full = check_room(jobs, cjson.decode(ARGV[4]), freed)
if full then return full end
-- The parents are checked before the holders are written: create_jobs checks them again, with nothing written yet.
local in_batch = {}
for _, job in ipairs(jobs) do in_batch[job.id] = true end
for _, job in ipairs(jobs) do
  if job.parent ~= '' and not in_batch[job.parent] and redis.call('EXISTS', k_job(job.parent)) == 0 then
    return fail('JOB_NOT_FOUND', job.parent)
  end
end
for _, d in ipairs(duplicates) do
  if d[7] == 'replace' then
    local args = nil
    if d[11] == '1' then args = d[12] end
    write_job_change(d[2], d[8], d[9], d[10], args, d[13] == '1', d[14], d[15])
  elseif d[7] == 'take-over' then
    -- The running holder gives its key up: the job created below holds it, and the holder's
    -- outcome leaves it alone (its own ukey is empty now).
    redis.call('HSET', k_job(d[2]), 'ukey', '')
    redis.call('HDEL', K_UNIQUE, d[1])
  end
end
local results, err = create_jobs(jobs)
if err then return err end
flush()
results[#results + 1] = publish()
return results
`;
