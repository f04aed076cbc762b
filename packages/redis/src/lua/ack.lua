-- Settles entries: acknowledged in the group and deleted from the stream in one step, so the stream's
-- length is exactly what the fleet still holds (the bound `maxLen` counts only unsettled entries).
-- ARGV: group, then the ids.

redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
