/**
 * Scripts of batches and flows (decision 46): the creation in one commit, and the reads of batches
 * and their jobs. The settling that members' and parents' changes start is in `flows-lib.lua.ts`.
 */

/** Creates batches, jobs and their dependencies in one commit. */
export const FLOWS_CREATE_LUA = `
--[[ flows_create: creates batches, jobs and dependencies, all or nothing
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] the jobs as JSON (see read_jobs), [4] the new batches as JSON
         (per batch: id, '1' when it has a description, the description, parent batch id or '', the
         members it gains), [5] the existing batches that gain members (id, how many), [6] the
         dependencies (child id, parent id, policy), [7] each job's flow columns, in the order of
         the jobs (flow bits, batch id or '', pending dependencies), [8] the id of a creation
         whose later parts are staged ('' for none), [9] how many parts are staged, [10] JSON of
         the enqueued jobs per queue that the staged parts add ('{}' for none)
Checks:  every existing batch exists and has not finished; every staged part is still there; the
         bounded queues have room for the whole creation (check_room);
         a continuation's parent exists (create_jobs). The storage kit's planFlowCreation has
         checked that every edge is within the creation, before the call
Writes:  the batches, the totals, every edge and the jobs given; a staged creation is committed
         (fs:<creation> becomes fc:<creation>, named in fpending) for flows_create_part to create
Returns: id, created ('1' or '0'), state per job given, then the events payload
Errors:  SPOOL_BATCH_NOT_FOUND <id>, SPOOL_BATCH_FINISHED <id>, SPOOL_FLOW_STAGING_LOST <creation>,
         SPOOL_QUEUE_FULL ..., SPOOL_JOB_NOT_FOUND <parent id> (nothing written)
Events:  jobs-enqueued, jobs-scheduled
]]
local jobs = read_jobs(ARGV[3])
local batches = cjson.decode(ARGV[4])
local existing = cjson.decode(ARGV[5])
local dependencies = cjson.decode(ARGV[6])
local columns = cjson.decode(ARGV[7])
for _, e in ipairs(existing) do
  local v = redis.call('HMGET', k_batch(e[1]), 'created', 'finishedAt')
  if not v[1] then return fail('BATCH_NOT_FOUND', e[1]) end
  if v[2] and v[2] ~= '' then return fail('BATCH_FINISHED', e[1]) end
end
local full = check_room(jobs, cjson.decode(ARGV[10]))
if full then return full end
local creation = ARGV[8]
local staged_parts = tonumber(ARGV[9])
if creation ~= '' and redis.call('LLEN', k_flow_staged(creation)) ~= staged_parts * 2 then
  return fail('FLOW_STAGING_LOST', creation)
end
-- create_jobs checks the continuations' parents before it writes: nothing is written before it.
local results, err = create_flow_jobs(jobs, columns)
if err then return err end
for _, b in ipairs(batches) do
  local f = { 'total', b[5], 'finished', '0', 'succeeded', '0', 'failed', '0', 'created', NOW_S }
  if b[2] == '1' then f[#f + 1] = 'desc'; f[#f + 1] = b[3] end
  if b[4] ~= '' then
    f[#f + 1] = 'parent'; f[#f + 1] = b[4]
    sadd(k_batch_children(b[4]), b[1])
  end
  redis.call('HSET', k_batch(b[1]), unpack(f))
  zset(K_BATCHES, b[1], '0')
end
for _, e in ipairs(existing) do redis.call('HINCRBY', k_batch(e[1]), 'total', e[2]) end
for _, d in ipairs(dependencies) do redis.call('HSET', k_deps(d[2]), d[1], d[3]) end
if creation ~= '' and staged_parts > 0 then
  redis.call('RENAME', k_flow_staged(creation), k_flow_committed(creation))
  redis.call('PERSIST', k_flow_committed(creation))
  redis.call('SADD', K_FLOW_PENDING, creation)
end
flush()
results[#results + 1] = publish()
return results
`;

/** One batch. */
export const BATCH_GET_LUA = `
--[[ batch_get: one batch
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] batch id
Returns: its hash (as HGETALL), empty when it does not exist
]]
return redis.call('HGETALL', k_batch(ARGV[3]))
`;

