-- Reports (src/reports/): covering indexes, so that each figure reads one index range and no
-- table rows.
-- Done interactions by when they happened. That time (scheduled_at, or completed_at when it
-- is missing or later) is never after completed_at, so a period's `from` bounds completed_at
-- too; the other columns are what the reports group and filter by.
CREATE INDEX interactions_done ON interactions (status, completed_at, scheduled_at, type, user_id, customer_id);
-- Revenue: paid orders in one currency over a range of ordered_at, with their amounts.
CREATE INDEX orders_revenue ON orders (status, currency, ordered_at, amount, customer_id);
-- Sent user emails over a range of sent_at, with what an agent's visibility checks.
CREATE INDEX emails_sent_by ON emails (status, kind, sent_at, customer_id, sender_id);
-- "Has this customer ever had status X" (funnel, conversion) from the index alone.
CREATE INDEX customer_status_changes_reached ON customer_status_changes (customer_id, to_status, from_status);
ANALYZE interactions;
ANALYZE orders;
ANALYZE customer_status_changes;
ANALYZE emails;
