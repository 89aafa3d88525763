import { LIMIT_KEY_PARAMETER } from '@spool/core';

/**
 * Scripts of flow control: stored limits, and the claim of a queue where limits may apply. That
 * claim is optimistic and in two steps, so that the decision stays in core: `jobs_fetch_candidates`
 * reads (writes nothing), the caller runs core's `admitJobs` on what it read, and
 * `jobs_fetch_gated` writes the decision only if nothing it was decided on has changed since.
 * Each runs after the shared library (`lib.lua.ts`) and starts with a header: keys, arguments,
 * preconditions, results, errors, events.
 */

/** Stores one layer of a scope's limits. */
export const LIMITS_SET_LUA = `
--[[ limits_set: stores one layer (code or operator) of a scope's limits
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] scope id ('queue:<name>' or 'job:<name>'), [4] layer ('code'
         or 'operator'), [5] the limits as core's stored JSON ('' clears the layer), [6] who set an
         operator's limits ('' for nobody)
Checks:  none; a scope left with neither layer is forgotten (a stored scope always has limits in force)
Returns: the events payload
Events:  jobs-enqueued for every queue that ever held jobs: limits raised or cleared may let
         held-back jobs start
Stored:  limits[<scope id>] = JSON { c = code layer's JSON, o = operator layer's JSON, by = set by,
         at = set at (ms) }; the layers are kept as the text given, so no number is re-encoded.
         limitsv counts the changes, so a claim can tell that the limits it decided on still hold.
]]
local scope = ARGV[3]
local stored = redis.call('HGET', K_LIMITS, scope)
local record = {}
if stored then record = cjson.decode(stored) end
local value = ARGV[5]
if value == '' then value = nil end
if ARGV[4] == 'code' then
  record.c = value
else
  record.o = value
  record.by = nil
  record.at = nil
  if value ~= nil then
    if ARGV[6] ~= '' then record.by = ARGV[6] end
    record.at = NOW_S
  end
end
if record.c == nil and record.o == nil then
  redis.call('HDEL', K_LIMITS, scope)
else
  redis.call('HSET', K_LIMITS, scope, cjson.encode(record))
end
redis.call('INCR', K_LIMITS_VERSION)
for _, queue in ipairs(redis.call('SMEMBERS', K_QUEUES)) do ev_enqueued(queue) end
return publish()
`;

/** Lists every scope's stored limits with what its own gate holds. */
export const LIMITS_LIST_LUA = `
--[[ limits_list: every scope with stored limits
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin
Returns: per scope its id, its record (as limits_set stores it) and what its own gate holds ('' when
         nothing), in no particular order
Events:  none
]]
local stored = redis.call('HGETALL', K_LIMITS)
local out = {}
for i = 1, #stored, 2 do
  out[#out + 1] = stored[i]
  out[#out + 1] = stored[i + 1]
  out[#out + 1] = redis.call('HGET', K_GATES, stored[i]) or ''
end
return out
`;

/** Reads what some gates hold. */
export const LIMITS_GATES_LUA = `
--[[ limits_gates: what the given gates hold, for an operator's view
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, then the gate ids
Returns: per gate its stored value ('' when it holds nothing), in the order given
Events:  none
]]
local out = {}
for i = 3, #ARGV do out[#out + 1] = redis.call('HGET', K_GATES, ARGV[i]) or '' end
return out
`;

