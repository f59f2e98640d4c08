-- Holdfast release: only if this lease (owner id and token) still holds the lock.
-- KEYS[1] lock hash, KEYS[2] the owner id that last gave the lock up (same slot).
-- ARGV[1] owner id, ARGV[2] token, ARGV[3] keep-for in milliseconds (0 = free now), ARGV[4] release
-- channel, ARGV[5] how long to remember the releasing owner, in milliseconds.
-- Returns 1 if released now (or left to expire after keep-for); 2 if this owner had already released it
-- (a resent copy of this release: the client may send it more than once when a reply is late);
-- 0 if it is gone (expired or deleted); -1 if another owner holds it.
local held = redis.call('HMGET', KEYS[1], 'owner', 'token')
if held[1] == ARGV[1] and held[2] == ARGV[2] then
    if ARGV[3] ~= '0' then
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        redis.call('SET', KEYS[2], ARGV[1], 'PX', tonumber(ARGV[3]) + tonumber(ARGV[5]))
        return 1
    end
    redis.call('DEL', KEYS[1])
    redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[5])
    redis.call('PUBLISH', ARGV[4], ARGV[2])
    return 1
end
if redis.call('GET', KEYS[2]) == ARGV[1] then
    return 2
end
if held[1] == false then
    return 0
end
return -1
