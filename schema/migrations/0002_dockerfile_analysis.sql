-- Schema version 2: Dockerfile analyses, and a codebook revision counter.

-- The analysis of one Dockerfile text (codebench-dockerfile's JSON), keyed by the text's
-- SHA-256 so a Dockerfile shared by snapshots or projects is analysed once. `analyzer` is the
-- analyzer's version: a newer analyzer recomputes (`codebench metrics run --dockerfiles`).
CREATE TABLE dockerfile_analysis (
    sha256       TEXT PRIMARY KEY REFERENCES content (sha256),
    analyzer     TEXT NOT NULL,
    analysis     TEXT NOT NULL,          -- JSON, schema/dockerfile-analysis.schema.json
    instructions INTEGER NOT NULL,
    stages       INTEGER NOT NULL,
    errors       INTEGER NOT NULL,
    partial      INTEGER NOT NULL,        -- 1: no FROM (a fragment other tooling assembles)
    analyzed_at  TEXT NOT NULL
) STRICT;

-- Bumped by every change to the codebook tables, so an open study can tell its cached
-- codebook is stale (the app and the CLI may share the file).
INSERT INTO meta (key, value) VALUES ('codebook_rev', '0');
CREATE TRIGGER code_rev_i AFTER INSERT ON code BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'codebook_rev'; END;
CREATE TRIGGER code_rev_u AFTER UPDATE ON code BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'codebook_rev'; END;
CREATE TRIGGER code_rev_d AFTER DELETE ON code BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'codebook_rev'; END;
CREATE TRIGGER dimension_rev_u AFTER UPDATE ON dimension BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'codebook_rev'; END;
