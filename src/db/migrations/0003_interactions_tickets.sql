-- Interactions (meetings, calls, tasks, notes...) and support tickets with their comments.
-- Everything here hangs off a customer and goes with them (right to erasure): ON DELETE CASCADE.
CREATE TABLE interactions (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users (id),
  type TEXT NOT NULL CHECK (type IN ('meeting', 'call', 'email', 'task', 'follow_up', 'note')),
  title TEXT NOT NULL,
  details TEXT,
  status TEXT NOT NULL CHECK (status IN ('planned', 'done', 'cancelled')),
  scheduled_at TEXT,
  duration_minutes BIGINT CHECK (duration_minutes >= 0),
  remind_before_minutes BIGINT CHECK (remind_before_minutes >= 0),
  completed_at TEXT,
  version BIGINT NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX interactions_customer ON interactions (customer_id, created_at, id);
CREATE INDEX interactions_user ON interactions (user_id, created_at, id);
CREATE INDEX interactions_created ON interactions (created_at, id);
-- Scheduled windows (?from, ?to) and due reminders.
CREATE INDEX interactions_scheduled ON interactions (scheduled_at, id);

CREATE TABLE tickets (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  interaction_id TEXT REFERENCES interactions (id) ON DELETE SET NULL,
  title TEXT NOT NULL,
  description TEXT,
  status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
  priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  assignee_id TEXT REFERENCES users (id),
  created_by_kind TEXT NOT NULL CHECK (created_by_kind IN ('user', 'customer')),
  created_by_id TEXT NOT NULL,
  resolution TEXT,
  resolved_at TEXT,
  version BIGINT NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX tickets_customer ON tickets (customer_id, created_at, id);
CREATE INDEX tickets_status ON tickets (status, created_at, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, created_at, id);
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_interaction ON tickets (interaction_id);
CREATE INDEX tickets_resolved ON tickets (resolved_at);

CREATE TABLE ticket_comments (
  id TEXT PRIMARY KEY,
  ticket_id TEXT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  body TEXT NOT NULL,
  author_kind TEXT NOT NULL CHECK (author_kind IN ('user', 'customer')),
  author_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id, created_at, id);
