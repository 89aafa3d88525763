/** Scripts of the server's maintenance processes: promotion, rescue, expiry, queue pausing. */

/** Enqueues scheduled jobs that are due. */
export const SCHEDULED_PROMOTE_DUE_LUA = `
--[[ scheduled_promote_due: enqueues due scheduled jobs, earliest first
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] limit
Also:    creates the next part of a committed large creation left unfinished (fpending), if any
Returns: promoted count, the earliest due time left ('' when none), the events payload
Events:  job-state and jobs-enqueued per promoted job
]]
local ids = redis.call('ZRANGEBYSCORE', K_SCHEDULED, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[3]))
local promoted = 0
for _, id in ipairs(ids) do
  local job = load(id)
  if job ~= nil and job.state == 'scheduled' then
    move(job, 'enqueued', TEXT.promotion, nil, nil, 'promotion', NO_VALUES)
    promoted = promoted + 1
  else
    zrem(K_SCHEDULED, id)
  end
end
-- A large batch whose creator stopped after it committed is created on here, one part a call
-- (decision 48): its members then exist, as its commit promised.
local creation = redis.call('SRANDMEMBER', K_FLOW_PENDING)
if creation then create_committed_part(creation) end
flush()
local next_due = redis.call('ZRANGE', K_SCHEDULED, 0, 0, 'WITHSCORES')
return { promoted, next_due[2] or '', publish() }
`;

/** Returns expired leases to the queue, or fails poison pills. */
export const LEASES_RESCUE_EXPIRED_LUA = `
--[[ leases_rescue_expired: processing jobs whose lease expired go back to the queue (one more
rescue), or to failed (ERR_LEASE_EXPIRED) when that would exceed maxRescues
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] limit, [4] max rescues
Returns: { requeued ids }, { failed ids }, the events payload
Events:  job-state per job (servers still running one abort it), jobs-enqueued
]]
local ids = redis.call('ZRANGEBYSCORE', K_LEASES, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[3]))
local max_rescues = tonumber(ARGV[4])
local requeued, failed = {}, {}
for _, id in ipairs(ids) do
  local job = load(id)
  if job ~= nil and job.state == 'processing' then
    local rescues = job.rescues + 1
    local data = '{"serverId":' .. json_str(job.server) .. '}'
    if rescues > max_rescues then
      local n = INT_S[rescues]
      move(job, 'failed', TEXT.poisoned(n), data, nil, 'rescue:poisoned', { error = TEXT.poison_error_json(n) })
      failed[#failed + 1] = id
    else
      local server = job.server
      if server == '' then server = 'unknown' end
      move(job, 'enqueued', TEXT.rescue_returned(server), data, nil, 'rescue', NO_VALUES)
      requeued[#requeued + 1] = id
    end
  else
    zrem(K_LEASES, id)
  end
end
flush()
return { requeued, failed, publish() }
`;

/** Removes finished jobs past their expiry. */
export const JOBS_EXPIRE_LUA = `
--[[ jobs_expire: removes jobs in expiring states whose expiry has passed, with history and logs
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] limit
Returns: the number of jobs removed
]]
local ids = redis.call('ZRANGEBYSCORE', K_EXPIRY, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[3]))
local deleted = 0
-- Names whose last job may have gone: checked once the removals are written.
local emptied = {}
for _, id in ipairs(ids) do
  local v = redis.call('HMGET', k_job(id), 'state', 'queue', 'name', 'recurring', 'occ', 'batch')
  zrem(K_EXPIRY, id)
  if v[1] and EXPIRES[v[1]] then
    -- The occurrence this job held is free again only when the job is gone.
    if v[5] and v[4] then redis.call('HDEL', P .. 'rcocc:' .. v[4], v[5]) end
    redis.call('UNLINK', k_job(id), k_logs(id), k_children(id))
    zrem(k_state(v[1]), id)
    zrem(k_by_queue(v[2]), id)
    zrem(k_by_name(v[3]), id)
    -- A batch keeps its counters; its list of jobs loses the one that is gone.
    if v[6] then zrem(P .. 'bj:' .. v[6], id) end
    emptied[v[3]] = true
    for _, member in ipairs(redis.call('ZRANGEBYLEX', K_ALL, '[' .. id .. '\\t', '(' .. id .. '\\t2')) do zrem(K_ALL, member) end
    count(v[1], -1)
    deleted = deleted + 1
  end
end
flush()
for name in pairs(emptied) do
  if redis.call('EXISTS', k_by_name(name)) == 0 then redis.call('SREM', K_NAMES, name) end
end
return deleted
`;

/** Pauses or resumes a queue. */
export const QUEUE_PAUSE_SET_LUA = `
--[[ queue_pause_set: pauses (fetches skip it) or resumes a queue
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] queue, [4] '1' to pause, '0' to resume
Returns: the events payload
Events:  jobs-enqueued for a resumed queue
]]
if ARGV[4] == '1' then
  redis.call('SADD', K_PAUSED, ARGV[3])
  return ''
end
redis.call('SREM', K_PAUSED, ARGV[3])
ev_enqueued(ARGV[3])
return publish()
`;
