/**
 * Appends a batch atomically while the stream is below its bound. ARGV: maxLen, then one encoded
 * event each (field `e`). Returns per event its entry id, or 0 when the stream was full (the event is
 * not stored). One script per batch: one round trip, and with `appendfsync always` the whole batch is
 * on disk before the reply.
 */
export const APPEND_SCRIPT = `
local max = tonumber(ARGV[1])
local len = redis.call('XLEN', KEYS[1])
local out = {}
for i = 2, #ARGV do
  if len < max then
    out[#out + 1] = redis.call('XADD', KEYS[1], '*', 'e', ARGV[i])
    len = len + 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/**
 * Settles entries: acknowledged in the group and deleted from the stream in one step, so the stream's
 * length is exactly what the fleet still holds (the bound `maxLen` counts only unsettled entries).
 * ARGV: group, then the ids.
 */
export const ACK_SCRIPT = `
redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
`;
