-- Campaigns: an email written once with {{placeholders}}, sent to an audience (a saved
-- segment or inline rules) fixed when sending starts, one row per recipient.
CREATE TABLE campaigns (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('email')),
  segment_id TEXT,
  rules TEXT,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  html TEXT,
  status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'sending', 'sent', 'cancelled')),
  scheduled_at TEXT,
  audience BIGINT,
  created_by TEXT REFERENCES users (id),
  sent_by TEXT REFERENCES users (id),
  started_at TEXT,
  finished_at TEXT,
  cancelled_at TEXT,
  version BIGINT NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX campaigns_created ON campaigns (created_at, id);
CREATE INDEX campaigns_status ON campaigns (status, created_at, id);

-- The audience snapshot. `state`: pending (nothing sent yet), sending (its email exists and
-- is being delivered or waits for a retry), sent, failed. Erasing a customer erases its rows.
CREATE TABLE campaign_recipients (
  campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  position BIGINT NOT NULL,
  customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
  email TEXT,
  email_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  error TEXT,
  sent_at TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (campaign_id, position)
);
CREATE UNIQUE INDEX campaign_recipients_customer ON campaign_recipients (campaign_id, customer_id);
CREATE INDEX campaign_recipients_state ON campaign_recipients (campaign_id, state, position);
CREATE INDEX campaign_recipients_of_customer ON campaign_recipients (customer_id);
