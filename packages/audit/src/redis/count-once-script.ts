/**
 * Appends one event to a message's timeline and counts it in its analytics bucket, each
 * metric at most once per message, atomically, so repeated or reordered webhooks (Meta
 * retries for days; several workers may process them at once) count once.
 *
 * The timeline is a LIST (Redis keeps small lists compact whatever the length of an element,
 * where a hash with one value over 64 bytes is not, and a list keeps the order received):
 * entries `<field> <json>` (`s:delivered {...}`, `k:<click id> {...}`), each field once, and
 * count-once flags `c:<metric>`. A message has a dozen elements at most, so the scan is cheap.
 *
 * KEYS[1] the message's timeline (or a click's count-once key), KEYS[2] the analytics bucket.
 * Both carry REDIS_KEY_PREFIX, whose hash tag keeps them in one cluster slot.
 * ARGV: 1 timeline field, 2 its JSON ('' adds no entry), 3 the timeline's lifetime (s), 4 the
 * bucket's lifetime (s), 5 the row's field prefix (`route|template|`), 6 cost ('' when none),
 * then pairs (flag, metric). Returns 1 when the entry was new.
 */
export const COUNT_ONCE = `
local have = {}
for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local space = string.find(item, ' ', 1, true)
  have[space and string.sub(item, 1, space - 1) or item] = true
end
local added = 0
if ARGV[2] ~= '' and not have[ARGV[1]] then
  redis.call('RPUSH', KEYS[1], ARGV[1] .. ' ' .. ARGV[2])
  added = 1
end
local counted = 0
for i = 7, #ARGV, 2 do
  if not have[ARGV[i]] then
    have[ARGV[i]] = true
    redis.call('RPUSH', KEYS[1], ARGV[i])
    redis.call('HINCRBY', KEYS[2], ARGV[5] .. ARGV[i + 1], 1)
    counted = counted + 1
  end
end
if ARGV[6] ~= '' and not have['c:cost'] then
  redis.call('RPUSH', KEYS[1], 'c:cost')
  redis.call('HINCRBYFLOAT', KEYS[2], ARGV[5] .. 'cost', ARGV[6])
  counted = counted + 1
end
if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if counted > 0 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
return added
`;
