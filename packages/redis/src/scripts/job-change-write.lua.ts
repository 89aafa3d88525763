/**
 * The write of a change of a waiting job that core decided (`decideJobChange`), as a function of
 * the shared Lua library: the `job_change` script and a create that replaces a duplicate's holder
 * (`jobs_create_replacing`) both write it, each after its own guard. Spliced into the library.
 */
export const JOB_CHANGE_WRITE_LUA = `
--[[
Writes a decided change of waiting job id (the caller has checked that the facts it was decided on
still hold): run_at, prio, queue ('' keeps each), args (nil keeps them), back (true: an enqueued job
goes to the back of its queue), and the history entry's reason and data. Returns the job's state.
]]
local function write_job_change(id, run_at, prio, queue, args, back, reason, data)
  local key = k_job(id)
  local job = load(id)
  local f = { 'updated', NOW_S }
  if back then unindex_enqueued(job) end
  if run_at ~= '' then
    f[#f + 1] = 'runAt'; f[#f + 1] = run_at
    zset(K_SCHEDULED, id, run_at)
    ev_scheduled(tonumber(run_at))
  end
  if prio ~= '' then
    f[#f + 1] = 'prio'; f[#f + 1] = prio
    job.prio = tonumber(prio)
  end
  if queue ~= '' then
    f[#f + 1] = 'queue'; f[#f + 1] = queue
    zrem(k_by_queue(job.queue), id)
    zset(k_by_queue(queue), id, '0')
    job.queue = queue
  end
  if args ~= nil then
    -- The list of all jobs is searched by name and arguments: its member follows the new arguments.
    local old = redis.call('HGET', key, 'args') or ''
    zrem(K_ALL, all_member(id, job.name, old))
    zset(K_ALL, all_member(id, job.name, args), '0')
    f[#f + 1] = 'args'; f[#f + 1] = args
  end
  if back then index_enqueued(job, f) end
  job.hn = job.hn + 1
  local hn = INT_S[job.hn]
  f[#f + 1] = 'h' .. hn; f[#f + 1] = history_entry(job.state, reason, data, nil)
  f[#f + 1] = 'hn'; f[#f + 1] = hn
  redis.call('HSET', key, unpack(f))
  return job.state
end
`;
