/**
 * Scripts of the job hot path: create, fetch, claim, complete. Each runs after the shared library
 * (`lib.lua.ts`) and starts with a header: keys, arguments, preconditions, results, errors, events.
 */

/** Creates jobs in one commit. */
export const JOBS_CREATE_LUA = `
--[[ jobs_create: creates jobs in one commit
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] the jobs as JSON (see read_jobs), [4] JSON of the enqueued
         jobs per queue that later parts of the same call add ('{}' for none)
Checks:  every parent exists or is in the batch; an active holder of a unique key wins over a new
         job; a bounded queue (maxSize in force in its limits) has room for the enqueued jobs the
         batch creates and the later parts add: its enqueued jobs (ZCARD qa:<queue>) plus those
         never exceed the bound (core's checkQueueRoom)
Returns: id, created ('1' or '0'), state per job (the holder's id and state when not created), then
         the events payload
Errors:  SPOOL_JOB_NOT_FOUND <parent id>, SPOOL_QUEUE_FULL <size> <bound> <adding> <queue> (nothing written)
Events:  jobs-enqueued, jobs-scheduled
]]
local jobs = read_jobs(ARGV[3])
local full = check_room(jobs, cjson.decode(ARGV[4]))
if full then return full end
local results, err = create_jobs(jobs)
if err then return err end
flush()
results[#results + 1] = publish()
return results
`;

/** Moves up to `limit` enqueued jobs to processing under new leases. */
export const JOBS_FETCH_LUA = `
--[[ jobs_fetch: leases up to limit enqueued jobs, queue by queue in the given order
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] server id, [4] lease ms, [5] limit, [6] lease token base,
         [7] number of job names (-1: any name), then the names, then the queues in priority order
Checks:  paused queues are skipped; within a queue higher priority first, then enqueue order; a
         queue where flow control may apply (limits that gate a claim stored for the queue, not a
         bound alone, or limits for a job name among its runnable jobs) is not claimed here: the
         script stops before it
Returns: now, the position (1-based, among the queues given) of the queue it stopped before for flow
         control (0 when it did not stop), then per job its id, its lease token and its hash before
         the lease (as lease() returns it)
Events:  none (a server must not mistake its own fetch for someone else's change)
]]
local server = ARGV[3]
local lease_ms = tonumber(ARGV[4])
local limit = tonumber(ARGV[5])
local base = ARGV[6]
local nn = tonumber(ARGV[7])
local i = 8
local wanted = nil
if nn >= 0 then
  wanted = {}
  for _ = 1, nn do
    wanted[ARGV[i]] = true
    i = i + 1
  end
end
SILENT = true
-- One EXISTS while no limits are stored: the claim of unlimited jobs pays nothing more.
local limits_stored = redis.call('EXISTS', K_LIMITS) == 1
local out = { NOW, 0 }
local taken = 0
for q = i, #ARGV do
  if taken >= limit then break end
  local queue = ARGV[q]
  if redis.call('SISMEMBER', K_PAUSED, queue) == 0 then
    local names = redis.call('SMEMBERS', k_queue_names(queue))
    local candidates = {}
    for _, name in ipairs(names) do
      if wanted == nil or wanted[name] then candidates[#candidates + 1] = name end
    end
    if limits_stored and #candidates > 0 then
      local limited = queue_gated(queue)
      for _, name in ipairs(candidates) do
        if limited then break end
        limited = redis.call('HEXISTS', K_LIMITS, 'job:' .. name) == 1
      end
      if limited then
        out[2] = q - i + 1
        break
      end
    end
    local want = limit - taken
    local picked = {}
    if #candidates == 1 then
      for _, member in ipairs(redis.call('ZRANGE', k_runnable(queue, candidates[1]), 0, want - 1)) do
        picked[#picked + 1] = { candidates[1], member }
      end
    elseif #candidates > 1 then
      -- Several names share the queue: merge their heads by (priority, enqueue order).
      local heads = {}
      for _, name in ipairs(candidates) do
        local r = redis.call('ZRANGE', k_runnable(queue, name), 0, want - 1, 'WITHSCORES')
        for k = 1, #r, 2 do heads[#heads + 1] = { name, r[k], tonumber(r[k + 1]) } end
      end
      table.sort(heads, function(a, b)
        if a[3] ~= b[3] then return a[3] < b[3] end
        return a[2] < b[2]
      end)
      for k = 1, math.min(want, #heads) do picked[#picked + 1] = heads[k] end
    end
    for _, p in ipairs(picked) do
      local member = p[2]
      local job = { id = string.sub(member, 13), queue = queue, name = p[1], seq = string.sub(member, 1, 12) }
      taken = taken + 1
      local token = base .. INT_S[taken]
      out[#out + 1] = job.id
      out[#out + 1] = token
      out[#out + 1] = lease(job, token, server, lease_ms)
    end
  end
end
flush()
return out
`;

