/**
 * The dead letters' part of the shared Lua library (decision 42): their keys, and the writing of
 * the mark that a state change's shape decides (`SHAPES[...].dl`, generated from core's
 * `decideStateChange`). Spliced into the library before `move`, which calls it.
 *
 * Keys (a job name and an error name are joined by a NUL byte, which neither holds):
 *   dl                       every dead letter: a sorted set of ids, all scored 0, so it reads in id order
 *   dln:<name>               the same, of one job name
 *   dlt:<name>\0<error name> one group's dead letters, scored by when they were dead-lettered
 *   dlg                      the groups as '<name>\0<error name>', scored by minus their count, so the
 *                            largest come first and equal counts in name order
 *   dlgn:<name>              one job name's groups as '<error name>', scored likewise
 * Job hash fields: 'dlAt' (ms, '' for none) and 'dlErr' (the error name it died of).
 */
export const DEAD_LETTER_MARK_LUA = `
local K_DL = P .. 'dl'
local K_DL_GROUPS = P .. 'dlg'
local function k_dl_name(name) return P .. 'dln:' .. name end
local function k_dl_group(name, err) return P .. 'dlt:' .. name .. '\\0' .. err end
local function k_dl_name_groups(name) return P .. 'dlgn:' .. name end

-- Counts a dead letter into (delta 1) or out of (delta -1) its group; a group left empty is removed.
local function dl_count(name, err, delta)
  local member = name .. '\\0' .. err
  if tonumber(redis.call('ZINCRBY', K_DL_GROUPS, -delta, member)) >= 0 then redis.call('ZREM', K_DL_GROUPS, member) end
  local by_name = k_dl_name_groups(name)
  if tonumber(redis.call('ZINCRBY', by_name, -delta, err)) >= 0 then redis.call('ZREM', by_name, err) end
end

--[[
Writes the dead-letter mark of a job that move() is changing, as its shape says: how = 'now' marks it
(now, and the name of the error it fails with: error_json, the error move() writes), 'clear' takes a
mark it carries away. Either way a mark it had leaves the indexes first. Adds its fields to f, the
job's pending HSET. Reads the job's mark (one HMGET) only on the changes whose shape touches it:
entering or leaving 'failed', never a claim or a success.
]]
local function dead_letter_mark(job, f, how, error_json)
  local id = job.id
  local v = redis.call('HMGET', k_job(id), 'dlAt', 'dlErr', 'name')
  local name = v[3] or ''
  if v[1] and v[1] ~= '' then
    local err = v[2] or ''
    zrem(K_DL, id)
    zrem(k_dl_name(name), id)
    zrem(k_dl_group(name, err), id)
    dl_count(name, err, -1)
    f[#f + 1] = 'dlAt'; f[#f + 1] = ''
    f[#f + 1] = 'dlErr'; f[#f + 1] = ''
  end
  if how == 'now' then
    -- The error name is the one core names the mark with (the error's own name field).
    local err = ''
    local ok, decoded = pcall(cjson.decode, error_json or '')
    if ok and type(decoded) == 'table' and type(decoded.name) == 'string' then err = decoded.name end
    f[#f + 1] = 'dlAt'; f[#f + 1] = NOW_S
    f[#f + 1] = 'dlErr'; f[#f + 1] = err
    zset(K_DL, id, '0')
    zset(k_dl_name(name), id, '0')
    zset(k_dl_group(name, err), id, NOW_S)
    dl_count(name, err, 1)
  end
end
`;
