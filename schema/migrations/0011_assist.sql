-- Assist: machine raters' answers shown to a person as suggestions before they decide (only
-- outside rounds not revealed yet). `suggestion_shown` keeps, per person, unit and dimension,
-- the machine raters whose suggestions were shown (comma-separated names: a rater name has no
-- comma) and when; a decision recorded or changed after that carries those names in
-- `suggested_by`, and keeps them ('' when no suggestion was ever shown), so assisted and
-- unassisted decisions can be told apart in every export.
CREATE TABLE suggestion_shown (
    rater_id  INTEGER NOT NULL REFERENCES rater (id) ON DELETE CASCADE,
    unit_id   INTEGER NOT NULL REFERENCES unit (id) ON DELETE CASCADE,
    dimension TEXT NOT NULL REFERENCES dimension (id),
    machines  TEXT NOT NULL,
    shown_at  TEXT NOT NULL,
    PRIMARY KEY (rater_id, unit_id, dimension)
) STRICT;

ALTER TABLE decision ADD COLUMN suggested_by TEXT NOT NULL DEFAULT '';
