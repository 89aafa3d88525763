import { JOB_STATES, LIMIT_KEY_PARAMETER, STATE_FACTS, TRANSITIONS } from '@spool/core';
import { KEY_SEPARATOR } from '@spool/core/storage-kit';

import { DEAD_LETTER_MARK_LUA } from './dead-letter-mark.lua.js';
import { decidedLua } from './decided.lua.js';
import { flowsCreationLibLua, flowsLibLua } from './flows-lib.lua.js';
import { JOB_CHANGE_WRITE_LUA } from './job-change-write.lua.js';

/** A Lua table literal of `state = true` for the states where `fact` holds. */
function stateSet(fact: 'active' | 'expires'): string {
  return `{ ${JOB_STATES.filter((s) => STATE_FACTS[s][fact])
    .map((s) => `${s} = true`)
    .join(', ')} }`;
}

/** TRANSITIONS as a Lua table: `from = { to = true, ... }`, generated so Lua and TypeScript share one table. */
function transitionsTable(): string {
  return `{ ${JOB_STATES.map((from) => `${from} = { ${TRANSITIONS[from].map((to) => `${to} = true`).join(', ')} }`).join(', ')} }`;
}

/**
 * The shared Lua library every storage script starts with. Not a script on its own: the script
 * registry prepends it to each operation.
 *
 * Conventions of every script:
 *   KEYS[1]  the storage's key base, `{<prefix>}:` (the hash tag keeps all keys in one cluster slot)
 *   ARGV[1]  the time in ms from an injected clock, or '' to use Redis `TIME` (one clock for all servers)
 *   ARGV[2]  the calling storage's origin id, put in front of published events so it can skip its own
 *   ARGV[3..] the operation's own arguments
 * Job hashes store '' for null. History entries are JSON arrays `[state, at, serverId, reason, data]`.
 * Every script validates before it writes: Redis runs a script atomically but does not roll back a
 * script that fails half-way, so a failed expectation must be found before the first write.
 */
