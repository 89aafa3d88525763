/** Scripts of the dead letters (decisions 42 and 43): list, groups, and the guarded redrive. Keys: see dead-letter-mark.lua.ts. */

/** Dead letters matching a filter, newest first by id, in a bounded scan of their index. */
export const DEAD_LETTERS_LIST_LUA = `
--[[ dead_letters_list: a page of dead letters matching a filter, newest first by id
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] limit, [4] the id to continue after ('' from the newest),
         [5] the filter as JSON { name?, errorName?, message?, from?, to? } (times in ms),
         [6] most dead letters to read (the scan's bound)
Returns: the id to continue after ('' when no dead letter is left), then id and hash (field, value
         pairs) per dead letter. A page may be short, even empty, with an id to continue after: the
         scan stopped at its bound before it filled the page.
]]
local limit = tonumber(ARGV[3])
local filter = cjson.decode(ARGV[5])
local budget = tonumber(ARGV[6])
local key = K_DL
if type(filter.name) == 'string' then key = k_dl_name(filter.name) end
local err_name = type(filter.errorName) == 'string' and filter.errorName or nil
local message = type(filter.message) == 'string' and filter.message or nil
local from = type(filter.from) == 'number' and filter.from or nil
local to = type(filter.to) == 'number' and filter.to or nil

local function matches(id)
  local v = redis.call('HMGET', k_job(id), 'dlAt', 'dlErr', 'state')
  local at = tonumber(v[1])
  -- Only a failed job carries the mark; the state is read too so that an entry a server of an
  -- earlier version left behind (it retried a dead letter without clearing it) is never listed.
  if at == nil or v[3] ~= 'failed' then return false end
  if err_name ~= nil and v[2] ~= err_name then return false end
  if from ~= nil and at < from then return false end
  if to ~= nil and at > to then return false end
  if message ~= nil then
    local ok, e = pcall(cjson.decode, redis.call('HGET', k_job(id), 'error') or '')
    local text = ok and type(e) == 'table' and type(e.message) == 'string' and e.message or ''
    if string.find(text, message, 1, true) == nil then return false end
  end
  return true
end

local found = {}
local next_after = ''
local max = '+'
if ARGV[4] ~= '' then max = '(' .. ARGV[4] end
local scanned = 0
local done = false
while not done do
  local step = math.min(100, budget - scanned)
  if step <= 0 then
    -- The bound is reached: the next page goes on after the last dead letter read.
    next_after = string.sub(max, 2)
    break
  end
  local ids = redis.call('ZREVRANGEBYLEX', key, max, '-', 'LIMIT', 0, step)
  for _, id in ipairs(ids) do
    scanned = scanned + 1
    if matches(id) then
      if #found == limit then
        next_after = found[#found]
        done = true
        break
      end
      found[#found + 1] = id
    end
  end
  if not done then
    if #ids < step then break end
    max = '(' .. ids[#ids]
  end
end
local out = { next_after }
for _, id in ipairs(found) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGETALL', k_job(id))
end
return out
`;

/** The dead letters counted by (job name, error name), from the maintained group counts. */
export const DEAD_LETTERS_GROUPS_LUA = `
--[[ dead_letters_groups: the largest groups of dead letters (equal counts by job name, then error name)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] limit, [4] '1' for one job name's groups, [5] that name
Returns: name, error name, count, when the latest was dead-lettered (ms), per group
]]
local limit = tonumber(ARGV[3])
local out = {}
local function add(name, err, score)
  local latest = redis.call('ZRANGE', k_dl_group(name, err), -1, -1, 'WITHSCORES')
  out[#out + 1] = name
  out[#out + 1] = err
  out[#out + 1] = string.format('%d', -tonumber(score))
  out[#out + 1] = latest[2] or '0'
end
if ARGV[4] == '1' then
  local rows = redis.call('ZRANGE', k_dl_name_groups(ARGV[5]), 0, limit - 1, 'WITHSCORES')
  for i = 1, #rows, 2 do add(ARGV[5], rows[i], rows[i + 1]) end
else
  local rows = redis.call('ZRANGE', K_DL_GROUPS, 0, limit - 1, 'WITHSCORES')
  for i = 1, #rows, 2 do
    local cut = string.find(rows[i], '\\0', 1, true)
    add(string.sub(rows[i], 1, cut - 1), string.sub(rows[i], cut + 1), rows[i + 1])
  end
end
return out
`;

/** Writes the redrives core decided (decideRedrive), each guarded on the facts it was decided on. */
export const DEAD_LETTERS_REDRIVE_LUA = `
--[[ dead_letters_redrive: moves dead letters back to their queues as core decided
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] the redrives as JSON, one array of strings each: id, the
         dead-letter time the decision read, new state, the cause's variant (a key of SHAPES),
         history reason, history data JSON, '1' when the arguments are replaced, the new arguments
Checks:  each job is still 'failed' with the mark it was decided on. A redrive, a retry or a delete
         since the read changed one of them, and the decision no longer holds: nothing is written
         for that job. (Arguments and error, the decision's other facts, change only with the state.)
Returns: '1' per redrive written, '0' per redrive refused, then the events payload
Events:  job-state, jobs-enqueued
]]
local out = {}
for _, r in ipairs(cjson.decode(ARGV[3])) do
  local id = r[1]
  local job = load(id)
  if job ~= nil and job.state == 'failed' and (redis.call('HGET', k_job(id), 'dlAt') or '') == r[2] then
    if r[7] == '1' then
      -- The list of all jobs is searched by name and arguments: its member follows the new arguments.
      local old = redis.call('HGET', k_job(id), 'args') or ''
      zrem(K_ALL, all_member(id, job.name, old))
      zset(K_ALL, all_member(id, job.name, r[8]), '0')
      redis.call('HSET', k_job(id), 'args', r[8])
    end
    move(job, r[3], r[5], r[6], nil, r[4], NO_VALUES)
    out[#out + 1] = '1'
  else
    out[#out + 1] = '0'
  end
end
flush()
out[#out + 1] = publish()
return out
`;
