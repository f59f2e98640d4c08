-- Fencing counters of MysqlLockProvider on MySQL 8 (MariaDB uses mariadb-fence.sql): one row per lock key.
CREATE TABLE IF NOT EXISTS holdfast_fence (
    lock_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    token    BIGINT NOT NULL
);
