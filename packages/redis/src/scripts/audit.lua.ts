/**
 * Scripts of the audit log: `audit` is a list of entries (JSON), newest first, and `auditseq` the
 * number of the latest. Entries are removed only from the old end, so the entry numbered `s` is at
 * index `latest - s`.
 */

/** Appends an entry and keeps the latest ones. */
export const AUDIT_APPEND_LUA = `
--[[ audit_append: numbers and stamps an entry, pushes it and trims the list to the latest kept
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] entry JSON (without seq and at), [4] how many to keep
Returns: { seq, at }
]]
local seq = redis.call('INCR', P .. 'auditseq')
local entry = cjson.decode(ARGV[3])
entry.seq = seq
entry.at = NOW
redis.call('LPUSH', P .. 'audit', cjson.encode(entry))
redis.call('LTRIM', P .. 'audit', 0, tonumber(ARGV[4]) - 1)
return { seq, NOW }
`;

/** Lists entries newest first. */
export const AUDIT_LIST_LUA = `
--[[ audit_list: the latest entries, newest first, from those numbered below 'before' (reads only)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] limit, [4] before or ''
Returns: entry JSON, ...
]]
local latest = tonumber(redis.call('GET', P .. 'auditseq') or '0')
local start = 0
if ARGV[4] ~= '' then start = math.max(0, latest - tonumber(ARGV[4]) + 1) end
return redis.call('LRANGE', P .. 'audit', start, start + tonumber(ARGV[3]) - 1)
`;
