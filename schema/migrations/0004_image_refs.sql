-- Codebench study file, migration 0004: Docker Hub image references of projects.
-- Found by the GitHub import (README links, `docker pull`, compose `image:`, workflow tags and
-- `docker push`), given by a repository list's `image` column, or added by hand. One row per
-- (project, reference, where it was found); removing one by hand deletes the row and the
-- history keeps the record.

CREATE TABLE image_ref (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES project (id),
    reference   TEXT NOT NULL CHECK (reference <> ''),  -- normalized: name[:tag][@sha256:...]
    found_in    TEXT NOT NULL,                          -- file path, 'list', or 'manual'
    how         TEXT NOT NULL,                          -- readme-link, docker-pull, compose-image, workflow-tags, docker-push, list, manual
    added_at    TEXT NOT NULL,
    UNIQUE (project_id, reference, found_in)
) STRICT;
CREATE INDEX image_ref_reference ON image_ref (reference);
