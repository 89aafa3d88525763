/** Read-only scripts of the monitoring read model, and the storage's version marker. */

/** Counts for the overview. */
export const STATS_LUA = `
--[[ stats: job counts per state (maintained counters), servers and recurring jobs (reads only)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin
Returns: { state, count, ... }, server count, recurring count
]]
return { redis.call('HGETALL', K_COUNTS), redis.call('HLEN', P .. 'servers'), redis.call('ZCARD', P .. 'rc') }
`;

/** Every queue that holds jobs or is paused. */
export const QUEUES_LUA = `
--[[ queues: every queue that has held enqueued jobs or is paused, with its enqueued count and oldest
enqueue time (reads only)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin
Returns: per queue: name, enqueued count, oldest enqueue ms ('' when none), paused ('1' or '0')
]]
local names = {}
local seen = {}
for _, q in ipairs(redis.call('SMEMBERS', K_QUEUES)) do
  if not seen[q] then seen[q] = true; names[#names + 1] = q end
end
for _, q in ipairs(redis.call('SMEMBERS', K_PAUSED)) do
  if not seen[q] then seen[q] = true; names[#names + 1] = q end
end
table.sort(names)
local out = {}
for _, q in ipairs(names) do
  local key = k_queue_age(q)
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  out[#out + 1] = q
  out[#out + 1] = redis.call('ZCARD', key)
  out[#out + 1] = oldest[2] or ''
  out[#out + 1] = tostring(redis.call('SISMEMBER', K_PAUSED, q))
end
return out
`;

/** One job with its history and latest logs. */
export const JOB_DETAILS_LUA = `
--[[ job_details: one job's hash, its history (oldest first) and its latest logs (reads only)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] job id, [4] log limit
Returns: { hash (history in its field 'h') }, { log lines } (an empty hash when the job does not exist)
]]
local id = ARGV[3]
local raw = redis.call('HGETALL', k_job(id))
if #raw == 0 then return { raw } end
local limit = tonumber(ARGV[4])
local logs = {}
if limit > 0 then logs = redis.call('LRANGE', k_logs(id), -limit, -1) end
return { raw, logs }
`;

