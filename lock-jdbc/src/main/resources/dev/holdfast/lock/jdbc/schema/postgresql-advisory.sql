-- Fencing tokens of PostgresAdvisoryLockProvider and PostgresTransactionLocks: one sequence for all names
-- (tokens increase across all names, so per name too). Keep the default CACHE 1: a cache would let
-- sessions hand out tokens out of order.
CREATE SEQUENCE IF NOT EXISTS holdfast_fence_seq;
