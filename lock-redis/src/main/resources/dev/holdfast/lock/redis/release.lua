-- Holdfast release: only if this lease (owner id and token) still holds the lock.
-- KEYS[1] lock hash, KEYS[2] the owner ids that recently gave the lock up (sorted set, score = server
-- time in ms until which the owner counts as gone; same slot).
-- ARGV[1] owner id, ARGV[2] token, ARGV[3] keep-for in milliseconds (0 = free now), ARGV[4] release
-- channel, ARGV[5] how long to remember a releasing owner, in milliseconds.
-- Returns 1 if released now (or left to expire after keep-for); 2 if this owner had already released it
-- (a resent copy of this release: the client may send it more than once when a reply is late, and other
-- owners may have taken and released the lock in between); 0 if it is gone (expired or deleted);
-- -1 if another owner holds it.
local held = redis.call('HMGET', KEYS[1], 'owner', 'token')
if held[1] == ARGV[1] and held[2] == ARGV[2] then
    if redis.replicate_commands then
        redis.replicate_commands() -- Redis < 5: replicate effects, as TIME is not deterministic
    end
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local keep = tonumber(ARGV[3])
    local memory = tonumber(ARGV[5])
    redis.call('ZADD', KEYS[2], now + keep, ARGV[1])
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - memory)
    if redis.call('PTTL', KEYS[2]) < keep + memory then
        redis.call('PEXPIRE', KEYS[2], keep + memory)
    end
    if keep > 0 then
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
    end
    redis.call('DEL', KEYS[1])
    redis.call('PUBLISH', ARGV[4], ARGV[2])
    return 1
end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) ~= false then
    return 2
end
if held[1] == false then
    return 0
end
return -1
