-- Schema version 10: an index on the lower-case rater name. Adding a rater refuses a name that
-- differs from a present one only in case ("Alice" beside "alice"); that check looks the name up
-- by lower(name), and without this index it read every rater for every rater added.

CREATE INDEX rater_lower_name ON rater (lower(name));
