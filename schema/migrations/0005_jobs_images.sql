-- Schema version: persisted metrics jobs and container image metrics.

-- One unit of background work: the Dockerfile metrics of a project (target = owner/name) or
-- the metrics of an image reference (target = the reference as written). A job left 'running'
-- by a killed process goes back to 'queued' on the next run. A retryable failure (registry 429
-- or 5xx, connection loss) records `not_before`, the earliest time a retry is useful.
CREATE TABLE job (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('dockerfile_metrics', 'image_metrics')),
    target      TEXT NOT NULL CHECK (target <> ''),
    state       TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    progress    REAL NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    retryable   INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT,                      -- RFC 3339 UTC; NULL: now
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (kind, target)
) STRICT;
CREATE INDEX job_state ON job (state);

-- The metrics of one platform of an image reference (codebench-image's PlatformReport JSON,
-- image and layer metrics), replaced when the reference is analysed again.
CREATE TABLE image_metrics (
    reference       TEXT NOT NULL,
    platform        TEXT NOT NULL,         -- os/architecture[/variant]
    manifest_digest TEXT NOT NULL,
    metrics         TEXT NOT NULL,         -- JSON
    analyzed_at     TEXT NOT NULL,
    PRIMARY KEY (reference, platform)
) STRICT;

-- One layer's analysis by blob digest, shared by every image that holds the layer, so a base
-- layer is fetched and analysed once per study.
CREATE TABLE layer_metrics (
    digest      TEXT PRIMARY KEY,
    metrics     TEXT NOT NULL,             -- JSON (codebench-image LayerMetrics)
    paths       BLOB NOT NULL,             -- codebench-image PathIndex bytes
    analyzed_at TEXT NOT NULL
) STRICT;

-- A new decision asks whether it is its project's first (to queue the project's metrics jobs):
-- decisions by unit must not need a scan of every decision.
CREATE INDEX decision_unit ON decision (unit_id);
