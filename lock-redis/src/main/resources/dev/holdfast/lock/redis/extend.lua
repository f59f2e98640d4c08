-- Holdfast renew/extend: reset the lease time, only if this lease (owner id and token) still holds it.
-- KEYS[1] lock hash. ARGV[1] owner id, ARGV[2] token, ARGV[3] lease time in milliseconds (integer >= 1).
-- Returns 1 if renewed, 0 if this lease no longer holds the lock (expired, deleted, taken by another).
local held = redis.call('HMGET', KEYS[1], 'owner', 'token')
if held[1] ~= ARGV[1] or held[2] ~= ARGV[2] then
    return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
