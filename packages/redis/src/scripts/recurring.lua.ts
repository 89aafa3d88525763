import { RECURRING_HISTORY_LIMIT } from '@spool/core';

/**
 * Scripts of recurring jobs. A recurring job is a hash `rc:<id>`; `rc` lists ids, `rcdue` orders the
 * due ones, `rcocc:<id>` holds the job of each occurrence and `rch:<id>` is its history: a list,
 * oldest first, of `<at ms> <entry JSON>` (the JSON written by the storage's TypeScript, never read here).
 */

const RC = `
local function k_rc(id) return P .. 'rc:' .. id end
local function k_rc_history(id) return P .. 'rch:' .. id end
local K_RC = P .. 'rc'
local K_RC_DUE = P .. 'rcdue'
-- Keeps the due index in step with a record: only unpaused records with a next run are in it.
local function index_due(id, paused, next_run)
  if paused ~= '1' and next_run ~= '' and next_run ~= nil then
    redis.call('ZADD', K_RC_DUE, next_run, id)
  else
    redis.call('ZREM', K_RC_DUE, id)
  end
end
`;

/** Creates or replaces a recurring job. */
export const RECURRING_UPSERT_LUA = `${RC}
--[[ recurring_upsert: creates or replaces a recurring job, keeping its creation time and last run
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] id, [4] name, [5] args JSON, [6] cron, [7] time zone, [8] queue,
         [9] priority, [10] max attempts, [11] timeout ms, [12] retention ms, [13] misfire,
         [14] paused ('1' or '0'), [15] next run ms ('' for none), [16] settings (core's JSON text)
Returns: 1
]]
local id = ARGV[3]
local created = redis.call('HGET', k_rc(id), 'created') or NOW
redis.call('HSET', k_rc(id), 'name', ARGV[4], 'args', ARGV[5], 'cron', ARGV[6], 'tz', ARGV[7], 'queue', ARGV[8],
  'prio', ARGV[9], 'maxAtt', ARGV[10], 'timeout', ARGV[11], 'retention', ARGV[12], 'misfire', ARGV[13],
  'paused', ARGV[14], 'next', ARGV[15], 'created', created, 'updated', NOW, 'settings', ARGV[16])
redis.call('ZADD', K_RC, 0, id)
index_due(id, ARGV[14], ARGV[15])
return 1
`;

/** Lists recurring jobs by id. */
export const RECURRING_LIST_LUA = `${RC}
--[[ recurring_list: recurring jobs by id, after an id
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] limit, [4] after id ('' from the start)
Returns: pairs of id and hash
]]
local min = '-'
if ARGV[4] ~= '' then min = '(' .. ARGV[4] end
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYLEX', K_RC, min, '+', 'LIMIT', 0, tonumber(ARGV[3]))) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGETALL', k_rc(id))
end
return out
`;

/** Removes a recurring job. */
export const RECURRING_REMOVE_LUA = `${RC}
--[[ recurring_remove: removes a recurring job and its history (the jobs it created stay)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] id
Returns: 1 when removed, 0 when it did not exist
]]
local removed = redis.call('DEL', k_rc(ARGV[3]))
redis.call('DEL', k_rc_history(ARGV[3]))
redis.call('ZREM', K_RC, ARGV[3])
redis.call('ZREM', K_RC_DUE, ARGV[3])
return removed
`;

/** Pauses or resumes a recurring job. */
export const RECURRING_PAUSE_SET_LUA = `${RC}
--[[ recurring_pause_set: pauses or resumes a recurring job, setting its next run
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] id, [4] paused ('1' or '0'), [5] next run ms ('' for none)
Returns: 1 when changed, 0 when it does not exist
]]
local id = ARGV[3]
if redis.call('EXISTS', k_rc(id)) == 0 then return 0 end
redis.call('HSET', k_rc(id), 'paused', ARGV[4], 'next', ARGV[5], 'updated', NOW)
index_due(id, ARGV[4], ARGV[5])
return 1
`;

