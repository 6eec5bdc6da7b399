-- OpenID Connect sign-ins in flight: one row per /auth/oidc/{provider}/login, used up by the
-- callback (single use) or expired after 10 minutes. Kept in the database so that any node
-- can finish a sign-in another node started. The state itself is a bearer value: only its
-- SHA-256 is stored.
CREATE TABLE oidc_states (
  state_hash TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  nonce TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX oidc_states_expires ON oidc_states (expires_at);
