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
-- Partial indexes, one per status that is searched: a status change then touches only the
-- index it leaves and the one it enters. Claims read jobs_due in order (due queued jobs) and
-- jobs_leases (running jobs whose lease ran out); the purge and the per-status counts read
-- jobs_done and jobs_dead.
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_leases ON jobs (locked_until, id) WHERE status = 'running';
CREATE INDEX jobs_done ON jobs (finished_at) WHERE status = 'done';
CREATE INDEX jobs_dead ON jobs (finished_at) WHERE status = 'dead';
-- The admin list, newest first. (No index leads with kind: the planners would take it for
-- claims, which filter by kind, instead of reading jobs_due in order.)
CREATE INDEX jobs_created ON jobs (created_at, id);