/** Claims one job by id, through enqueued when it is not enqueued. */
export const JOB_CLAIM_LUA = `
--[[ job_claim: leases one job by id (for perform)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] job id, [4] expected states (comma-separated), [5] server id,
         [6] lease ms, [7] lease token
Checks:  the job exists, is in an expected state and is not processing
Returns: now, then (when claimed) the lease token and the job's hash before the lease (as lease() returns it)
Events:  none
]]
SILENT = true
local job = load(ARGV[3])
if job == nil then return { NOW } end
local expected = {}
for s in string.gmatch(ARGV[4], '[^,]+') do expected[s] = true end
if not expected[job.state] or job.state == 'processing' then return { NOW } end
if job.state ~= 'enqueued' then
  if not TRANSITIONS[job.state]['enqueued'] then return { NOW } end
  move(job, 'enqueued', TEXT.claim_now, nil, nil, 'operator', NO_VALUES)
end
local raw = lease(job, ARGV[7], ARGV[5], tonumber(ARGV[6]))
flush()
return { NOW, ARGV[7], raw }
`;

/** Records the outcomes of processing jobs, each guarded by its lease token. */
export const JOBS_COMPLETE_LUA = `
--[[ jobs_complete: records the outcomes of many processing jobs
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] server id, [4] the completions as JSON, one array of strings
         each: id, lease token, new state, reason, the cause's variant (a key of SHAPES), value
         (result JSON for succeeded, error JSON for failed and scheduled, for a rate-limited
         snooze the gates it may pause as JSON), run at (scheduled), history data JSON ('' for none)
Checks:  each job is processing under that lease token; others are left alone and reported '0',
         except a repeat of the completion that was the job's last change: '1', nothing written
Returns: '1' or '0' per completion, then the events payload
Events:  job-state per completion, jobs-enqueued and jobs-scheduled, continuations released
]]
local server = ARGV[3]
local out = {}
for _, c in ipairs(cjson.decode(ARGV[4])) do
  local id, token, to = c[1], c[2], c[3]
  local job
  if to == 'succeeded' or to == 'failed' then job = load_finish(id) else job = load(id) end
  if job ~= nil and job.state == 'processing' and job.token == token then
    local value = c[6]
    local values = NO_VALUES
    if to == 'succeeded' then
      values = { result = value }
    elseif to == 'failed' then
      values = { error = value }
    elseif to == 'scheduled' and c[5] == 'snooze' then
      values = { pause = value, runAt = tonumber(c[7]) }
    elseif to == 'scheduled' then
      values = { error = value, runAt = tonumber(c[7]) }
    end
    move(job, to, c[4], c[8], server, c[5], values)
    out[#out + 1] = '1'
  elseif job ~= nil and job.state == to and job.token == token then
    out[#out + 1] = '1'
  else
    out[#out + 1] = '0'
  end
end
flush()
out[#out + 1] = publish()
return out
`;

/** Extends the leases of running jobs. */
export const JOB_LEASE_EXTEND_LUA = `
--[[ job_lease_extend: extends the leases of many running jobs from now
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] lease ms, then pairs of job id and lease token
Checks:  each job is processing under that token
Returns: the ids whose lease is gone
Events:  none
]]
local expires = NOW + tonumber(ARGV[3])
local lost = {}
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  local v = redis.call('HMGET', k_job(id), 'state', 'token')
  if v[1] == 'processing' and v[2] == ARGV[i + 1] then
    redis.call('HSET', k_job(id), 'leaseExp', expires)
    zset(K_LEASES, id, expires)
  else
    lost[#lost + 1] = id
  end
end
flush()
return lost
`;

/** Sets the progress of a running job under its lease. */
export const JOB_PROGRESS_SET_LUA = `
--[[ job_progress_set: sets a running job's progress
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] job id, [4] lease token, [5] progress
Checks:  the job is processing under that token
Returns: 1 when set, 0 otherwise
]]
local v = redis.call('HMGET', k_job(ARGV[3]), 'state', 'token')
if v[1] ~= 'processing' or v[2] ~= ARGV[4] then return 0 end
redis.call('HSET', k_job(ARGV[3]), 'progress', ARGV[5], 'updated', NOW)
return 1
`;
