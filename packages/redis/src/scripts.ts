/**
 * Appends a batch atomically while the stream is below its bound. ARGV: maxLen, then the batch as ONE
 * string, the encoded events joined by "\n" (JSON never holds a raw newline), so the client encodes
 * one argument per batch, not one per event. Returns how many were stored: the first n; the rest found
 * the stream full (the length only grows within the script) and are not stored. One script per batch:
 * one round trip, and with `appendfsync always` the whole batch is on disk before the reply.
 */
export const APPEND_SCRIPT = `
local max = tonumber(ARGV[1])
local len = redis.call('XLEN', KEYS[1])
local stored = 0
for entry in string.gmatch(ARGV[2], '[^\\n]+') do
  if len >= max then break end
  redis.call('XADD', KEYS[1], '*', 'e', entry)
  len = len + 1
  stored = stored + 1
end
return stored
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
