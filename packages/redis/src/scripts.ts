/**
 * Appends a batch atomically while the stream is below its bound. ARGV: maxLen, then the batch as ONE
 * string, the encoded events joined by "\n" (JSON never holds a raw newline), so the client encodes
 * one argument per batch, not one per event. Returns how many were stored: the first n; the rest found
 * the stream full (the length only grows within the script) and are not stored. One script per batch:
 * one round trip, and with `appendfsync always` the whole batch is on disk before the reply.
 *
 * Once per batch: KEYS[2] is the batch's marker (ARGV[3] its time to live, ms). A retry of a batch
 * whose reply was lost (Redis ran it, the connection dropped) finds the marker and returns the first
 * run's count instead of appending the events again; KEYS[3], when given, is the previous batch's
 * marker, deleted because its reply arrived. So an app holds one marker at a time.
 */
export const APPEND_SCRIPT = `
local done = redis.call('GET', KEYS[2])
if done then return tonumber(done) end
local max = tonumber(ARGV[1])
local len = redis.call('XLEN', KEYS[1])
local stored = 0
for entry in string.gmatch(ARGV[2], '[^\\n]+') do
  if len >= max then break end
  redis.call('XADD', KEYS[1], '*', 'e', entry)
  len = len + 1
  stored = stored + 1
end
redis.call('SET', KEYS[2], stored, 'PX', ARGV[3])
if KEYS[3] then redis.call('DEL', KEYS[3]) end
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

/**
 * Closes a forwarder's aggregation window (`fluxrate-forwarder --aggregate`), all or nothing: when every
 * input is still pending on this consumer, XADDs the aggregates and XACK+XDELs the inputs; otherwise
 * (an input was taken over, or a retried call already closed the window) writes nothing and hands the
 * inputs it still owns back to the group, so whoever takes them aggregates them again. Inputs are
 * therefore gone iff their aggregate is in the stream. ARGV: group, consumer, idle ms for handed-back
 * entries, the number of aggregates n, n encoded aggregates, then the input ids. Returns
 * `{1, aggregate ids…}` when written, `{0, lost, handed back}` when not.
 */
export const AGGREGATE_SCRIPT = `
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local n = tonumber(ARGV[4])
local mine, lost = {}, 0
for i = 5 + n, #ARGV do
  local p = redis.call('XPENDING', stream, group, ARGV[i], ARGV[i], 1, consumer)
  if #p == 1 then mine[#mine + 1] = ARGV[i] else lost = lost + 1 end
end
-- At most 500 ids per call (Lua's unpack has a stack limit).
local function chunks(list, fn)
  for i = 1, #list, 500 do
    local part = {}
    for j = i, math.min(i + 499, #list) do part[#part + 1] = list[j] end
    fn(part)
  end
end
if lost > 0 then
  chunks(mine, function(part)
    local args = {'XCLAIM', stream, group, consumer, '0'}
    for _, id in ipairs(part) do args[#args + 1] = id end
    args[#args + 1] = 'IDLE'
    args[#args + 1] = ARGV[3]
    args[#args + 1] = 'JUSTID'
    redis.call(unpack(args))
  end)
  return {0, lost, #mine}
end
local out = {1}
for i = 5, 4 + n do out[#out + 1] = redis.call('XADD', stream, '*', 'e', ARGV[i]) end
chunks(mine, function(part)
  redis.call('XACK', stream, group, unpack(part))
  redis.call('XDEL', stream, unpack(part))
end)
return out
`;

/**
 * The fleet's 429 pause (`fleet-pause.ts`): KEYS[1] the pause key, ARGV[1] the pause in ms. Keeps the
 * longer of the stored and the new pause, so a short Retry-After never cuts a longer one short.
 */
export const PAUSE_SCRIPT = `
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  return 1
end
return 0
`;
