-- Lock table of JdbcTableLockProvider on MariaDB 10.6+. Rows are never deleted by the provider: a row keeps
-- its name's fencing counter (token) between holders. Times are UTC from the database clock.
-- utf8mb4_nopad_bin: names compare byte for byte (no case folding, trailing spaces count).
CREATE TABLE IF NOT EXISTS holdfast_lock (
    name         VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL PRIMARY KEY,
    owner        VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
    token        BIGINT      NOT NULL,
    locked_at    DATETIME(6) NOT NULL,
    locked_until DATETIME(6) NOT NULL
);
