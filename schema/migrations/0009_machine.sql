-- Schema version 9: machine raters. A machine rater is a rater of kind 'machine' with a recorded
-- configuration (its backend, endpoint, model and parameters). Its labels are ordinary decisions
-- of that rater, so agreement, reconcile, rounds, reports and exports count them like anyone's.
-- Every run of it keeps what a methods section needs: the backend, endpoint, model and the
-- version the server reported, the parameters, the prompt template and its hash, the codebook's
-- version and hash, times and tokens; and for each unit the raw answer, the rationale, the
-- confidence, the validated codes, or why the answer was refused. An answer is stored as it
-- arrives (one transaction each), so a killed run resumes without asking a unit twice.

ALTER TABLE rater ADD COLUMN kind TEXT NOT NULL DEFAULT 'human' CHECK (kind IN ('human', 'machine'));

-- The configuration of a machine rater (one row per rater of kind 'machine').
CREATE TABLE machine_rater (
    rater_id   INTEGER PRIMARY KEY REFERENCES rater (id) ON DELETE CASCADE,
    backend    TEXT NOT NULL CHECK (backend IN ('openai', 'local')),
    config     TEXT NOT NULL,          -- JSON: endpoint, model, temperature, seed, max_chars, ...; never a key
    created_at TEXT NOT NULL
) STRICT;

-- One run of a machine rater over units of one dimension.
CREATE TABLE machine_run (
    id               INTEGER PRIMARY KEY,
    rater_id         INTEGER NOT NULL REFERENCES rater (id),
    backend          TEXT NOT NULL,
    endpoint         TEXT,             -- openai: the base URL asked
    model            TEXT,             -- openai: the model asked for; local: the classifier
    model_version    TEXT,             -- what the server reported (system_fingerprint, model)
    parameters       TEXT NOT NULL,    -- JSON: temperature, seed, max_chars, attempts, ...
    prompt_template  TEXT NOT NULL,    -- the template the prompts were built from
    prompt_sha256    TEXT NOT NULL,
    codebook_version TEXT NOT NULL,
    codebook_sha256  TEXT NOT NULL,    -- SHA-256 of the dimension's codebook text as sent
    dimension        TEXT NOT NULL REFERENCES dimension (id),
    units            TEXT NOT NULL,    -- JSON array: the units this run asks, in order
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    tokens_in        INTEGER NOT NULL DEFAULT 0,
    tokens_out       INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('unfinished', 'done')),
    evaluation       TEXT              -- local: the cross-validation report (JSON)
) STRICT;
CREATE INDEX machine_run_rater ON machine_run (rater_id);

-- One answer of a run for one unit: a label (status 'ok', its codes became the rater's decision)
-- or a recorded failure (never a decision).
CREATE TABLE machine_answer (
    run_id        INTEGER NOT NULL REFERENCES machine_run (id) ON DELETE CASCADE,
    unit          TEXT NOT NULL,       -- the unit's public name (kept if the project goes)
    raw           TEXT,                -- the model's answer as received (bounded)
    rationale     TEXT,
    confidence    REAL,
    codes         TEXT,                -- JSON array of code ids; NULL when failed
    status        TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error         TEXT,                -- why it failed
    finish_reason TEXT,
    attempts      INTEGER NOT NULL,
    tokens_in     INTEGER,
    tokens_out    INTEGER,
    truncated     INTEGER NOT NULL DEFAULT 0,  -- the unit's text was cut to fit the bound
    answered_at   TEXT NOT NULL,
    PRIMARY KEY (run_id, unit)
) STRICT;
