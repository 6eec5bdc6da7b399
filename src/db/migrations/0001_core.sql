-- Users, sessions and the request bookkeeping (idempotency, login throttling).
-- Timestamps are RFC 3339 UTC text of fixed width, so they sort as text on both engines.
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'agent')),
  password_hash TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  notify_by_email INTEGER NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL,
  principal_kind TEXT NOT NULL,
  principal_id TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  revoked_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_principal ON refresh_tokens (principal_kind, principal_id);

CREATE TABLE login_failures (
  email TEXT NOT NULL,
  ip TEXT NOT NULL,
  failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, failed_at);
CREATE INDEX login_failures_ip ON login_failures (ip, failed_at);

CREATE TABLE idempotency_keys (
  principal TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  content_type TEXT NOT NULL DEFAULT '',
  location TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  PRIMARY KEY (principal, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE companies (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  domain TEXT,
  phone TEXT,
  address TEXT,
  version BIGINT NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX companies_name ON companies (lower(name));

CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  first_name TEXT,
  last_name TEXT,
  email TEXT,
  phone TEXT,
  company_id TEXT REFERENCES companies (id) ON DELETE SET NULL,
  status TEXT NOT NULL CHECK (status IN ('lead', 'prospect', 'customer', 'churned')),
  notes TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  attributes TEXT NOT NULL DEFAULT '{}',
  owner_id TEXT REFERENCES users (id),
  total_spend BIGINT NOT NULL DEFAULT 0,
  num_visits BIGINT NOT NULL DEFAULT 0,
  last_visit_at TEXT,
  last_interaction_at TEXT,
  version BIGINT NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX customers_email ON customers (lower(email));
CREATE INDEX customers_status ON customers (status, created_at, id);
CREATE INDEX customers_owner ON customers (owner_id, created_at, id);
CREATE INDEX customers_company ON customers (company_id);
CREATE INDEX customers_created ON customers (created_at, id);

CREATE TABLE customer_tags (
  customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag ON customer_tags (tag);

CREATE TABLE customer_status_changes (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  from_status TEXT,
  to_status TEXT NOT NULL,
  changed_by TEXT,
  changed_at TEXT NOT NULL
);
CREATE INDEX customer_status_changes_customer ON customer_status_changes (customer_id, changed_at);
CREATE INDEX customer_status_changes_to ON customer_status_changes (to_status, changed_at);

-- Server-wide facts written once, such as which user bootstrapped the installation.
CREATE TABLE app_settings (
  setting_key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
