/** Scripts of server announcements: `servers` holds each server's record (JSON), `beats` its last heartbeat. */

/** Announces a server or refreshes its heartbeat. */
export const SERVER_HEARTBEAT_LUA = `
--[[ server_heartbeat: announces a server or refreshes its heartbeat at now
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] server id, [4] server record JSON (without the heartbeat)
Returns: 1
]]
redis.call('HSET', P .. 'servers', ARGV[3], ARGV[4])
redis.call('ZADD', P .. 'beats', NOW, ARGV[3])
return 1
`;

/** Removes one server's record. */
export const SERVER_REMOVE_LUA = `
--[[ server_remove: removes one server's record
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] server id
Returns: 1
]]
redis.call('HDEL', P .. 'servers', ARGV[3])
redis.call('ZREM', P .. 'beats', ARGV[3])
return 1
`;

/** Removes servers whose heartbeat is too old. */
export const SERVERS_REMOVE_DEAD_LUA = `
--[[ servers_remove_dead: removes servers whose heartbeat is older than the timeout
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin, [3] timeout ms
Returns: the removed ids
]]
local dead = redis.call('ZRANGEBYSCORE', P .. 'beats', '-inf', '(' .. (NOW - tonumber(ARGV[3])))
for _, id in ipairs(dead) do
  redis.call('HDEL', P .. 'servers', id)
  redis.call('ZREM', P .. 'beats', id)
end
return dead
`;

/** Lists live servers. */
export const SERVERS_LIST_LUA = `
--[[ servers_list: every announced server with its heartbeat (reads only)
KEYS:    [1] key base
ARGV:    [1] now or '', [2] origin
Returns: { id, record JSON, ... }, { id, heartbeat ms, ... }
]]
return { redis.call('HGETALL', P .. 'servers'), redis.call('ZRANGE', P .. 'beats', 0, -1, 'WITHSCORES') }
`;
