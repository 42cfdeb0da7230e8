-- Codebench study file, schema version 1.
-- Applied by `codebench::study` inside one transaction; never edited once released:
-- later changes go in a new numbered file.

-- Key/value facts about the study file itself (format, creation time, codebook id).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The study's codebook: one row, its identity and version.
CREATE TABLE codebook (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE dimension (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (name <> ''),
    unit        TEXT NOT NULL CHECK (unit IN ('project', 'dockerfile')),
    cardinality TEXT NOT NULL CHECK (cardinality IN ('one', 'many')),
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL
) STRICT;

CREATE TABLE code (
    dimension  TEXT NOT NULL REFERENCES dimension (id),
    id         TEXT NOT NULL,
    name       TEXT NOT NULL CHECK (name <> ''),
    definition TEXT NOT NULL DEFAULT '',
    include    TEXT NOT NULL DEFAULT '',
    exclude    TEXT NOT NULL DEFAULT '',
    example    TEXT NOT NULL DEFAULT '',
    aliases    TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    grp        TEXT,
    parent     TEXT,
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'proposed', 'retired')),
    position   INTEGER NOT NULL,
    PRIMARY KEY (dimension, id),
    FOREIGN KEY (dimension, parent) REFERENCES code (dimension, id)
) STRICT;

-- A repository under study.
CREATE TABLE project (
    id          INTEGER PRIMARY KEY,
    full_name   TEXT NOT NULL UNIQUE,          -- owner/name
    source      TEXT NOT NULL,                 -- 'local' | 'github' | 'sample'
    location    TEXT,                          -- checkout path or API URL it came from
    metadata    TEXT NOT NULL DEFAULT '{}',    -- JSON: description, stars, ...
    changed     INTEGER NOT NULL DEFAULT 0,    -- upstream moved since the first snapshot
    problem     TEXT,                          -- why the last import of it was incomplete
    created_at  TEXT NOT NULL
) STRICT;

-- What was read of a project at one commit. A re-import at a new commit adds a snapshot;
-- the old one, and the decisions made on it, stay.
CREATE TABLE snapshot (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES project (id),
    commit_sha  TEXT,                          -- NULL when the source was not a git checkout
    fetched_at  TEXT NOT NULL
) STRICT;
CREATE INDEX snapshot_project ON snapshot (project_id);

-- Text contents, addressed by their SHA-256, shared between snapshots.
CREATE TABLE content (
    sha256 TEXT PRIMARY KEY,
    text   TEXT NOT NULL
) STRICT;

CREATE TABLE file (
    id          INTEGER PRIMARY KEY,
    snapshot_id INTEGER NOT NULL REFERENCES snapshot (id),
    role        TEXT NOT NULL CHECK (role IN ('readme', 'dockerfile', 'compose', 'workflow')),
    path        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT REFERENCES content (sha256),  -- NULL unless status = 'stored'
    status      TEXT NOT NULL CHECK (status IN ('stored', 'too_large', 'binary', 'not_utf8')),
    UNIQUE (snapshot_id, role, path)
) STRICT;

-- What a decision is about: a project (dimension unit 'project') or one of its Dockerfiles
-- (unit 'dockerfile'). Keyed by the public unit name: `owner/name` or `owner/name:path`.
CREATE TABLE unit (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES project (id),
    kind        TEXT NOT NULL CHECK (kind IN ('project', 'dockerfile')),
    path        TEXT,                          -- the Dockerfile's path, NULL for a project
    name        TEXT NOT NULL UNIQUE,
    CHECK ((kind = 'project') = (path IS NULL))
) STRICT;
CREATE INDEX unit_project ON unit (project_id);

CREATE TABLE rater (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE CHECK (name <> ''),
    created_at TEXT NOT NULL
) STRICT;

-- The current decision of one rater on one unit for one dimension. Its history is in `history`.
CREATE TABLE decision (
    id          INTEGER PRIMARY KEY,
    rater_id    INTEGER NOT NULL REFERENCES rater (id),
    unit_id     INTEGER NOT NULL REFERENCES unit (id),
    dimension   TEXT NOT NULL REFERENCES dimension (id),
    snapshot_id INTEGER REFERENCES snapshot (id),  -- what the rater was reading
    memo        TEXT NOT NULL DEFAULT '',
    flagged     INTEGER NOT NULL DEFAULT 0,
    coded_at    TEXT NOT NULL,
    UNIQUE (rater_id, unit_id, dimension)
) STRICT;

CREATE TABLE decision_code (
    decision_id INTEGER NOT NULL REFERENCES decision (id) ON DELETE CASCADE,
    dimension   TEXT NOT NULL,
    code        TEXT NOT NULL,
    PRIMARY KEY (decision_id, code),
    FOREIGN KEY (dimension, code) REFERENCES code (dimension, id)
) STRICT;

-- Append-only record of every change. Triggers below refuse updates and deletes.
CREATE TABLE history (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,       -- rater name, or 'system'
    action   TEXT NOT NULL,       -- e.g. 'decision.set', 'project.import', 'rater.add'
    subject  TEXT NOT NULL,       -- what it is about, e.g. 'alice|owner/name|kind'
    old      TEXT,                -- JSON before, NULL when new
    new      TEXT                 -- JSON after, NULL when removed
) STRICT;

CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
