-- Idempotency keys of Once on PostgreSQL. A row commits together with the work it guards; result holds the
-- work's encoded result. Rows past expires_at may be taken over by a new run or deleted by purgeExpired().
CREATE TABLE IF NOT EXISTS holdfast_once (
    once_key   VARCHAR(255) NOT NULL PRIMARY KEY,
    result     BYTEA,
    created_at TIMESTAMPTZ  NOT NULL,
    expires_at TIMESTAMPTZ  NOT NULL
);