/** Reads the candidates of a claim under flow control, and what admission needs to decide on them. */
export const JOBS_FETCH_CANDIDATES_LUA = `
--[[ jobs_fetch_candidates: reads, writing nothing, the enqueued jobs of one queue that a claim under
flow control may start, in queue order (higher priority first, then enqueue order), with what
admission decides on: the stored limits, and what the gates of those jobs hold. Jobs of names whose
limits go per key (their own or their queue's) are read key by key through the key index: the keys
that have enqueued jobs, from a cursor, and the first jobs of each key not passed over, so a full
key's backlog costs the read nothing. Their jobs without a key, only when there are some, are read
from the head of the name's runnable set and from a cursor that goes on from where an earlier
read stopped, so that a job without a key behind a long keyed backlog is reached in turn.
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] queue, [4] most candidates returned, [5] most runnable
         entries read (the bound on the script's work; a key read costs one), [6] gates to pass
         over, as a JSON array: the gates admission found full in an earlier round (a job name's
         own, or a key's in its name's or its queue's scope), [7] the cursors, as a JSON object { k = { name =
         the last key an earlier read reached }, w = { name = the last runnable entry an earlier
         read of its jobs without a key reached } } (a name left out starts at the first), [8] how many jobs the claim wants, [9] number of job names (-1: any name), then the
         names
Checks:  writes nothing; a paused queue has no candidates
Returns: now, paused (1 or 0), more (1 when runnable jobs may follow those read), the limits version,
         the stored limits as (scope id, record) pairs, the candidates as (id, name, key) triples (key
         '' for none: the job's '${LIMIT_KEY_PARAMETER}' parameter when it is a string), what each
         gate a candidate may take holds, as (gate, value) pairs (gates holding nothing left out),
         cut (1 when the read stopped at [4] candidates before the end of its entries, or left keys
         unread: a next read reaches further; 0 when a read passing over more gates would go through
         the same entries), and the cursors reached, as (k or w, name, key or entry) triples
Events:  none
]]
local queue = ARGV[3]
local most = tonumber(ARGV[4])
local budget = tonumber(ARGV[5])
local pass = {}
for _, gate in ipairs(cjson.decode(ARGV[6])) do pass[gate] = true end
local cursors = cjson.decode(ARGV[7])
local want = tonumber(ARGV[8])
local nn = tonumber(ARGV[9])
local wanted = nil
if nn >= 0 then
  wanted = {}
  for k = 10, 9 + nn do wanted[ARGV[k]] = true end
end
local version = redis.call('GET', K_LIMITS_VERSION) or '0'
local limits = redis.call('HGETALL', K_LIMITS)
if redis.call('SISMEMBER', K_PAUSED, queue) == 1 then return { NOW, 1, 0, version, limits, {}, {}, 0, {} } end
local scope_queue = 'queue:' .. queue
local names = {}
for _, name in ipairs(redis.call('SMEMBERS', k_queue_names(queue))) do
  if (wanted == nil or wanted[name]) and not pass['job:' .. name] then names[#names + 1] = name end
end
local function before(a, b)
  if a[3] ~= b[3] then return a[3] < b[3] end
  return a[2] < b[2]
end
-- How many first jobs of one key a claim reads: core's keyHeadRows, mirrored (as many as the key may
-- start at once, the most of its name's and its queue's per-key limits; under onLocked 'skip' what
-- the claim wants). nil when no per-key limit applies to the name: its jobs are read in queue order.
local function present(v) return v ~= nil and v ~= cjson.null end
local function per_key_of(l)
  if l == nil or not present(l.perKey) then return nil end
  return l.perKey
end
local queue_per_key = per_key_of(queue_limits(queue))
local function key_heads(name)
  local heads = nil
  for _, p in ipairs({ per_key_of(scope_limits('job:' .. name)) or {}, queue_per_key or {} }) do
    if next(p) ~= nil then
      local n = 1
      if p.onLocked == 'skip' then n = want
      elseif present(p.concurrency) then n = p.concurrency
      elseif present(p.rate) and present(p.rate.limit) then n = p.rate.limit end
      heads = math.max(heads or 1, n)
    end
  end
  if heads == nil then return nil end
  return math.max(1, math.min(want, heads))
end
-- Each name's share of the budget. A name read in queue order is read from its head; the merged
-- order is exact up to the last entry read of a name that has more (bound): the walk stops there.
local per = math.max(math.floor(budget / math.max(#names, 1)), 10)
local heads = {}
local keyed_heads = {}
local visited = {}
local reached = {}
local bound = nil
local cut = 0
for _, name in ipairs(names) do
  local kh = key_heads(name)
  local walk = true
  if kh ~= nil then
    -- Keys from the cursor on, wrapping round once, as many as the share allows: every key is read
    -- in turn however many there are.
    local keys_key = k_keys(queue, name)
    local most_keys = math.max(math.floor(per / kh), 1)
    local from = cursors.k and cursors.k[name]
    local keys
    if type(from) == 'string' then
      keys = redis.call('ZRANGEBYLEX', keys_key, '(' .. from, '+', 'LIMIT', 0, most_keys)
      if #keys < most_keys then
        for _, key in ipairs(redis.call('ZRANGEBYLEX', keys_key, '-', '[' .. from, 'LIMIT', 0, most_keys - #keys)) do keys[#keys + 1] = key end
      end
    else
      keys = redis.call('ZRANGEBYLEX', keys_key, '-', '+', 'LIMIT', 0, most_keys)
    end
    if #keys == most_keys and redis.call('ZCARD', keys_key) > most_keys then cut = 1 end
    local seen = {}
    for _, key in ipairs(keys) do
      seen[key] = true
      if not (pass['job:' .. name .. GATE_KEY_SEP .. key] or pass[scope_queue .. GATE_KEY_SEP .. key]) then
        local r = redis.call('ZRANGE', k_runnable_key(queue, name, key), 0, kh - 1, 'WITHSCORES')
        for k = 1, #r, 2 do keyed_heads[#keyed_heads + 1] = { name, r[k], tonumber(r[k + 1]), key } end
      end
    end
    visited[name] = seen
    if #keys > 0 then
      reached[#reached + 1] = 'k'
      reached[#reached + 1] = name
      reached[#reached + 1] = keys[#keys]
    end
    -- Its jobs without a key, only when it has some: the first half of the share from the head,
    -- the other from the cursor on (wrapping round to the end of the head). Both go past the bound.
    local runnable = k_runnable(queue, name)
    local total = redis.call('ZCARD', runnable)
    walk = false
    if total > (tonumber(redis.call('HGET', K_KEYED_COUNTS, queue .. '|' .. name)) or 0) then
      local half = math.max(math.floor(per / 2), 1)
      local r = redis.call('ZRANGE', runnable, 0, half - 1, 'WITHSCORES')
      if total > half then
        local at = nil
        local from_entry = cursors.w and cursors.w[name]
        if type(from_entry) == 'string' then at = redis.call('ZRANK', runnable, from_entry) end
        if at == nil or at < half or at >= total - 1 then at = half - 1 end
        local rest = redis.call('ZRANGE', runnable, at + 1, at + half, 'WITHSCORES')
        for k = 1, #rest do r[#r + 1] = rest[k] end
        if total > 2 * half then cut = 1 end
        if #rest > 0 then
          reached[#reached + 1] = 'w'
          reached[#reached + 1] = name
          reached[#reached + 1] = rest[#rest - 1]
        end
      end
      for k = 1, #r, 2 do keyed_heads[#keyed_heads + 1] = { name, r[k], tonumber(r[k + 1]) } end
    end
  end
  if walk then
    local r = redis.call('ZRANGE', k_runnable(queue, name), 0, per - 1, 'WITHSCORES')
    for k = 1, #r, 2 do heads[#heads + 1] = { name, r[k], tonumber(r[k + 1]) } end
    if #r == per * 2 and (bound == nil or before(heads[#heads], bound)) then bound = heads[#heads] end
  end
end
-- The entries read in queue order up to the bound, then the keys' first jobs, merged in queue order.
local entries = {}
for _, h in ipairs(heads) do
  if bound == nil or not before(bound, h) then entries[#entries + 1] = h end
end
for _, h in ipairs(keyed_heads) do entries[#entries + 1] = h end
table.sort(entries, before)
local more = 0
if bound ~= nil or cut == 1 then more = 1 end
local candidates = {}
local found = 0
local gates, gate_list = {}, {}
local function take_gate(gate)
  if not gates[gate] then
    gates[gate] = true
    gate_list[#gate_list + 1] = gate
  end
end
for _, h in ipairs(entries) do
  if found >= most then
    more = 1
    cut = 1
    break
  end
  local name = h[1]
  local id = string.sub(h[2], 13)
  local key = h[4]
  local keep = true
  if key == nil then
    key = limit_key_of(redis.call('HGET', k_job(id), LIMIT_KEY_FIELD))
    -- A job with a key of a name read key by key was read there, or its key is for a later read.
    if key ~= '' and visited[name] ~= nil then keep = false end
  end
  local scope_name = 'job:' .. name
  if keep and (key == '' or not (pass[scope_name .. GATE_KEY_SEP .. key] or pass[scope_queue .. GATE_KEY_SEP .. key])) then
    found = found + 1
    candidates[#candidates + 1] = id
    candidates[#candidates + 1] = name
    candidates[#candidates + 1] = key
    take_gate(scope_queue)
    take_gate(scope_name)
    if key ~= '' then
      take_gate(scope_queue .. GATE_KEY_SEP .. key)
      take_gate(scope_name .. GATE_KEY_SEP .. key)
    end
  end
end
local held = {}
if #gate_list > 0 then
  local values = redis.call('HMGET', K_GATES, unpack(gate_list))
  for k, gate in ipairs(gate_list) do
    if values[k] then
      held[#held + 1] = gate
      held[#held + 1] = values[k]
    end
  end
end
return { NOW, 0, more, version, limits, candidates, held, cut, reached }
`;

