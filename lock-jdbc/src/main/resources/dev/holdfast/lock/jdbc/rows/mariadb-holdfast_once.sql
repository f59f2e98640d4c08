-- Idempotency keys of Once on MariaDB 10.6+. A row commits together with the work it guards; result holds
-- the work's encoded result. Times are UTC from the database clock. utf8mb4_nopad_bin: keys compare byte
-- for byte (no case folding, trailing spaces count).
CREATE TABLE IF NOT EXISTS holdfast_once (
    once_key   VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL PRIMARY KEY,
    result     LONGBLOB,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL
);
