-- Appends a batch atomically while the stream is below its bound. ARGV: maxLen, then the batch as ONE
-- string, the encoded events joined by "\n" (JSON never holds a raw newline), so the client encodes
-- one argument per batch, not one per event. Returns how many were stored: the first n; the rest found
-- the stream full (the length only grows within the script) and are not stored. One script per batch:
-- one round trip, and with `appendfsync always` the whole batch is on disk before the reply.
--
-- Once per batch: KEYS[2] is the batch's marker (ARGV[3] its time to live, ms). A retry of a batch
-- whose reply was lost (Redis ran it, the connection dropped) finds the marker and returns the first
-- run's count instead of appending the events again; KEYS[3], when given, is the previous batch's
-- marker, deleted because its reply arrived. So an app holds one marker at a time.

local done = redis.call('GET', KEYS[2])
if done then return tonumber(done) end
local max = tonumber(ARGV[1])
local len = redis.call('XLEN', KEYS[1])
local stored = 0
for entry in string.gmatch(ARGV[2], '[^\n]+') do
  if len >= max then break end
  redis.call('XADD', KEYS[1], '*', 'e', entry)
  len = len + 1
  stored = stored + 1
end
redis.call('SET', KEYS[2], stored, 'PX', ARGV[3])
if KEYS[3] then redis.call('DEL', KEYS[3]) end
return stored
