-- Schema version 3: consensus (reconciliation) and rounds of blind coding.

-- The agreed codes of one unit in one dimension, decided by an adjudicator after the raters
-- coded it. One current row per (unit, dimension); every change is in `history`
-- (actions 'consensus.set' and 'consensus.clear', subject 'unit|dimension').
CREATE TABLE consensus (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES unit (id),
    dimension   TEXT NOT NULL REFERENCES dimension (id),
    adjudicator TEXT NOT NULL CHECK (adjudicator <> ''),
    rationale   TEXT NOT NULL DEFAULT '',
    method      TEXT NOT NULL CHECK (method IN ('decided', 'unanimous', 'majority')),
    decided_at  TEXT NOT NULL,
    UNIQUE (unit_id, dimension)
) STRICT;

CREATE TABLE consensus_code (
    consensus_id INTEGER NOT NULL REFERENCES consensus (id) ON DELETE CASCADE,
    dimension    TEXT NOT NULL,
    code         TEXT NOT NULL,
    PRIMARY KEY (consensus_id, code),
    FOREIGN KEY (dimension, code) REFERENCES code (dimension, id)
) STRICT;

-- A round: a sample of units coded blind by its assigned raters until it is revealed.
CREATE TABLE round (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (name <> ''),
    dimension   TEXT REFERENCES dimension (id),   -- NULL: every dimension of the units
    seed        INTEGER NOT NULL,
    extends     INTEGER REFERENCES round (id),     -- the round whose sample this one grows
    plan        TEXT NOT NULL DEFAULT '{}',        -- JSON: how the size was chosen, strata
    created_at  TEXT NOT NULL,
    revealed_at TEXT,
    revealed_by TEXT
) STRICT;

CREATE TABLE round_unit (
    round_id INTEGER NOT NULL REFERENCES round (id),
    unit_id  INTEGER NOT NULL REFERENCES unit (id),
    PRIMARY KEY (round_id, unit_id)
) STRICT;
CREATE INDEX round_unit_unit ON round_unit (unit_id);

CREATE TABLE round_rater (
    round_id INTEGER NOT NULL REFERENCES round (id),
    rater_id INTEGER NOT NULL REFERENCES rater (id),
    PRIMARY KEY (round_id, rater_id)
) STRICT;