/** Writes an admission decided on what jobs_fetch_candidates read, if it still holds. */
export const JOBS_FETCH_GATED_LUA = `
--[[ jobs_fetch_gated: leases the jobs admission (core's admitJobs, run by the caller on what
jobs_fetch_candidates read) lets start and deletes the jobs it skips, if nothing the decision was
made on has changed since it was read
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] server id, [4] lease ms, [5] lease token base, [6] queue,
         [7] the limits version read, [8] the time (ms) until which the decision holds: the end of
         the earliest rate window it counted starts in ('' when it counted none), [9] the decision
         as JSON: { read = { {gate, value read ('' when it held nothing)}, ... },
         start = { {id, gates taken as a JSON array ('' for none)}, ... }, skip = { {id, cause variant, reason,
         history data JSON}, ... }, gates = { {gate, new value}, ... } }
Checks:  before any write: the limits version is the one read, the queue is not paused, now is
         before [8], every gate read holds what was read, and every job to start or skip is still
         enqueued in the queue. Otherwise nothing is written (a conflict: the caller reads again)
Returns: now, 1, the events payload, then per started job its id, its lease token and its hash
         before the lease (as lease() returns it); or now, 0 on a conflict
Events:  job-state for each skipped job (deleted); none for the leases (as jobs_fetch)
]]
local server = ARGV[3]
local lease_ms = tonumber(ARGV[4])
local base = ARGV[5]
local queue = ARGV[6]
local d = cjson.decode(ARGV[9])
if (redis.call('GET', K_LIMITS_VERSION) or '0') ~= ARGV[7] then return { NOW, 0 } end
if redis.call('SISMEMBER', K_PAUSED, queue) == 1 then return { NOW, 0 } end
if ARGV[8] ~= '' and NOW >= tonumber(ARGV[8]) then return { NOW, 0 } end
for _, r in ipairs(d.read) do
  if (redis.call('HGET', K_GATES, r[1]) or '') ~= r[2] then return { NOW, 0 } end
end
local starts, skips = {}, {}
for k, s in ipairs(d.start) do
  local job = load(s[1])
  if job == nil or job.state ~= 'enqueued' or job.queue ~= queue then return { NOW, 0 } end
  starts[k] = job
end
for k, s in ipairs(d.skip) do
  local job = load(s[1])
  if job == nil or job.state ~= 'enqueued' or job.queue ~= queue then return { NOW, 0 } end
  skips[k] = job
end
local out = { NOW, 1, '' }
for k, job in ipairs(starts) do
  local token = base .. INT_S[k]
  out[#out + 1] = job.id
  out[#out + 1] = token
  local taken = d.start[k][2]
  if taken == '' then taken = nil end
  out[#out + 1] = lease(job, token, server, lease_ms, taken)
end
for _, g in ipairs(d.gates) do redis.call('HSET', K_GATES, g[1], g[2]) end
for k, job in ipairs(skips) do
  local s = d.skip[k]
  move(job, 'deleted', s[3], s[4], nil, s[2], NO_VALUES)
end
flush()
out[3] = publish()
return out
`;