/** Jobs filtered and paged newest first. */
export const JOBS_LIST_LUA = `
--[[ jobs_list: jobs newest first by id, filtered, paged by cursor (reads only)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] state, [4] queue, [5] name, [6] server id, [7] search,
         [8] min id (inclusive), [9] max id (exclusive), [10] cursor id (exclusive), [11] limit,
         [12] scan budget ('' for none given: each filter is '' when absent)
Work:    walks the smallest index that applies (per state, queue or name; or the list of all jobs,
         whose members carry the search text) and checks the other filters per entry, reading at most
         the scan budget of entries. When the budget runs out first, the page may be short and the
         cursor says where to go on: the work of one call stays bounded whatever the data.
Returns: per matching job its id and its hash; then the next cursor id ('' when nothing follows)
]]
local state, queue, name, server, search = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local min, max, after = ARGV[8], ARGV[9], ARGV[10]
local limit = tonumber(ARGV[11])
local budget = tonumber(ARGV[12])
local key, size, driver = K_ALL, nil, 'all'
local function consider(k, d)
  local n = redis.call('ZCARD', k)
  if size == nil or n < size then key, size, driver = k, n, d end
end
if state ~= '' and state ~= 'processing' then consider(k_state(state), 'state') end
if queue ~= '' then consider(k_by_queue(queue), 'queue') end
if name ~= '' then consider(k_by_name(name), 'name') end
local upper = '+'
local cap = nil
if max ~= '' then cap = max end
if after ~= '' and (cap == nil or after < cap) then cap = after end
if cap ~= nil then upper = '(' .. cap end
local lower = '-'
if min ~= '' then lower = '[' .. min end
local needle = string.lower(search)
local function text_match(id, lname, largs, truncated)
  if id == search then return true end
  if string.find(lname, needle, 1, true) or string.find(largs, needle, 1, true) then return true end
  if truncated then
    local args = redis.call('HGET', k_job(id), 'args') or ''
    return string.find(string.lower(args), needle, 1, true) ~= nil
  end
  return false
end
-- Processing jobs have no per-state index: they are the lease index's members, few (at most the
-- servers' total concurrency), read and ordered here.
local processing = nil
if state == 'processing' then
  processing = redis.call('ZRANGE', K_LEASES, 0, budget - 1)
  table.sort(processing, function(a, b) return a > b end)
  key, driver = nil, 'state'
end
local function range_members(requested)
  if processing == nil then return redis.call('ZREVRANGEBYLEX', key, upper, lower, 'LIMIT', 0, requested) end
  local out = {}
  for _, id in ipairs(processing) do
    if #out >= requested then break end
    local below = (upper == '+') or (id < string.sub(upper, 2))
    local above = (lower == '-') or (id >= string.sub(lower, 2))
    if below and above then out[#out + 1] = id end
  end
  return out
end
local matches = {}
local scanned = 0
local last = nil
local exhausted = false
local fields = (server ~= '') or (state ~= '' and driver ~= 'state') or (queue ~= '' and driver ~= 'queue') or (name ~= '' and driver ~= 'name')
local chunk = limit + 1
if fields or search ~= '' then chunk = math.max(chunk, 200) end
while scanned < budget do
  local requested = math.min(chunk, budget - scanned)
  local members = range_members(requested)
  for _, member in ipairs(members) do
    scanned = scanned + 1
    upper = '(' .. member
    local id = member
    local lname, largs, truncated = nil, nil, false
    if driver == 'all' then
      local tab = string.find(member, '\t', 1, true)
      id = string.sub(member, 1, tab - 1)
      local tab2 = string.find(member, '\t', tab + 2, true)
      truncated = string.sub(member, tab + 1, tab + 1) == '1'
      lname = string.sub(member, tab + 2, tab2 - 1)
      largs = string.sub(member, tab2 + 1)
    end
    last = id
    local ok = true
    local v = nil
    if fields or (search ~= '' and lname == nil) then
      v = redis.call('HMGET', k_job(id), 'state', 'queue', 'name', 'server', 'args')
      ok = v[1] ~= false
      if ok and state ~= '' and v[1] ~= state then ok = false end
      if ok and queue ~= '' and v[2] ~= queue then ok = false end
      if ok and name ~= '' and v[3] ~= name then ok = false end
      if ok and server ~= '' and v[4] ~= server then ok = false end
    end
    if ok and search ~= '' then
      if lname == nil then
        ok = id == search or string.find(string.lower(v[3] or ''), needle, 1, true) ~= nil or string.find(string.lower(v[5] or ''), needle, 1, true) ~= nil
      else
        ok = text_match(id, lname, largs, truncated)
      end
    end
    if ok then
      matches[#matches + 1] = id
      if #matches > limit then break end
    end
  end
  if #matches > limit then break end
  if #members < requested then
    exhausted = true
    break
  end
end
local out = {}
for k = 1, math.min(limit, #matches) do
  out[#out + 1] = matches[k]
  out[#out + 1] = redis.call('HGETALL', k_job(matches[k]))
end
local cursor = ''
if #matches > limit then
  cursor = matches[limit]
elseif not exhausted and scanned >= budget and last ~= nil then
  cursor = last
end
out[#out + 1] = cursor
return out
`;

/** One batch of the upgrade from layout 1: the occurrences that layout-1 jobs hold, indexed. */
export const LAYOUT_INDEX_OCCURRENCES_LUA = `
--[[ layout_index_occurrences: gives the jobs that layout 1 wrote for recurring occurrences the keys
         layout 2 keeps (rcocc:<recurring id> and the job's 'occ'), so that no backfill runs an
         occurrence again that layout 1 already ran. One batch of jobs, in id order from a cursor.
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] cursor: the last member of 'all' done ('' from the start),
         [4] batch size
Returns: the next cursor ('' when every job has been seen), then the number of jobs indexed
Reads:   a job counts only if the schedule created it: it has a recurring id, no 'occ' yet, an
         ISO 'recurringOccurrence' parameter, and the creation reason the layout-1 scheduler wrote
         ("Recurring job <id>: occurrence of ..."); a triggered job (layout 1 gave it an occurrence
         parameter too) is left out. Of two jobs for one occurrence, the first in id order keeps it.
]]
-- Milliseconds since the epoch of 'YYYY-MM-DDTHH:MM:SS.mmmZ' (days from the civil date), or nil.
local function iso_ms(s)
  local y, mo, d, h, mi, sec, ms = string.match(s, '^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)%.(%d%d%d)Z$')
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (mo + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  local days = era * 146097 + doe - 719468
  return ((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60000 + tonumber(sec) * 1000 + tonumber(ms)
end
local min = '-'
if ARGV[3] ~= '' then min = '(' .. ARGV[3] end
local members = redis.call('ZRANGEBYLEX', P .. 'all', min, '+', 'LIMIT', 0, tonumber(ARGV[4]))
local indexed = 0
for _, member in ipairs(members) do
  local id = string.match(member, '^([^\t]+)')
  local v = redis.call('HMGET', P .. 'job:' .. id, 'recurring', 'occ', 'p:recurringOccurrence', 'creason')
  local recurring, reason = v[1], v[4]
  if recurring and recurring ~= '' and not v[2] and v[3] and reason
      and string.sub(reason, 1, #('Recurring job ' .. recurring .. ': occurrence of ')) == 'Recurring job ' .. recurring .. ': occurrence of ' then
    local ok, iso = pcall(cjson.decode, v[3])
    local at = ok and type(iso) == 'string' and iso_ms(iso) or nil
    if at then
      local occ = string.format('%d', at)
      if redis.call('HSETNX', P .. 'rcocc:' .. recurring, occ, id) == 1 then
        redis.call('HSET', P .. 'job:' .. id, 'occ', occ)
        indexed = indexed + 1
      end
    end
  end
end
local cursor = ''
if #members == tonumber(ARGV[4]) then cursor = members[#members] end
return { cursor, indexed }
`;

