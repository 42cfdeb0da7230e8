CREATE TABLE IF NOT EXISTS category (
    name TEXT PRIMARY KEY
);

INSERT INTO category (name) VALUES
    ('groceries'), ('travel'), ('meals'), ('office'), ('fuel'), ('other')
ON CONFLICT DO NOTHING;
