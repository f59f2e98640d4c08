-- Lock table of JdbcTableLockProvider on H2 2.x. Rows are never deleted by the provider: a row keeps
-- its name's fencing counter (token) between holders. Times come from the database clock.
CREATE TABLE IF NOT EXISTS holdfast_lock (
    name         VARCHAR(255) NOT NULL PRIMARY KEY,
    owner        VARCHAR(255) NOT NULL,
    token        BIGINT       NOT NULL,
    locked_at    TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    locked_until TIMESTAMP(6) WITH TIME ZONE NOT NULL
);