/** Stages a later part of a creation too large for one script. */
export const FLOWS_STAGE_LUA = `
--[[ flows_stage: keeps one later part of a large creation aside until flows_create commits it
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] creation id, [4] the part's jobs JSON (see read_jobs),
         [5] its flow columns JSON
Writes:  nothing a reader or a change sees: fs:<creation>, which expires in an hour unless committed
Returns: 1
]]
local key = k_flow_staged(ARGV[3])
redis.call('RPUSH', key, ARGV[4], ARGV[5])
redis.call('PEXPIRE', key, 3600000)
return 1
`;

/** Creates the next part of a committed creation. */
export const FLOWS_CREATE_PART_LUA = `
--[[ flows_create_part: creates the next part of a committed creation
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] creation id
Returns: '1' when a part was created, '0' when none was left, then id, created, state per job of
         the part, then the events payload
Events:  jobs-enqueued, jobs-scheduled
]]
local results = create_committed_part(ARGV[3])
if results == nil then return { '0', '' } end
flush()
local out = { '1' }
for _, v in ipairs(results) do out[#out + 1] = v end
out[#out + 1] = publish()
return out
`;

/** Batches newest first. */
export const BATCH_LIST_LUA = `
--[[ batch_list: a page of batches, newest first (by id)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] the id to start below ('' from the newest), [4] how many
Returns: id, hash (as HGETALL) per batch
]]
local top = '+'
if ARGV[3] ~= '' then top = '(' .. ARGV[3] end
local out = {}
for _, id in ipairs(redis.call('ZREVRANGEBYLEX', K_BATCHES, top, '-', 'LIMIT', 0, tonumber(ARGV[4]))) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGETALL', k_batch(id))
end
return out
`;

/** A batch's own jobs newest first, optionally in one state. */
export const BATCH_JOBS_LUA = `
--[[ batch_jobs: a page of a batch's own member jobs, newest first (by id)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] batch id, [4] the id to start below ('' from the newest),
         [5] how many, [6] the state they must be in ('' for any), [7] most members to look at
Checks:  members whose job has expired are passed over
Returns: the id of the last member looked at when the scan stopped at its budget before finding
         enough ('' otherwise), then id, hash (as HGETALL) per job
]]
local key = k_batch_jobs(ARGV[3])
local top = '+'
if ARGV[4] ~= '' then top = '(' .. ARGV[4] end
local want = tonumber(ARGV[5])
local state = ARGV[6]
local budget = tonumber(ARGV[7])
local out = { '' }
local found = 0
local looked = 0
local step = math.min(want, 500)
if state ~= '' then step = 500 end
while found < want and looked < budget do
  local ids = redis.call('ZREVRANGEBYLEX', key, top, '-', 'LIMIT', 0, math.min(step, budget - looked))
  if #ids == 0 then return out end
  for _, id in ipairs(ids) do
    looked = looked + 1
    top = '(' .. id
    local matches = true
    if state ~= '' then matches = redis.call('HGET', k_job(id), 'state') == state end
    if matches then
      local raw = redis.call('HGETALL', k_job(id))
      if #raw > 0 then
        out[#out + 1] = id
        out[#out + 1] = raw
        found = found + 1
        if found >= want then return out end
      end
    end
  end
end
if found < want then out[1] = string.sub(top, 2) end
return out
`;

/** The batches nested in a batch, at every depth. */
export const BATCH_DESCENDANTS_LUA = `
--[[ batch_descendants: the ids of the batches nested in one, at every depth (breadth first)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] batch id
Returns: the ids
]]
local out = {}
local queue = { ARGV[3] }
local i = 1
while i <= #queue do
  local children = redis.call('SMEMBERS', k_batch_children(queue[i]))
  table.sort(children)
  for _, child in ipairs(children) do
    out[#out + 1] = child
    queue[#queue + 1] = child
  end
  i = i + 1
end
return out
`;

/** Marks a batch cancelled. */
export const BATCH_CANCEL_MARK_LUA = `
--[[ batch_cancel_mark: marks a batch cancelled (its first cancellation's time is kept)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] batch id
Returns: 1, or 0 when the batch does not exist
]]
local key = k_batch(ARGV[3])
local v = redis.call('HMGET', key, 'created', 'cancelledAt')
if not v[1] then return 0 end
if not v[2] or v[2] == '' then redis.call('HSET', key, 'cancelledAt', NOW_S) end
return 1
`;