export const LIB_LUA = `
local P = KEYS[1]
local ORIGIN = ARGV[2]
local NOW = tonumber(ARGV[1])
if NOW == nil then
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

--[[
Numbers written to Redis are formatted once per script. Lua turns a number into a string with a
floating-point printf, which costs more than the field write it feeds; per job, the hot path only
copies strings made here.
  NOW_S      NOW as a string
  INT_S[n]   a whole number n as a string (attempts, history positions)
  AT_S[ms]   NOW + ms as a string (lease expiries, removal times)
]]
local NOW_S = string.format('%d', NOW)
local INT_S = setmetatable({}, { __index = function(t, n) local v = string.format('%d', n) rawset(t, n, v) return v end })
local AT_S = setmetatable({}, { __index = function(t, ms) local v = string.format('%d', NOW + ms) rawset(t, ms, v) return v end })

local ACTIVE = ${stateSet('active')}
local EXPIRES = ${stateSet('expires')}
local TRANSITIONS = ${transitionsTable()}
${decidedLua()}
-- A move's values that its shape does not fix: none.
local NO_VALUES = {}
local HOUR_MS = 3600000

local K_UNIQUE = P .. 'unique'
local K_COUNTS = P .. 'counts'
local K_HOURLY = P .. 'hourly'
local K_SCHEDULED = P .. 'scheduled'
local K_LEASES = P .. 'leases'
local K_EXPIRY = P .. 'expiry'
local K_ALL = P .. 'all'
-- Every job name that has jobs (layout 5): the name order of job lists walks it.
local K_NAMES = P .. 'names'
local K_QUEUES = P .. 'queues'
local K_PAUSED = P .. 'paused'
local K_SEQ = P .. 'seq'
-- Flow control: stored limits by scope id, what each gate holds ('<running> <window start> <window
-- count> <window end>'; a gate holding nothing is absent), and a count of limit changes.
local K_LIMITS = P .. 'limits'
local K_GATES = P .. 'gates'
local K_LIMITS_VERSION = P .. 'limitsv'
-- Separates a scope from a key in a gate id (core's KEY_SEPARATOR).
local GATE_KEY_SEP = '${KEY_SEPARATOR}'

local function k_job(id) return P .. 'job:' .. id end
local function k_logs(id) return P .. 'l:' .. id end
local function k_children(id) return P .. 'ch:' .. id end
local function k_state(state) return P .. 'st:' .. state end
local function k_runnable(queue, name) return P .. 'rq:' .. queue .. '|' .. name end
-- The key index (layout 6) of enqueued jobs that carry a limit key, so that a claim under per-key
-- limits reads key by key instead of passing over a full key's backlog: per queue and name the keys
-- that have enqueued jobs (rk, a sorted set of keys, all scored 0: read in key order from a cursor),
-- per key its enqueued jobs (rqk, members and scores as in rq: queue order), and per queue and name
-- how many enqueued jobs carry a key (rkn, so a claim knows whether the name has jobs without one).
-- Queue and job names cannot hold '|', so the key, last, needs no escaping.
local K_KEYED_COUNTS = P .. 'rkn'
local function k_keys(queue, name) return P .. 'rk:' .. queue .. '|' .. name end
local function k_runnable_key(queue, name, key) return P .. 'rqk:' .. queue .. '|' .. name .. '|' .. key end
local LIMIT_KEY_FIELD = 'p:${LIMIT_KEY_PARAMETER}'
local function k_queue_names(queue) return P .. 'qn:' .. queue end
local function k_queue_age(queue) return P .. 'qa:' .. queue end
local function k_by_queue(queue) return P .. 'iq:' .. queue end
local function k_by_name(name) return P .. 'in:' .. name end

-- Sorted-set and set writes are buffered per key and member (the last write wins) and flushed with
-- one variadic call per key at the end of the script: a batch of N jobs costs a few calls, not N.
local ZBUF = {}
local ZKEYS = {}
local SADDS = {}
local RUNNABLE_LEFT = {}
-- Per key set of the key index that lost a job: { queue, name, key }; per 'queue|name' the change of
-- its count of keyed enqueued jobs.
local KEY_LEFT = {}
local KEYED_DELTA = {}

local function zset(key, member, score)
  local b = ZBUF[key]
  if b == nil then
    b = {}
    ZBUF[key] = b
    ZKEYS[#ZKEYS + 1] = key
  end
  b[member] = score
end

local function zrem(key, member)
  zset(key, member, false)
end

local function sadd(key, member)
  local b = SADDS[key]
  if b == nil then
    b = {}
    SADDS[key] = b
  end
  b[member] = true
end

local CNT = {}
local HOURLY = { s = 0, f = 0 }
local function count(state, delta)
  CNT[state] = (CNT[state] or 0) + delta
end

local function flush_calls(cmd, key, args)
  local n = #args
  local step = 4000
  for i = 1, n, step do
    redis.call(cmd, key, unpack(args, i, math.min(i + step - 1, n)))
  end
end

local function flush()
  for _, key in ipairs(ZKEYS) do
    local adds, rems = {}, {}
    for member, score in pairs(ZBUF[key]) do
      if score == false then
        rems[#rems + 1] = member
      else
        adds[#adds + 1] = score
        adds[#adds + 1] = member
      end
    end
    if #rems > 0 then flush_calls('ZREM', key, rems) end
    if #adds > 0 then flush_calls('ZADD', key, adds) end
  end
  for key, members in pairs(SADDS) do
    local list = {}
    for member in pairs(members) do list[#list + 1] = member end
    flush_calls('SADD', key, list)
  end
  -- A queue's set of names with runnable jobs loses a name whose runnable set has emptied.
  for key, qn in pairs(RUNNABLE_LEFT) do
    if redis.call('EXISTS', key) == 0 then redis.call('SREM', k_queue_names(qn[1]), qn[2]) end
  end
  -- The key index forgets a key whose set of enqueued jobs has emptied.
  for set, qnk in pairs(KEY_LEFT) do
    if redis.call('EXISTS', set) == 0 then redis.call('ZREM', k_keys(qnk[1], qnk[2]), qnk[3]) end
  end
  for field, delta in pairs(KEYED_DELTA) do
    if delta ~= 0 and redis.call('HINCRBY', K_KEYED_COUNTS, field, delta) <= 0 then redis.call('HDEL', K_KEYED_COUNTS, field) end
  end
  for state, delta in pairs(CNT) do
    if delta ~= 0 then redis.call('HINCRBY', K_COUNTS, state, delta) end
  end
  if HOURLY.s > 0 or HOURLY.f > 0 then
    local hour = math.floor(NOW / HOUR_MS) * HOUR_MS
    if HOURLY.s > 0 then redis.call('HINCRBY', K_HOURLY, hour .. ':s', HOURLY.s) end
    if HOURLY.f > 0 then redis.call('HINCRBY', K_HOURLY, hour .. ':f', HOURLY.f) end
  end
end

-- Events, gathered during the script and published once after its writes.
local SILENT = false
local EV_QUEUES = {}
local EV_LINES = {}
local EV_EARLIEST = nil

local function ev_enqueued(queue)
  if not EV_QUEUES[queue] then
    EV_QUEUES[queue] = true
    EV_LINES[#EV_LINES + 1] = 'q ' .. queue
  end
end

local function ev_scheduled(at)
  if EV_EARLIEST == nil or at < EV_EARLIEST then
    EV_EARLIEST = at
    EV_LINES[#EV_LINES + 1] = 's ' .. at
  end
end

local function ev_state(id, state)
  if not SILENT then EV_LINES[#EV_LINES + 1] = 'j ' .. id .. ' ' .. state end
end

-- Publishes the gathered events (one message per script: origin, time, events) and returns them for
-- the caller to emit locally.
local function publish()
  if #EV_LINES == 0 then return '' end
  local payload = table.concat(EV_LINES, '\\n')
  redis.call('PUBLISH', P .. 'events', ORIGIN .. '\\n' .. NOW_S .. '\\n' .. payload)
  return payload
end

local SEQ_NEXT = nil
local SEQ_LAST = nil
-- The next position at the back of every queue, as 12 hex digits (members sort by it within a priority).
local function next_seq()
  if SEQ_NEXT == nil or SEQ_NEXT > SEQ_LAST then
    SEQ_LAST = redis.call('INCRBY', K_SEQ, 1000)
    SEQ_NEXT = SEQ_LAST - 999
  end
  local seq = SEQ_NEXT
  SEQ_NEXT = SEQ_NEXT + 1
  return string.format('%012x', seq)
end

local function json_str(s)
  if s == nil or s == '' then return 'null' end
  return cjson.encode(s)
end

--[[
History: the creation entry lives in 'cstate'/'creason'; every later entry is one hash field of its
own, 'h1', 'h2', ... ('hn' counts them), written with the same HSET as the state, so no entry is ever
read back to append another. Entries are packed short: Redis keeps a hash whose values are all short
(64 bytes by default) in its compact encoding, which is several times smaller and faster to write.
  'P<at> <attempt> <server>'  processing: reason "Started by server <server>", data {serverId, attempt}
  '<code><at> <reason>'       a move to the state of <code> (STATE_CODE) by the server of the entry
                              before it, without data (a finish recorded by the server holding the lease)
  '[...]'                     any other entry, as JSON [state, at, server, reason, data]
]]
local STATE_CODE = { succeeded = 'S', failed = 'F', enqueued = 'E', scheduled = 'C', deleted = 'D', awaiting = 'A' }

local function history_entry(state, reason, data, server)
  if data == nil or data == '' then data = 'null' end
  return '["' .. state .. '",' .. NOW_S .. ',' .. json_str(server) .. ',' .. cjson.encode(reason) .. ',' .. data .. ']'
end

-- A job's limit key from its stored parameter (JSON): the string, or '' for none (as core reads it,
-- a key is always stored as a JSON string).
local function limit_key_of(raw)
  if not raw or string.byte(raw, 1) ~= 34 then return '' end
  local ok, decoded = pcall(cjson.decode, raw)
  if ok and type(decoded) == 'string' then return decoded end
  return ''
end

local LOAD_FIELDS = { 'state', 'queue', 'name', 'prio', 'ukey', 'retention', 'progress', 'seq', 'attempt', 'rescues', 'server', 'token', 'on', 'parent', 'runAt', 'hn', 'gates', 'flow', LIMIT_KEY_FIELD }

-- The fields a state change needs, or nil when the job does not exist.
local function load(id)
  local v = redis.call('HMGET', k_job(id), unpack(LOAD_FIELDS))
  if not v[1] then return nil end
  return {
    id = id, state = v[1], queue = v[2] or '', name = v[3] or '', prio = tonumber(v[4]) or 0, ukey = v[5] or '',
    retention = v[6] or '', progress = v[7] or '', seq = v[8] or '', attempt = tonumber(v[9]) or 0,
    rescues = tonumber(v[10]) or 0, server = v[11] or '', token = v[12] or '', on = v[13] or '', parent = v[14] or '',
    runAt = v[15] or '', hn = tonumber(v[16]) or 0, gates = v[17] or '', flow = v[18] or '', lkey = limit_key_of(v[19])
  }
end

-- The fields a finish from processing (succeeded, failed) needs: fewer than load() reads, on the hot path.
-- 'flow' is absent for a job in no batch or flow: its finish then skips every batch and edge lookup.
local function load_finish(id)
  local v = redis.call('HMGET', k_job(id), 'state', 'token', 'ukey', 'retention', 'progress', 'hn', 'server', 'gates', 'flow')
  if not v[1] then return nil end
  return { id = id, state = v[1], token = v[2] or '', ukey = v[3] or '', retention = v[4] or '', progress = v[5] or '', hn = tonumber(v[6]) or 0, server = v[7] or '', gates = v[8] or '', flow = v[9] or '' }
end

--[[
The key index of an enqueued job that carries a limit key (job.lkey; '' or nil for none, which
costs nothing more): index_key adds the job under its key, unindex_key takes it out, with the member
and score of its entry in rq. Every write of rq goes through index_enqueued and unindex_enqueued,
which call these, so the key index holds exactly the enqueued jobs with a key.
]]
local function index_key(job, member, score)
  zset(k_runnable_key(job.queue, job.name, job.lkey), member, score)
  zset(k_keys(job.queue, job.name), job.lkey, '0')
  local field = job.queue .. '|' .. job.name
  KEYED_DELTA[field] = (KEYED_DELTA[field] or 0) + 1
end

local function unindex_key(job, member)
  local set = k_runnable_key(job.queue, job.name, job.lkey)
  zrem(set, member)
  if KEY_LEFT[set] == nil then KEY_LEFT[set] = { job.queue, job.name, job.lkey } end
  local field = job.queue .. '|' .. job.name
  KEYED_DELTA[field] = (KEYED_DELTA[field] or 0) - 1
end

-- Puts a job at the back of its queue (within its priority).
local function index_enqueued(job, fields)
  local seq = next_seq()
  fields[#fields + 1] = 'seq'
  fields[#fields + 1] = seq
  job.seq = seq
  local score = job.prio == 0 and '0' or -job.prio
  zset(k_runnable(job.queue, job.name), seq .. job.id, score)
  if job.lkey ~= nil and job.lkey ~= '' then index_key(job, seq .. job.id, score) end
  zset(k_queue_age(job.queue), job.id, NOW_S)
  sadd(k_queue_names(job.queue), job.name)
  sadd(K_QUEUES, job.queue)
  ev_enqueued(job.queue)
end

local function unindex_enqueued(job)
  local key = k_runnable(job.queue, job.name)
  zrem(key, job.seq .. job.id)
  zrem(k_queue_age(job.queue), job.id)
  if RUNNABLE_LEFT[key] == nil then RUNNABLE_LEFT[key] = { job.queue, job.name } end
  if job.lkey ~= nil and job.lkey ~= '' then unindex_key(job, job.seq .. job.id) end
end

local AWAITING = nil
-- Whether any job may be waiting for a parent: no continuation lookups otherwise.
local function awaiting_possible()
  if AWAITING == nil then AWAITING = tonumber(redis.call('HGET', K_COUNTS, 'awaiting')) or 0 end
  return AWAITING + (CNT['awaiting'] or 0) > 0
end

--[[
Gives back the flow-control gates a job took when it started (its 'gates' field, a JSON array of gate
ids): one fewer running in each. A gate's value is '<running> <window start> <window count> <window
end> <paused until>' (older values lack the last). pause: a rate-limited job's candidates (a JSON
array, core's pauseCandidatesOf) and until when: the first candidate the job took is paused until
then (core's gateToPause), a later pause kept. A gate left holding nothing (none running, no starts
counted or its rate window over, no pause to come) is forgotten. Adds the cleared field to f, the
job's pending HSET, and wakes the servers of the job's queue: the freed place may let a held-back
job start.
]]
local function release_gates(job, f, pause, pause_until)
  local held = cjson.decode(job.gates)
  local paused = nil
  if pause ~= nil and pause ~= '' then
    local took = {}
    for _, gate in ipairs(held) do took[gate] = true end
    for _, gate in ipairs(cjson.decode(pause)) do
      if took[gate] then paused = gate; break end
    end
  end
  for _, gate in ipairs(held) do
    local v = redis.call('HGET', K_GATES, gate) or (gate == paused and '1 0 0 0 0') or nil
    if v then
      local running, ws, wc, we, pu = string.match(v, '^(%d+) (%d+) (%d+) (%d+) ?(%d*)$')
      running = math.max((tonumber(running) or 1) - 1, 0)
      pu = tonumber(pu) or 0
      if gate == paused then pu = math.max(pu, pause_until) end
      if running == 0 and (wc == '0' or (tonumber(we) or 0) <= NOW) and pu <= NOW then
        redis.call('HDEL', K_GATES, gate)
      else
        redis.call('HSET', K_GATES, gate, INT_S[running] .. ' ' .. ws .. ' ' .. wc .. ' ' .. we .. ' ' .. string.format('%d', pu))
      end
    end
  end
  f[#f + 1] = 'gates'; f[#f + 1] = ''
  job.gates = ''
  ev_enqueued(job.queue or redis.call('HGET', k_job(job.id), 'queue'))
end

${DEAD_LETTER_MARK_LUA}
local settle
-- Batches and flows (flows-lib.lua.ts): a batch member's counters, the edges of a job others depend on.
local settle_flow

--[[
Moves a job (as read by load) to 'to' as core decided for a cause of this variant (SHAPES, generated
from decideStateChange): hash fields, indexes, counters, a history entry, unique-key bookkeeping, and
the continuations of a parent that finishes, and the flow-control gates of a job that leaves
processing (job.gates, as load and load_finish read it). The caller has checked the guard (state, lease). Never
used for moves to 'processing' (see lease()).
values: what the shape leaves to the cause: runAt (a retry's due time), result (JSON), error (JSON; '' clears).
]]
local function move(job, to, reason, data, server, variant, values)
  local from = job.state
  local id = job.id
  local w = SHAPES[variant]
  if w ~= nil then w = w[from] end
  if w ~= nil then w = w[to] end
  if w == nil then error('spool: core decides no ' .. variant .. ' change from ' .. from .. ' to ' .. to) end
  local f = { 'state', to, 'updated', NOW_S }
  if job.ukey ~= '' then
    if w.ukey == 'check-holder' then
      local holder = redis.call('HGET', K_UNIQUE, job.ukey)
      if holder and holder ~= id then
        -- Another active job took the key while this one was finished: run again without it.
        reason = TEXT.key_released(reason, job.ukey, holder)
        f[#f + 1] = 'ukey'
        f[#f + 1] = ''
        job.ukey = ''
      else
        redis.call('HSET', K_UNIQUE, job.ukey, id)
      end
    elseif ACTIVE[from] and not ACTIVE[to] then
      if redis.call('HGET', K_UNIQUE, job.ukey) == id then redis.call('HDEL', K_UNIQUE, job.ukey) end
    end
  end
  -- 'end': the lease's holder made this change, and its token stays (a repeat of the same
  -- completion is then recognised); 'clear': any other change.
  if w.lease == 'clear' and job.token ~= '' then
    f[#f + 1] = 'token'; f[#f + 1] = ''
  end
  if from == 'processing' then
    f[#f + 1] = 'leaseExp'; f[#f + 1] = ''
    zrem(K_LEASES, id)
  elseif from == 'enqueued' then
    unindex_enqueued(job)
  elseif from == 'scheduled' then
    zrem(K_SCHEDULED, id)
  end
  local run_at = nil
  if w.run == 'given' then run_at = values.runAt elseif w.run == 'now' then run_at = NOW end
  if run_at ~= nil then
    f[#f + 1] = 'runAt'; f[#f + 1] = run_at
  elseif w.run == 'clear' then
    f[#f + 1] = 'runAt'; f[#f + 1] = ''
  end
  if w.fin == 'now' then
    f[#f + 1] = 'finished'; f[#f + 1] = NOW_S
  elseif w.fin == 'clear' then
    f[#f + 1] = 'finished'; f[#f + 1] = ''
  end
  if to == 'scheduled' then
    zset(K_SCHEDULED, id, run_at)
    ev_scheduled(run_at)
  end
  if w.back then index_enqueued(job, f) end
  if w.exp and job.retention ~= '' then
    local at = AT_S[tonumber(job.retention)]
    f[#f + 1] = 'expires'; f[#f + 1] = at
    zset(K_EXPIRY, id, at)
  else
    f[#f + 1] = 'expires'; f[#f + 1] = ''
    if EXPIRES[from] then zrem(K_EXPIRY, id) end
  end
  if w.att == 'reset' then
    f[#f + 1] = 'attempt'; f[#f + 1] = 0
  elseif w.att == 'refund' then
    f[#f + 1] = 'attempt'; f[#f + 1] = math.max(job.attempt - 1, 0)
  end
  if w.res == 'reset' then
    f[#f + 1] = 'rescues'; f[#f + 1] = 0
  elseif w.res == 'count' then
    f[#f + 1] = 'rescues'; f[#f + 1] = job.rescues + 1
  end
  if w.prog == 'complete' and job.progress ~= '' then f[#f + 1] = 'progress'; f[#f + 1] = '100' end
  if w.result == 'set' and values.result ~= nil then f[#f + 1] = 'result'; f[#f + 1] = values.result end
  if w.err ~= 'keep' and values.error ~= nil then f[#f + 1] = 'error'; f[#f + 1] = values.error end
  if w.dl then dead_letter_mark(job, f, w.dl, values.error) end
  if w.lim == 'release' and job.gates ~= nil and job.gates ~= '' then release_gates(job, f, values.pause, values.runAt) end
  job.hn = job.hn + 1
  local hn = INT_S[job.hn]
  f[#f + 1] = 'h' .. hn
  if from == 'processing' and (data == nil or data == '') and server ~= nil and server == job.server and STATE_CODE[to] then
    f[#f + 1] = STATE_CODE[to] .. NOW_S .. ' ' .. reason
  else
    f[#f + 1] = history_entry(to, reason, data, server)
  end
  f[#f + 1] = 'hn'; f[#f + 1] = hn
  redis.call('HSET', k_job(id), unpack(f))
  -- Processing jobs are listed from the lease index: no per-state index to keep for them.
  if from ~= 'processing' then zrem(k_state(from), id) end
  zset(k_state(to), id, '0')
  count(from, -1)
  count(to, 1)
  if w.series == 'succeeded' then HOURLY.s = HOURLY.s + 1 elseif w.series == 'failed' then HOURLY.f = HOURLY.f + 1 end
  job.state = to
  ev_state(id, to)
  if w.settle and awaiting_possible() then settle(id, to) end
  if job.flow ~= nil and job.flow ~= '' then settle_flow(job, from, to, w.settle) end
end

-- Releases or cancels the continuations waiting for a parent that has just moved to parent_state.
settle = function(parent_id, parent_state)
  local key = k_children(parent_id)
  local children = redis.call('SMEMBERS', key)
  for _, child_id in ipairs(children) do
    local child = load(child_id)
    if child == nil or child.state ~= 'awaiting' then
      redis.call('SREM', key, child_id)
    else
      local on = child.on
      if on == '' then on = 'succeeded' end
      local outcome = CONTINUATIONS[parent_state][on]
      if outcome ~= 'wait' then
        redis.call('SREM', key, child_id)
        local data = '{"parentId":' .. cjson.encode(parent_id) .. '}'
        if outcome == 'release' then
          move(child, 'enqueued', TEXT.released(parent_id, parent_state), data, nil, 'parent', NO_VALUES)
        else
          move(child, 'deleted', TEXT.cancelled(parent_id, parent_state, on), data, nil, 'parent', NO_VALUES)
        end
      end
    end
  end
end
${flowsLibLua()}

-- Fields a lease reply leaves out: the lease rewrites them (the caller knows their new values), or
-- only monitoring reads them (history, creation entry, queue position). Fewer strings to send and parse.
local LEASE_REPLY_SKIPS = { state = true, token = true, server = true, leaseExp = true, started = true, updated = true, cstate = true, creason = true, seq = true, gates = true }

-- Puts an enqueued job under a fresh lease (job: id, queue, name, seq); returns its hash before the
-- change without the fields of LEASE_REPLY_SKIPS and the history ('h...'), as field, value pairs.
-- gates: the flow-control gates it takes (a JSON array), or nil for a job that takes none.
local function lease(job, token, server, lease_ms, gates)
  local id = job.id
  local key = k_job(id)
  local raw = redis.call('HGETALL', key)
  local attempt = 1
  local hn = 1
  local reply = {}
  for i = 1, #raw, 2 do
    local k = raw[i]
    if k == 'attempt' then attempt = (tonumber(raw[i + 1]) or 0) + 1 elseif k == 'hn' then hn = (tonumber(raw[i + 1]) or 0) + 1
    elseif k == LIMIT_KEY_FIELD and job.lkey == nil then job.lkey = limit_key_of(raw[i + 1]) end
    if not LEASE_REPLY_SKIPS[k] and string.byte(k, 1) ~= 104 then
      reply[#reply + 1] = k
      reply[#reply + 1] = raw[i + 1]
    end
  end
  local expires = AT_S[lease_ms]
  attempt = INT_S[attempt]
  hn = INT_S[hn]
  redis.call('HSET', key, 'state', 'processing', 'attempt', attempt, 'token', token, 'server', server,
    'leaseExp', expires, 'started', NOW_S, 'updated', NOW_S, 'h' .. hn, 'P' .. NOW_S .. ' ' .. attempt .. ' ' .. server, 'hn', hn)
  if gates ~= nil then redis.call('HSET', key, 'gates', gates) end
  unindex_enqueued(job)
  zrem(k_state('enqueued'), id)
  zset(K_LEASES, id, expires)
  count('enqueued', -1)
  count('processing', 1)
  return reply
end

-- The search text of a job in the list of all jobs: id, a truncation flag, then name and arguments
-- in lower case (ASCII), so a bounded scan can match substrings without reading the job.
local SEARCH_ARGS_MAX = 400
local function all_member(id, name, args)
  local flag = '0'
  if #args > SEARCH_ARGS_MAX then
    flag = '1'
    args = string.sub(args, 1, SEARCH_ARGS_MAX)
  end
  return id .. '\\t' .. flag .. string.lower(name) .. '\\t' .. string.lower(args)
end

--[[
Reads the jobs to create from one JSON argument (one array per job, every value a string so nothing
is re-encoded: id, name, queue, priority, state, runAt, maxAttempts, timeoutMs, retentionMs,
backoff, uniqueKey, parentId, continueOn, recurringId, args, reason, then parameter key/value pairs).
One argument instead of seventeen per job: parsing thousands of arguments costs both sides more.
]]
local function read_jobs(text)
  local jobs = {}
  for j, e in ipairs(cjson.decode(text)) do
    local job = {
      id = e[1], name = e[2], queue = e[3], prio = tonumber(e[4]), state = e[5], runAt = e[6], maxAtt = e[7],
      timeout = e[8], retention = e[9], backoff = e[10], ukey = e[11], parent = e[12], on = e[13],
      recurring = e[14], args = e[15], reason = e[16], params = {}
    }
    for k = 17, #e, 2 do
      job.params[#job.params + 1] = 'p:' .. e[k]
      job.params[#job.params + 1] = e[k + 1]
      if e[k] == '${LIMIT_KEY_PARAMETER}' then job.lkey = limit_key_of(e[k + 1]) end
    end
    jobs[j] = job
  end
  return jobs
end

-- An error reply the TypeScript side turns into a typed error. Raised before any write.
local function fail(code, detail)
  return redis.error_reply('SPOOL_' .. code .. ' ' .. detail)
end

-- The limits in force of a scope id (the operator's layer where set, else the code's), decoded, or nil.
local function scope_limits(scope)
  local stored = redis.call('HGET', K_LIMITS, scope)
  if not stored then return nil end
  local record = cjson.decode(stored)
  local layer = record.o or record.c
  if type(layer) ~= 'string' then return nil end
  return cjson.decode(layer)
end

-- The limits in force of a queue, decoded, or nil.
local function queue_limits(queue)
  return scope_limits('queue:' .. queue)
end

-- The bound (maxSize) in force of a queue, or nil.
local function queue_bound(queue)
  local limits = queue_limits(queue)
  if limits == nil or type(limits.maxSize) ~= 'number' then return nil end
  return limits.maxSize
end

-- Whether a queue's limits in force gate a claim (concurrency, rate or per key; JSON null decodes
-- to cjson.null): a queue whose only limit is its bound is claimed as one without limits (core's limitsInForce).
local function queue_gated(queue)
  local limits = queue_limits(queue)
  if limits == nil then return false end
  for _, field in ipairs({ 'concurrency', 'rate', 'perKey' }) do
    if limits[field] ~= nil and limits[field] ~= cjson.null then return true end
  end
  return false
end

--[[
Refuses a batch that does not fit its bounded queues, before anything is written: core's
checkQueueRoom, mirrored. Counts the jobs the batch creates enqueued (not a resent id, not a job
whose unique key an active job holds unless the key is in \`freed\`, the keys a create takes over
from their holders; a continuation whose parent has finished as released) and
\`later\` (per queue, what the call's later parts add); a queue whose enqueued jobs (ZCARD
qa:<queue>) and these exceed its bound refuses the whole batch. One EXISTS while no limits are stored.
Returns nil, or the error reply.
]]
local function check_room(jobs, later, freed)
  if redis.call('EXISTS', K_LIMITS) == 0 then return nil end
  freed = freed or {}
  local bounds = {}
  local adding = {}
  local queues = {}
  local keys = {}
  local planned = {}
  for _, job in ipairs(jobs) do
    local b = bounds[job.queue]
    if b == nil then
      b = queue_bound(job.queue) or false
      bounds[job.queue] = b
    end
    if b and redis.call('EXISTS', k_job(job.id)) == 0 and not (job.ukey ~= '' and (keys[job.ukey] or (not freed[job.ukey] and redis.call('HEXISTS', K_UNIQUE, job.ukey) == 1))) then
      local state = job.state
      if state == 'awaiting' and job.parent ~= '' and job.on ~= '' then
        local parent_state = planned[job.parent] or redis.call('HGET', k_job(job.parent), 'state')
        if parent_state then
          local outcome = CONTINUATIONS[parent_state][job.on]
          if outcome == 'release' then state = 'enqueued' elseif outcome == 'cancel' then state = 'deleted' end
        end
      end
      planned[job.id] = state
      if job.ukey ~= '' and ACTIVE[state] then keys[job.ukey] = true end
      if state == 'enqueued' then
        if adding[job.queue] == nil then
          adding[job.queue] = 0
          queues[#queues + 1] = job.queue
        end
        adding[job.queue] = adding[job.queue] + 1
      end
    end
  end
  table.sort(queues)
  for _, queue in ipairs(queues) do
    local count = adding[queue] + (tonumber(later[queue]) or 0)
    local size = redis.call('ZCARD', k_queue_age(queue))
    if size + count > bounds[queue] then
      return fail('QUEUE_FULL', string.format('%d %d %d %s', size, bounds[queue], count, queue))
    end
  end
  return nil
end

--[[
Creates jobs (as read by read_jobs). Checks every parent first and returns an error reply, writing
nothing, when one is missing. A job whose id already exists is not written again (a resent command
after a dropped connection). Returns the results (id, created '1'/'0', state per job) or an error reply.
]]
local function create_jobs(jobs)
  local in_batch = {}
  for _, job in ipairs(jobs) do in_batch[job.id] = true end
  for _, job in ipairs(jobs) do
    if job.parent ~= '' and not in_batch[job.parent] and redis.call('EXISTS', k_job(job.parent)) == 0 then
      return nil, fail('JOB_NOT_FOUND', job.parent)
    end
  end
  local results = {}
  local batch_states = {}
  for _, job in ipairs(jobs) do
    local id = job.id
    local existing = redis.call('HGET', k_job(id), 'state')
    local holder = nil
    if existing then
      results[#results + 1] = id; results[#results + 1] = '1'; results[#results + 1] = existing
    else
      if job.ukey ~= '' then holder = redis.call('HGET', K_UNIQUE, job.ukey) end
      if holder then
        results[#results + 1] = holder; results[#results + 1] = '0'
        results[#results + 1] = batch_states[holder] or redis.call('HGET', k_job(holder), 'state') or 'enqueued'
      else
        local state = job.state
        local reason = job.reason
        if state == 'awaiting' and job.parent ~= '' and job.on ~= '' then
          local parent_state = batch_states[job.parent] or redis.call('HGET', k_job(job.parent), 'state')
          if parent_state then
            local outcome = CONTINUATIONS[parent_state][job.on]
            if outcome == 'release' then
              state = 'enqueued'
              reason = TEXT.already_released(job.parent, parent_state)
            elseif outcome == 'cancel' then
              state = 'deleted'
              reason = TEXT.already_cancelled(job.parent, parent_state, job.on)
            end
          end
        end
        local f = {
          'name', job.name, 'queue', job.queue, 'prio', job.prio == 0 and '0' or job.prio, 'state', state, 'attempt', '0', 'maxAtt', job.maxAtt,
          'rescues', '0', 'created', NOW_S, 'updated', NOW_S, 'args', job.args, 'cstate', state, 'creason', reason
        }
        local function opt(field, value)
          if value ~= '' then f[#f + 1] = field; f[#f + 1] = value end
        end
        opt('runAt', job.runAt)
        opt('timeout', job.timeout)
        opt('retention', job.retention)
        opt('backoff', job.backoff)
        opt('ukey', job.ukey)
        opt('parent', job.parent)
        opt('on', job.on)
        opt('recurring', job.recurring)
        job.state = state
        if state == 'enqueued' then
          index_enqueued(job, f)
        elseif state == 'scheduled' then
          local run_at = tonumber(job.runAt) or NOW
          zset(K_SCHEDULED, id, run_at)
          ev_scheduled(run_at)
        elseif state == 'deleted' then
          f[#f + 1] = 'finished'; f[#f + 1] = NOW_S
          if job.retention ~= '' then
            local at = AT_S[tonumber(job.retention)]
            f[#f + 1] = 'expires'; f[#f + 1] = at
            zset(K_EXPIRY, id, at)
          end
        elseif state == 'awaiting' and job.parent ~= '' then
          sadd(k_children(job.parent), id)
        end
        for _, v in ipairs(job.params) do f[#f + 1] = v end
        redis.call('HSET', k_job(id), unpack(f))
        if job.ukey ~= '' and ACTIVE[state] then redis.call('HSET', K_UNIQUE, job.ukey, id) end
        zset(k_state(state), id, '0')
        zset(K_ALL, all_member(id, job.name, job.args), '0')
        zset(k_by_queue(job.queue), id, '0')
        zset(k_by_name(job.name), id, '0')
        sadd(K_NAMES, job.name)
        count(state, 1)
        batch_states[id] = state
        results[#results + 1] = id; results[#results + 1] = '1'; results[#results + 1] = state
      end
    end
  end
  return results, nil
end
${flowsCreationLibLua()}
${JOB_CHANGE_WRITE_LUA}
`;
