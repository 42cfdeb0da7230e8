-- Schema version 8: the corpus selection funnel (GitHub search, filters, a seeded sample, accept)
-- and Docker Hub repositories as evidence.
--
-- A study holds one selection: an ordered list of steps. Every answer a step got from GitHub or
-- Docker Hub is stored as it arrives (each count, each page, each check in its own transaction),
-- so a killed step resumes without asking anything twice. A step's output is the search's
-- candidates minus every repository excluded at that step or before.

CREATE TABLE selection_step (
    id          INTEGER PRIMARY KEY,
    position    INTEGER NOT NULL UNIQUE CHECK (position > 0),  -- 1-based order of the funnel
    kind        TEXT NOT NULL CHECK (kind IN ('search', 'filter', 'sample', 'accept')),
    criterion   TEXT,                  -- filter: min_commits, min_releases, not_archived, ...
    parameters  TEXT NOT NULL,         -- JSON: the query and its fixed created: range, the criterion, size and seed...
    api_url     TEXT,                  -- the GitHub API asked (none for steps that ask nothing)
    hub_url     TEXT,                  -- the Docker Hub asked (has_hub_image)
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('unfinished', 'done', 'failed')),
    count_in    INTEGER,               -- repositories that went in (search: GitHub's total_count)
    count_out   INTEGER,               -- repositories that came out
    requests    INTEGER NOT NULL DEFAULT 0,  -- HTTP requests sent for the step, over all its runs
    error       TEXT                   -- why it is unfinished or failed
) STRICT;

-- search: every total_count asked while planning the created: slices.
CREATE TABLE search_count (
    step_id     INTEGER NOT NULL REFERENCES selection_step (id) ON DELETE CASCADE,
    query       TEXT NOT NULL,
    total_count INTEGER NOT NULL,
    incomplete  INTEGER NOT NULL,
    asked_at    TEXT NOT NULL,
    PRIMARY KEY (step_id, query)
) STRICT;

-- search: the slices of the plan (each at most 1,000 results) and how far each was fetched.
CREATE TABLE search_slice (
    step_id       INTEGER NOT NULL REFERENCES selection_step (id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    created_from  TEXT,                -- NULL when the query was one slice without a qualifier
    created_to    TEXT,
    query         TEXT NOT NULL,
    planned_total INTEGER NOT NULL,
    over_cap      INTEGER NOT NULL,    -- more than 1,000 created within one second
    pages         INTEGER NOT NULL DEFAULT 0,  -- pages stored so far
    total_count   INTEGER,             -- total_count of the last page stored
    hits          INTEGER NOT NULL DEFAULT 0,
    invalid_items INTEGER NOT NULL DEFAULT 0,
    incomplete    INTEGER NOT NULL DEFAULT 0,
    fetched_at    TEXT,                -- set when the slice's last page is stored
    PRIMARY KEY (step_id, idx)
) STRICT;

-- search: the repositories found, as the search API described them.
CREATE TABLE selection_candidate (
    step_id        INTEGER NOT NULL REFERENCES selection_step (id) ON DELETE CASCADE,
    repo_id        INTEGER NOT NULL,   -- GitHub's numeric id, stable across renames
    full_name      TEXT NOT NULL,
    created_at     TEXT,
    pushed_at      TEXT,
    stars          INTEGER NOT NULL,
    fork           INTEGER NOT NULL,
    archived       INTEGER NOT NULL,
    language       TEXT,
    default_branch TEXT,
    topics         TEXT NOT NULL DEFAULT '[]',  -- JSON array
    description    TEXT,
    html_url       TEXT NOT NULL DEFAULT '',
    slice_idx      INTEGER NOT NULL,
    PRIMARY KEY (step_id, repo_id)
) STRICT;

-- filter: one answer per repository checked (a count, a tree's Dockerfiles, the Hub names
-- tried), or a lasting failure (gone, blocked, empty). Transient failures are not stored: the
-- step stays unfinished and checks them when run again.
CREATE TABLE selection_check (
    step_id    INTEGER NOT NULL REFERENCES selection_step (id) ON DELETE CASCADE,
    repo_id    INTEGER NOT NULL,
    value      TEXT,                   -- JSON answer
    failure    TEXT,                   -- lasting failure kind (not-found, blocked, empty...)
    message    TEXT,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (step_id, repo_id)
) STRICT;

-- Every repository a step left out, with the reason.
CREATE TABLE selection_excluded (
    step_id   INTEGER NOT NULL REFERENCES selection_step (id) ON DELETE CASCADE,
    repo_id   INTEGER NOT NULL,
    full_name TEXT NOT NULL,
    reason    TEXT NOT NULL,
    PRIMARY KEY (step_id, repo_id)
) STRICT;

-- Re-runs of the whole selection against today's GitHub: what changed, vanished or newly matches.
CREATE TABLE selection_drift (
    id            INTEGER PRIMARY KEY,
    ran_at        TEXT NOT NULL,
    created_until TEXT NOT NULL,
    report        TEXT NOT NULL        -- JSON
) STRICT;

-- Docker Hub repositories as evidence (`codebench hub fetch`), keyed by namespace/repository.
CREATE TABLE hub_repository (
    name             TEXT PRIMARY KEY, -- namespace/repository (official images: library/x)
    found            INTEGER NOT NULL, -- 0: Docker Hub answered 404
    description      TEXT,
    full_description TEXT,             -- Markdown as written (sanitised when shown)
    star_count       INTEGER,
    pull_count       INTEGER,
    last_updated     TEXT,
    date_registered  TEXT,
    status           TEXT,
    is_private       INTEGER,
    web_url          TEXT NOT NULL,
    tag_count        INTEGER,          -- the total Docker Hub reports
    tags_complete    INTEGER,          -- every tag was read
    hub_url          TEXT NOT NULL,
    fetched_at       TEXT NOT NULL
) STRICT;

CREATE TABLE hub_tag (
    repository   TEXT NOT NULL REFERENCES hub_repository (name) ON DELETE CASCADE,
    position     INTEGER NOT NULL,     -- Docker Hub's order (most recently updated first)
    name         TEXT NOT NULL,
    last_pushed  TEXT,
    last_updated TEXT,
    digest       TEXT,
    full_size    INTEGER,
    status       TEXT,
    PRIMARY KEY (repository, name)
) STRICT;
