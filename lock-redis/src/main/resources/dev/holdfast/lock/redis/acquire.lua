-- Holdfast acquire: take the lock if it is free and assign the next fencing token.
-- KEYS[1] lock hash (owner, token, since), KEYS[2] fence counter, KEYS[3] the owner ids that recently gave
-- the lock up (released or abandoned it; a sorted set by server time in ms, short-lived); all in one slot.
-- ARGV[1] owner id (unique per acquire attempt), ARGV[2] lease time in milliseconds (integer >= 1).
-- Returns the token (> 0), or nil when another owner holds the lock.
--
-- Idempotent per owner: the client may send this script more than once for one attempt (Redisson resends
-- a command whose reply is late, and the server runs every copy). A copy that finds the lock already held
-- by ARGV[1] returns that grant's token instead of "busy"; a copy that arrives after this owner gave the
-- lock up (KEYS[3] has it) is refused, so a late copy never takes the lock again for nobody.
--
-- Token = max(counter + 1, server TIME in microseconds). While the counter survives it only grows;
-- if it is lost (restart without persistence, failover to a replica that never saw it) the next token
-- starts from the server clock, which is above every earlier token unless that server's clock is behind
-- the clock that issued them or earlier grants outran one per microsecond.
local held = redis.call('HMGET', KEYS[1], 'owner', 'token')
if held[1] ~= false then
    if held[1] == ARGV[1] then
        return tonumber(held[2])
    end
    return false
end
if redis.call('ZSCORE', KEYS[3], ARGV[1]) ~= false then
    return false
end
if redis.replicate_commands then
    redis.replicate_commands() -- Redis < 5: replicate effects, as TIME is not deterministic
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local stored = redis.call('GET', KEYS[2])
local token
if stored == false then
    token = now
else
    local current = tonumber(stored)
    if current == nil then
        return redis.error_reply('HOLDFAST fence counter is not a number')
    end
    if current < now then
        token = now
    else
        token = redis.call('INCR', KEYS[2])
    end
end
local tokenText = string.format('%.0f', token)
if token == now then
    redis.call('SET', KEYS[2], tokenText)
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', tokenText, 'since', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token
