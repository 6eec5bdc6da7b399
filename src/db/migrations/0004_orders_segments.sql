-- Orders, saved segments, and indexes for the rule language's common conditions.
-- (0004_orders_segments.postgres.sql is this file plus what only PostgreSQL needs.)
CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  amount BIGINT NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('paid', 'refunded', 'cancelled')),
  ordered_at TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- A customer's orders (totals, timeline, GET /customers/{id}/orders), and the lists by date.
CREATE INDEX orders_customer ON orders (customer_id, status, ordered_at, id);
CREATE INDEX orders_ordered ON orders (ordered_at, id);
CREATE INDEX orders_status ON orders (status, ordered_at, id);

CREATE TABLE segments (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT,
  rules TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX segments_name ON segments (lower(name));

-- The rule language (src/rules/): range conditions on what orders maintain, and a tag's
-- members read from the index alone (customer_tags_tag needed a table lookup per member).
CREATE INDEX customers_last_visit ON customers (last_visit_at);
CREATE INDEX customers_last_interaction ON customers (last_interaction_at);
CREATE INDEX customers_total_spend ON customers (total_spend);
CREATE INDEX customer_tags_tag_customer ON customer_tags (tag, customer_id);
DROP INDEX customer_tags_tag;

-- Fresh statistics, so the planners choose between the indexes above by their real sizes.
ANALYZE;
