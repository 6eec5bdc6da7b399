-- Reports (src/reports/): indexes for the figures that cannot use the existing ones.
-- When a done interaction happened (its scheduled_at, or completed_at when there is none or
-- it is later): the same expression as ReportStore::kInteractionTime, so period filters on
-- done interactions read an index range instead of every interaction.
CREATE INDEX interactions_happened ON interactions ((CASE WHEN scheduled_at IS NOT NULL AND scheduled_at < completed_at THEN scheduled_at ELSE completed_at END)) WHERE status = 'done';
-- "Has this customer ever had status X" (funnel, conversion) from the index alone.
CREATE INDEX customer_status_changes_reached ON customer_status_changes (customer_id, to_status, from_status);
ANALYZE interactions;
ANALYZE customer_status_changes;
