-- Closes a forwarder's aggregation window (`fluxrate-forwarder --aggregate`), all or nothing: when every
-- input is still pending on this consumer, XADDs the aggregates and XACK+XDELs the inputs; otherwise
-- (an input was taken over, or a retried call already closed the window) writes nothing and hands the
-- inputs it still owns back to the group, so whoever takes them aggregates them again. Inputs are
-- therefore gone iff their aggregate is in the stream. ARGV: group, consumer, idle ms for handed-back
-- entries, the number of aggregates n, n encoded aggregates, then the input ids. Returns
-- `{1, aggregate ids…}` when written, `{0, lost, handed back}` when not.

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
