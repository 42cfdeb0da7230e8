-- Schema version 7: team work. A study knows its own identity (so a merge can tell a copy of
-- this study from another study), and jobs are leased: a run holds each job it works on for a
-- short lease it renews, so another process retakes only a job whose lease ran out (one whose
-- process died), never one still being worked on.

-- The study's identity: set once, copied with every hand-out copy. A study made before this
-- version gets one from its creation time, so copies made with `cp` before it still agree; a new
-- study (no creation time yet when this runs) gets a random one.
INSERT OR IGNORE INTO meta (key, value)
VALUES ('study_id', coalesce('created-' || (SELECT value FROM meta WHERE key = 'created_at'),
                             lower(hex(randomblob(16)))));

ALTER TABLE job ADD COLUMN lease_owner TEXT;   -- who runs it: host:pid:start
ALTER TABLE job ADD COLUMN lease_until TEXT;   -- RFC 3339 UTC; a running job past it is abandoned
