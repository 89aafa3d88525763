import { flowsDecidedLua } from './flows-decided.lua.js';

/**
 * The part of the shared library that batches and flows add (decision 46), spliced into it after
 * `settle`. Only a job whose hash has a `flow` field (its bits: 1 a batch member, 2 others depend
 * on it) comes here from move(); every other job skips it on a field its load already read.
 *
 * Keys:
 *   b:<id>    a batch: desc, parent, total, finished, succeeded, failed, created, finishedAt, cancelledAt
 *   batches   every batch id (sorted set, score 0: newest first by id)
 *   bj:<id>   the batch's own member jobs (sorted set, score 0)
 *   bc:<id>   the batches nested in it (set)
 *   dp:<id>   the dependencies on a parent job or batch: child id -> policy (hash)
 * Job fields: flow (bits), batch (its batch id), pending (its dependencies not yet settled).
 */
export function flowsLibLua(): string {
  return `
${flowsDecidedLua()}

local function k_batch(id) return P .. 'b:' .. id end
local K_BATCHES = P .. 'batches'
local function k_batch_jobs(id) return P .. 'bj:' .. id end
local function k_batch_children(id) return P .. 'bc:' .. id end
local function k_deps(id) return P .. 'dp:' .. id end

-- An id as it goes inside a JSON string: escaped, without its quotes.
local function json_inner(s)
  local e = cjson.encode(s)
  return string.sub(e, 2, -2)
end

-- Settles (and removes) every dependency on a parent that has just finished in parent_state, as
-- core decides (DEPENDS of flow_rules()). A child no longer awaiting (settled by another parent, deleted) is left alone.
local function settle_dependents(kind, parent_id, parent_state)
  local key = k_deps(parent_id)
  local edges = redis.call('HGETALL', key)
  if #edges == 0 then return end
  redis.call('DEL', key)
  local R = flow_rules()
  local rules = R.DEPENDS[parent_state]
  if rules == nil then error('spool: core settles no dependency on a parent ' .. parent_state) end
  for i = 1, #edges, 2 do
    local child = load(edges[i])
    if child ~= nil and child.state == 'awaiting' then
      local pending = redis.call('HINCRBY', k_job(child.id), 'pending', -1)
      local d = rules[edges[i + 1]][pending <= 0]
      if d then
        local inner = json_inner(parent_id)
        local values = NO_VALUES
        if d.err then values = { error = R.DEP_ERROR_JSON(kind, inner, parent_state) } end
        move(child, d.to, R.DEP_TEXT[d.text](kind, parent_id, parent_state), R.DEP_DATA_JSON(kind, inner), nil, d.variant, values)
      end
    end
  end
end

-- Adds a member's move to its batch; a batch whose every member has finished finishes once
-- (batch_finish), settles its dependents and counts as one member of its own parent.
local function batch_count(batch_id, delta)
  local key = k_batch(batch_id)
  if redis.call('EXISTS', key) == 0 then return end
  if delta.f ~= 0 then redis.call('HINCRBY', key, 'finished', delta.f) end
  if delta.s ~= 0 then redis.call('HINCRBY', key, 'succeeded', delta.s) end
  if delta.x ~= 0 then redis.call('HINCRBY', key, 'failed', delta.x) end
  local v = redis.call('HMGET', key, 'total', 'finished', 'failed', 'finishedAt', 'parent')
  local total, finished, failed = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0
  local finish = flow_rules().batch_finish(total, finished, failed, v[4] or '')
  if finish == nil then return end
  redis.call('HSET', key, 'finishedAt', NOW_S)
  settle_dependents('batch', batch_id, finish.state)
  if (v[5] or '') ~= '' then batch_count(v[5], finish) end
end

settle_flow = function(job, from, to, settles)
  local bits = tonumber(job.flow) or 0
  local delta = flow_rules().BATCH_DELTA[from]
  if delta ~= nil then delta = delta[to] end
  if delta ~= nil and bits % 2 == 1 then
    local batch_id = redis.call('HGET', k_job(job.id), 'batch')
    if batch_id and batch_id ~= '' then batch_count(batch_id, delta) end
  end
  if settles and math.floor(bits / 2) % 2 == 1 then settle_dependents('job', job.id, to) end
end
`;
}

/**
 * The creation part of the library, spliced into it after `create_jobs`, which it calls: a flow's
 * jobs with their flow fields, and the parts of a large creation (decision 48).
 */
export function flowsCreationLibLua(): string {
  return `
-- A creation too large for one script (decision 48): its later parts are staged in fs:<creation>
-- (a list, two items a part: jobs JSON, flow columns JSON) until the creation commits, then moved
-- to fc:<creation> and created part by part; fpending names the committed creations left to create.
local function k_flow_staged(c) return P .. 'fs:' .. c end
local function k_flow_committed(c) return P .. 'fc:' .. c end
local K_FLOW_PENDING = P .. 'fpending'

-- Creates jobs (as read_jobs reads them) with their flow columns (flow bits, batch id, pending
-- dependencies). Returns create_jobs' results, or nil and its error reply (nothing written).
local function create_flow_jobs(jobs, columns)
  local results, err = create_jobs(jobs)
  if err then return nil, err end
  for i, c in ipairs(columns) do
    local id = jobs[i].id
    local f = {}
    if c[1] ~= '0' then f[#f + 1] = 'flow'; f[#f + 1] = c[1] end
    if c[2] ~= '' then
      f[#f + 1] = 'batch'; f[#f + 1] = c[2]
      zset(k_batch_jobs(c[2]), id, '0')
    end
    if c[3] ~= '0' then f[#f + 1] = 'pending'; f[#f + 1] = c[3] end
    if #f > 0 then redis.call('HSET', k_job(id), unpack(f)) end
  end
  return results, nil
end

-- Creates the next part of a committed creation; returns its results, or nil when none was left.
local function create_committed_part(creation)
  local key = k_flow_committed(creation)
  local jobs_json = redis.call('LPOP', key)
  local results = nil
  if jobs_json then
    local columns = cjson.decode(redis.call('LPOP', key))
    -- Flow jobs have no continuation parent: create_jobs has nothing to refuse here.
    results = create_flow_jobs(read_jobs(jobs_json), columns)
  end
  if redis.call('EXISTS', key) == 0 then redis.call('SREM', K_FLOW_PENDING, creation) end
  return results
end
`;
}
