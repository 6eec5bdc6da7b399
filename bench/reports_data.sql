-- bench/reports: activity for the customers `rapport seed` made, so every report has rows to
-- add up: three interactions per customer (three in four done, spread over 2026 and over
-- every user), a ticket for every second customer (three in five resolved a day later) and
-- a sent user email per customer. One SQL text for SQLite and PostgreSQL; deterministic.
INSERT INTO interactions (id, customer_id, user_id, type, title, status, scheduled_at,
                          completed_at, created_at, updated_at)
SELECT c.id || '-i' || CAST(k.j AS TEXT), c.id, u.id,
       CASE (c.n + k.j) % 6 WHEN 0 THEN 'meeting' WHEN 1 THEN 'call' WHEN 2 THEN 'email'
                           WHEN 3 THEN 'task' WHEN 4 THEN 'follow_up' ELSE 'note' END,
       'Bench', CASE WHEN (c.n + k.j) % 4 = 0 THEN 'planned' ELSE 'done' END,
       c.at, CASE WHEN (c.n + k.j) % 4 = 0 THEN NULL ELSE c.at END, c.at, c.at
FROM (SELECT id, n, '2026-' || CASE WHEN m < 10 THEN '0' ELSE '' END || CAST(m AS TEXT) || '-' ||
             CASE WHEN d < 10 THEN '0' ELSE '' END || CAST(d AS TEXT) || 'T' ||
             CASE WHEN h < 10 THEN '0' ELSE '' END || CAST(h AS TEXT) || ':00:00Z' AS at
      FROM (SELECT id, n, 1 + (n * 7) % 11 AS m, 1 + (n * 13) % 27 AS d, n % 24 AS h
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers) r) t) c
CROSS JOIN (SELECT 1 AS j UNION ALL SELECT 2 UNION ALL SELECT 3) k
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users) u
  ON u.k = (c.n + k.j) % (SELECT count(*) FROM users);

INSERT INTO tickets (id, customer_id, title, status, priority, assignee_id, created_by_kind,
                     created_by_id, resolved_at, created_at, updated_at)
SELECT c.id || '-t', c.id, 'Bench', CASE WHEN c.n % 5 < 3 THEN 'resolved' ELSE 'open' END,
       'normal', c.owner_id, 'user', 'bench',
       CASE WHEN c.n % 5 < 3 THEN c.next_day ELSE NULL END, c.at, c.at
FROM (SELECT id, n, owner_id,
             '2026-' || CASE WHEN m < 10 THEN '0' ELSE '' END || CAST(m AS TEXT) || '-' ||
             CASE WHEN d < 10 THEN '0' ELSE '' END || CAST(d AS TEXT) || 'T09:00:00Z' AS at,
             '2026-' || CASE WHEN m < 10 THEN '0' ELSE '' END || CAST(m AS TEXT) || '-' ||
             CASE WHEN d + 1 < 10 THEN '0' ELSE '' END || CAST(d + 1 AS TEXT) || 'T' ||
             CASE WHEN n % 24 < 10 THEN '0' ELSE '' END || CAST(n % 24 AS TEXT) || ':00:00Z'
               AS next_day
      FROM (SELECT id, owner_id, n, 1 + (n * 5) % 11 AS m, 1 + (n * 3) % 27 AS d
            FROM (SELECT id, owner_id, row_number() OVER (ORDER BY id) AS n FROM customers) r) t
      WHERE n % 2 = 0) c;

INSERT INTO emails (id, kind, sender_id, customer_id, to_address, subject, text_body,
                    track_opens, track_clicks, status, message_id, reply_tag, sent_at,
                    created_at, updated_at)
SELECT c.id || '-e', 'user', (SELECT min(id) FROM users), c.id, 'bench@example.com', 'Bench',
       'Bench', 1, 1, 'sent', '<' || c.id || '@bench.test>', c.id, c.at, c.at, c.at
FROM (SELECT id, '2026-' || CASE WHEN m < 10 THEN '0' ELSE '' END || CAST(m AS TEXT) ||
             '-15T12:00:00Z' AS at
      FROM (SELECT id, 1 + (n * 3) % 11 AS m
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers) r) t) c;

ANALYZE;
