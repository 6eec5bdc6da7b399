-- The customer portal (accounts and their pending sign-ups) and staff notifications.

-- A customer's sign-in to the portal. It exists only once its email was verified; erasing
-- the customer erases it.
CREATE TABLE portal_accounts (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  verified_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX portal_accounts_email ON portal_accounts (lower(email));
CREATE INDEX portal_accounts_customer ON portal_accounts (customer_id);

-- Every sign-up attempt: the hash of its verification token, what the account will take
-- when the token is used, and when it expires. An attempt on an address that has an
-- account has an empty password_hash and is used from the start (it only counts towards
-- the hourly limit of mails per address).
CREATE TABLE portal_signups (
  token_hash TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  phone TEXT,
  company TEXT,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX portal_signups_email ON portal_signups (lower(email), created_at);
CREATE INDEX portal_signups_expires ON portal_signups (expires_at);

-- One row per notification of a staff user. (user_id, dedupe_key) is unique: the key names
-- the event, so an event repeated, a job run twice or several nodes doing the same work
-- notify once. A notification about a customer goes when the customer is erased.
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  subject_kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  customer_id TEXT REFERENCES customers (id) ON DELETE CASCADE,
  dedupe_key TEXT NOT NULL,
  event_time TEXT NOT NULL,
  created_at TEXT NOT NULL,
  notified_at TEXT,
  read_at TEXT
);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (user_id, dedupe_key);
CREATE INDEX notifications_user ON notifications (user_id, created_at, id);
CREATE INDEX notifications_unread ON notifications (user_id, created_at, id) WHERE read_at IS NULL;
CREATE INDEX notifications_stream ON notifications (user_id, id);
CREATE INDEX notifications_customer ON notifications (customer_id);
