-- Holdfast inspect: who holds the lock. KEYS[1] lock hash.
-- Returns nil when free, else {owner, token, since (server microseconds), remaining milliseconds}.
local held = redis.call('HMGET', KEYS[1], 'owner', 'token', 'since')
if held[1] == false then
    return false
end
return {held[1], held[2], held[3] or '0', tostring(redis.call('PTTL', KEYS[1]))}
