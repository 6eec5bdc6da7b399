-- Email: the outbox (one row per message, with its delivery state), the tracking tokens of
-- sent messages, the opens and clicks they recorded, and the replies matched to them.
CREATE TABLE emails (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('user', 'system')),
  sender_id TEXT REFERENCES users (id),
  customer_id TEXT REFERENCES customers (id) ON DELETE CASCADE,
  to_address TEXT NOT NULL,
  to_name TEXT,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT,
  track_opens INTEGER NOT NULL,
  track_clicks INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
  message_id TEXT NOT NULL,
  reply_tag TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  smtp_response TEXT,
  transport TEXT CHECK (transport IN ('smtp', 'outbox')),
  sent_at TEXT,
  failed_at TEXT,
  version BIGINT NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX emails_message_id ON emails (message_id);
CREATE UNIQUE INDEX emails_reply_tag ON emails (reply_tag);
CREATE INDEX emails_created ON emails (created_at, id);
CREATE INDEX emails_customer ON emails (customer_id, created_at, id);
CREATE INDEX emails_sender ON emails (sender_id, created_at, id);
CREATE INDEX emails_status ON emails (status, created_at, id);
CREATE INDEX emails_sent ON emails (sent_at);

-- Tokens are stored hashed (BLAKE2b-256 hex): the table alone gives no working link.
CREATE TABLE email_tokens (
  token_hash TEXT PRIMARY KEY,
  email_id TEXT NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('open', 'click')),
  link_position INTEGER,
  url TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX email_tokens_email ON email_tokens (email_id);

-- `visitor` is a keyed hash of the client address and user agent: it tells repeat opens
-- apart without keeping the address.
CREATE TABLE email_events (
  id TEXT PRIMARY KEY,
  email_id TEXT NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('open', 'click')),
  link_position INTEGER,
  url TEXT,
  visitor TEXT NOT NULL,
  user_agent TEXT,
  occurred_at TEXT NOT NULL
);
CREATE INDEX email_events_email ON email_events (email_id, kind, occurred_at);

CREATE TABLE email_replies (
  id TEXT PRIMARY KEY,
  email_id TEXT NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
  message_id TEXT,
  from_address TEXT NOT NULL,
  from_name TEXT,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  matched_by TEXT NOT NULL CHECK (matched_by IN ('in_reply_to', 'references', 'reply_to')),
  received_at TEXT NOT NULL
);
CREATE UNIQUE INDEX email_replies_message ON email_replies (email_id, message_id);
CREATE INDEX email_replies_email ON email_replies (email_id, received_at);