/** Recurring jobs that are due. */
export const RECURRING_DUE_LUA = `${RC}
--[[ recurring_due: unpaused recurring jobs whose next run is at or before now, earliest first (reads only)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] limit
Returns: the time judged by (Redis TIME, or the injected clock), then pairs of id and hash
]]
local out = { tostring(NOW) }
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_RC_DUE, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[3]))) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGETALL', k_rc(id))
end
return out
`;

/** Fires one occurrence of a recurring job. */
export const RECURRING_FIRE_LUA = `${RC}
--[[ recurring_fire: creates the jobs of one firing and moves the schedule, in one commit
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] id, [4] '1' when an occurrence is given, [5] expected next run ms,
         [6] new next run ms ('' for none), [7] the jobs as JSON (see read_jobs), [8] JSON array of
         the occurrence ms of each job ('' for a job outside the schedule), [9] the number n of
         history entries, then n pairs: [10] the job id the entry names ('' for none), [11] the entry
Checks:  the record exists; with an occurrence, its next run is still the expected one (so each
         occurrence fires once across all servers); every parent exists; a job whose occurrence
         already has one in rcocc:<id> is not created (at most one job per occurrence), nor is the
         history entry that names it; the history keeps its latest ${RECURRING_HISTORY_LIMIT} entries
Returns: fired (1 or 0), then the number of refused occurrences and each of them (ms), then id,
         created, state per created job, then the events payload
Errors:  SPOOL_JOB_NOT_FOUND <parent id> (nothing written)
Events:  jobs-enqueued, jobs-scheduled
]]
local id = ARGV[3]
local current = redis.call('HMGET', k_rc(id), 'next', 'lastJob', 'paused')
if not current[3] then return { 0, '' } end
if ARGV[4] == '1' and (current[1] or '') ~= ARGV[5] then return { 0, '' } end
local all_jobs = read_jobs(ARGV[7])
local occurrences = cjson.decode(ARGV[8])
local k_occ = P .. 'rcocc:' .. id
local jobs, occ_of, refused, taken, refused_ids = {}, {}, {}, {}, {}
for i, job in ipairs(all_jobs) do
  local occ = occurrences[i]
  if occ ~= '' and (taken[occ] or redis.call('HEXISTS', k_occ, occ) == 1) then
    refused[#refused + 1] = occ
    refused_ids[job.id] = true
  else
    if occ ~= '' then taken[occ] = true end
    jobs[#jobs + 1] = job
    occ_of[#jobs] = occ
  end
end
local results, err = create_jobs(jobs)
if err then return err end
for j, job in ipairs(jobs) do
  local occ = occ_of[j]
  -- The job keeps its occurrence so that its expiry frees the occurrence with it.
  if occ ~= '' then
    redis.call('HSET', k_occ, occ, job.id)
    redis.call('HSET', k_job(job.id), 'occ', occ)
  end
end
local next_run = current[1] or ''
if ARGV[4] == '1' then next_run = ARGV[6] end
local last_job = current[2] or ''
if #results > 0 then last_job = results[#results - 2] end
local occurrence_jobs = 0
for _, occ in pairs(occ_of) do if occ ~= '' then occurrence_jobs = occurrence_jobs + 1 end end
if occurrence_jobs > 0 then redis.call('HINCRBY', k_rc(id), 'runs', occurrence_jobs) end
redis.call('HSET', k_rc(id), 'next', next_run, 'last', NOW, 'lastJob', last_job, 'updated', NOW)
index_due(id, current[3], next_run)
local entries = {}
for i = 1, tonumber(ARGV[9]) do
  local names = ARGV[8 + 2 * i]
  if names == '' or not refused_ids[names] then entries[#entries + 1] = NOW_S .. ' ' .. ARGV[9 + 2 * i] end
end
if #entries > 0 then
  for i = 1, #entries, 4000 do redis.call('RPUSH', k_rc_history(id), unpack(entries, i, math.min(i + 3999, #entries))) end
  redis.call('LTRIM', k_rc_history(id), -${RECURRING_HISTORY_LIMIT}, -1)
end
flush()
local out = { 1, #refused }
for _, v in ipairs(refused) do out[#out + 1] = v end
for _, v in ipairs(results) do out[#out + 1] = v end
out[#out + 1] = publish()
return out
`;
