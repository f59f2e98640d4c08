-- Holdfast release: only if this lease (owner id and token) still holds the lock.
-- KEYS[1] lock hash. ARGV[1] owner id, ARGV[2] token, ARGV[3] keep-for in milliseconds (0 = free now),
-- ARGV[4] release channel.
-- Returns 1 if released (or left to expire after keep-for), 0 if this lease no longer held it.
local held = redis.call('HMGET', KEYS[1], 'owner', 'token')
if held[1] ~= ARGV[1] or held[2] ~= ARGV[2] then
    return 0
end
if ARGV[3] ~= '0' then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return 1
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
