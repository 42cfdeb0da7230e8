CREATE TABLE IF NOT EXISTS receipt (
    id          BIGSERIAL PRIMARY KEY,
    owner_id    BIGINT NOT NULL,
    merchant    TEXT,
    total_cents BIGINT,
    currency    CHAR(3) NOT NULL DEFAULT 'EUR',
    category    TEXT,
    image_path  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS line_item (
    id          BIGSERIAL PRIMARY KEY,
    receipt_id  BIGINT NOT NULL REFERENCES receipt(id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    amount_cents BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS receipt_owner_created ON receipt (owner_id, created_at);
