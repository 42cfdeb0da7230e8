-- Schema version 6: evidence, quotes a rater attaches to a code of their decision.

CREATE TABLE evidence (
    id          INTEGER PRIMARY KEY,
    decision_id INTEGER NOT NULL REFERENCES decision (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,            -- the code of the decision the quote supports
    file        TEXT NOT NULL,            -- path inside the repository (README or Dockerfile)
    quote       TEXT NOT NULL CHECK (quote <> ''),
    line_start  INTEGER,                  -- 1-based, when known
    line_end    INTEGER,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX evidence_decision ON evidence (decision_id);
