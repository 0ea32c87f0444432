/**
 * Adds one event to a message's audit hash and counts it in its analytics bucket, each
 * metric at most once per message, atomically, so repeated or reordered webhooks (Meta
 * retries for days; several workers may process them at once) count once.
 *
 * KEYS[1] the message's audit hash (or a click's count-once key), KEYS[2] the analytics bucket.
 * Both carry REDIS_KEY_PREFIX, whose hash tag keeps them in one cluster slot.
 * ARGV: 1 timeline field, 2 its value ('' adds none), 3 the hash's lifetime (s), 4 the bucket's
 * lifetime (s), 5 the row's field prefix (`route|template|`), 6 cost ('' when none), then pairs
 * (flag, metric). Returns 1 when the timeline field was new.
 */
export const COUNT_ONCE = `
local added = 0
if ARGV[2] ~= '' then added = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) end
local counted = 0
for i = 7, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], '1') == 1 then
    redis.call('HINCRBY', KEYS[2], ARGV[5] .. ARGV[i + 1], 1)
    counted = counted + 1
  end
end
if ARGV[6] ~= '' and redis.call('HSETNX', KEYS[1], 'c:cost', ARGV[6]) == 1 then
  redis.call('HINCRBYFLOAT', KEYS[2], ARGV[5] .. 'cost', ARGV[6])
  counted = counted + 1
end
if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if counted > 0 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
return added
`;
