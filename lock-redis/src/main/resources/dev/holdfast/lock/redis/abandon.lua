-- Holdfast abandon: give up an acquire attempt whose outcome the client does not know (interrupted, or
-- no reply in time). Deletes the lock only if this attempt's owner id holds it, and remembers the owner
-- as gone, so a copy of the acquire that reaches the server later is refused instead of granted.
-- KEYS[1] lock hash, KEYS[2] the owner id that last gave the lock up (same slot).
-- ARGV[1] owner id, ARGV[2] release channel, ARGV[3] how long to remember the owner, in milliseconds.
-- Returns 1 if the attempt had taken the lock (now freed), 0 if not.
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
local held = redis.call('HMGET', KEYS[1], 'owner', 'token')
if held[1] ~= ARGV[1] then
    return 0
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], held[2])
return 1
