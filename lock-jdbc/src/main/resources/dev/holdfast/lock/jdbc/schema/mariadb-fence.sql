-- Fencing tokens of MysqlLockProvider on MariaDB 10.6+: one sequence for all names (tokens increase across
-- all names, so per name too). Its cache is shared by all connections of the server, so values are handed
-- out in order; after a restart the unused rest of a cached chunk is skipped, never reused.
CREATE SEQUENCE IF NOT EXISTS holdfast_fence_seq CACHE 1000;
