-- The durable job queue (src/jobs). Timestamps here are RFC 3339 UTC with milliseconds,
-- "YYYY-MM-DDTHH:MM:SS.mmmZ", fixed width so that they sort and compare as text.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  dedupe_key TEXT,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
  run_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  locked_by TEXT,
  locked_until TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs (dedupe_key);
-- Claims: due queued jobs, and running jobs whose lease ran out.
CREATE INDEX jobs_status_run_at ON jobs (status, run_at, id);
CREATE INDEX jobs_status_locked_until ON jobs (status, locked_until, id);
-- The admin list, newest first, optionally by kind; the purge of old done jobs.
CREATE INDEX jobs_created ON jobs (created_at, id);
CREATE INDEX jobs_kind_created ON jobs (kind, created_at, id);
CREATE INDEX jobs_status_finished ON jobs (status, finished_at);
