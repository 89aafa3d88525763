/**
 * Scripts of job metrics: a hash per period width and start, `metrics:<period>:<start>`, whose
 * fields are the JSON of [name, queue, series, bin] and whose values are counts; a sorted set per
 * width, `metrics:<period>`, holds the starts stored (member and score), so that a read of a window
 * and the removal of old periods are ranges of it.
 */

/** Adds counts to the stored ones. */
export const METRICS_RECORD_LUA = `
--[[ metrics_record: adds counts to the stored ones (HINCRBY: the counts of several servers add up)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, then per count: period, start ms, field (JSON of name, queue, series, bin), count
Returns: 1
]]
for i = 3, #ARGV, 4 do
  local period, at = ARGV[i], ARGV[i + 1]
  redis.call('HINCRBY', P .. 'metrics:' .. period .. ':' .. at, ARGV[i + 2], ARGV[i + 3])
  redis.call('ZADD', P .. 'metrics:' .. period, at, at)
end
return 1
`;

/** Reads the counts of one width whose periods start in [from, to). */
export const METRICS_READ_LUA = `
--[[ metrics_read: the counts of one width whose periods start in [from, to) (reads only)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] period, [4] from ms, [5] to ms
Returns: { start, { field, count, ... }, ... }
]]
local reply = {}
for _, at in ipairs(redis.call('ZRANGEBYSCORE', P .. 'metrics:' .. ARGV[3], ARGV[4], '(' .. ARGV[5])) do
  reply[#reply + 1] = at
  reply[#reply + 1] = redis.call('HGETALL', P .. 'metrics:' .. ARGV[3] .. ':' .. at)
end
return reply
`;

/** Removes the counts of one width whose periods start before a time. */
export const METRICS_EXPIRE_LUA = `
--[[ metrics_expire: removes the counts of one width whose periods start before a time
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] period, [4] before ms
Returns: how many counts were removed
]]
local deleted = 0
local index = P .. 'metrics:' .. ARGV[3]
for _, at in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', '(' .. ARGV[4])) do
  local key = index .. ':' .. at
  deleted = deleted + redis.call('HLEN', key)
  redis.call('DEL', key)
  redis.call('ZREM', index, at)
end
return deleted
`;