/** One batch of the upgrade to layout 6: enqueued jobs of one queue and name put in the key index. */
export const LAYOUT_INDEX_KEYS_LUA = `
--[[ layout_index_keys: puts the enqueued jobs of one queue and job name that carry a limit key into
         the key index of layout 6 (rk, rqk, rkn: see index_key in lib.lua.ts), one batch of them
         in queue order from a position. Idempotent: a job already indexed is not counted again.
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] queue, [4] job name, [5] position in rq to start at, [6] batch size
Returns: the next position (-1 when the queue and name have no more jobs)
]]
local queue, name = ARGV[3], ARGV[4]
local from = tonumber(ARGV[5])
local size = tonumber(ARGV[6])
local r = redis.call('ZRANGE', k_runnable(queue, name), from, from + size - 1, 'WITHSCORES')
local added = 0
for k = 1, #r, 2 do
  local key = limit_key_of(redis.call('HGET', k_job(string.sub(r[k], 13)), LIMIT_KEY_FIELD))
  if key ~= '' then
    added = added + redis.call('ZADD', k_runnable_key(queue, name, key), r[k + 1], r[k])
    redis.call('ZADD', k_keys(queue, name), 0, key)
  end
end
if added > 0 then redis.call('HINCRBY', K_KEYED_COUNTS, queue .. '|' .. name, added) end
if #r < size * 2 then return -1 end
return from + size
`;

/** The storage's version marker. */
export const META_MIGRATE_LUA = `
--[[ meta_migrate: records the data layout version the first time; refuses a newer layout
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] the layout version this code writes
Returns: the versions applied now (empty when already current)
Errors:  SPOOL_LAYOUT_NEWER <version> (written by a newer Spool)
Layouts: 1 the first; 2 adds rcocc:<recurring id> (the job of each occurrence), a job's 'occ'
         field, and a recurring job's 'settings' and 'runs' fields; 3 adds rch:<recurring id> (its
         history); 4 adds flow control: limits, gates, limitsv and a job's 'gates' field (a server
         of an older layout would start limited jobs unchecked and never give their gates back, so
         it must refuse this data); 5 adds 'names' (every job name that has jobs, which lists in
         name order walk: a server of an older layout would create jobs of a new name without it);
         6 adds the key index of enqueued jobs with a limit key (rk, rqk, rkn), which every script
         that enqueues or dequeues keeps and the claim under per-key limits reads (a server of an
         older layout would leave it stale).
         Data of an earlier layout reads as the current one unchanged; from layout 1 the storage
         first indexes the occurrences its jobs hold (layout_index_occurrences), below layout 5
         it fills 'names' from the per-name indexes, and below layout 6 it fills the key index
         (layout_index_keys), then this records the version.
]]
local version = tonumber(ARGV[3])
local current = tonumber(redis.call('HGET', P .. 'meta', 'version'))
if current == nil then
  redis.call('HSET', P .. 'meta', 'version', version, 'created', NOW)
  return { version }
end
if current > version then return fail('LAYOUT_NEWER', tostring(current)) end
if current < version then
  redis.call('HSET', P .. 'meta', 'version', version)
  local applied = {}
  for v = current + 1, version do applied[#applied + 1] = v end
  return applied
end
return {}
`;
