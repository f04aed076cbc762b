-- The fleet's 429 pause (`fleet-pause.ts`): KEYS[1] the pause key, ARGV[1] the pause in ms. Keeps the
-- longer of the stored and the new pause, so a short Retry-After never cuts a longer one short.

local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  return 1
end
return 0
