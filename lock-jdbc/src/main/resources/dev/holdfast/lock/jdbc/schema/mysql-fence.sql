-- Fencing counters of MysqlLockProvider (MySQL 8, MariaDB 10.6+): one row per lock key.
CREATE TABLE IF NOT EXISTS holdfast_fence (
    lock_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    token    BIGINT NOT NULL
);
