-- Holdfast abandon: give up an acquire attempt whose outcome the client does not know (interrupted, or
-- no reply in time). Deletes the lock only if this attempt's owner id holds it, and records the owner as
-- gone, so a copy of the acquire that reaches the server later is refused instead of granted.
-- KEYS[1] lock hash, KEYS[2] the owner ids that recently gave the lock up (sorted set, score = server
-- time in ms; same slot).
-- ARGV[1] owner id, ARGV[2] release channel, ARGV[3] how long to remember the owner, in milliseconds.
-- Returns 1 if the attempt had taken the lock (now freed), 0 if not.
if redis.replicate_commands then
    redis.replicate_commands() -- Redis < 5: replicate effects, as TIME is not deterministic
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local memory = tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - memory)
if redis.call('PTTL', KEYS[2]) < memory then
    redis.call('PEXPIRE', KEYS[2], memory)
end
local held = redis.call('HMGET', KEYS[1], 'owner', 'token')
if held[1] ~= ARGV[1] then
    return 0
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], held[2])
return 1
