-- 004-overview.sql: what `wegauge overview` needs of the store (issue 17;
-- docs/operator.md, "The store").
--
-- Applied by src/store_migrate.c in one transaction together with
-- PRAGMA user_version = 4; never edit a released file, add NNN-name.sql.
--
-- The workspace row gets three columns that wegauged writes with the rest
-- of the row from the workspace's configuration, so that the overview can
-- read them from the store alone (also with -d, without the daemon's
-- configuration files):
--  * seat_price: the price of one seat per month (the seat_price key),
--    NULL when none is configured: unused seats then have no cost, not a
--    cost of zero;
--  * currency: the ISO 4217 code of seat_price (the currency key), NULL
--    without a seat_price;
--  * interval_s: the workspace's pull interval in seconds (the interval
--    key), for "stale": no success within two intervals. NULL in rows
--    written before this version, until the daemon writes them again.
ALTER TABLE workspace ADD COLUMN seat_price REAL CHECK (seat_price >= 0);
ALTER TABLE workspace ADD COLUMN currency TEXT
	CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*');
ALTER TABLE workspace ADD COLUMN interval_s INTEGER CHECK (interval_s > 0);

-- The overview reads the deliveries of every workspace and channel over
-- two windows of days. The primary key (workspace, day, feature, metric)
-- holds them among the other five metrics, so that reading them means
-- reading the whole table; this partial, covering index holds only the
-- deliveries, in (workspace, channel, day) order, so that the overview
-- reads a sixth of the rows and groups them without sorting, and reads one
-- channel's days (OVERALL's, for the sparklines) in order
-- (docs/performance.md, "The overview": 26.6 million rows of 10,000
-- workspaces, 5.4 s without it, 1.1 s with it).
CREATE INDEX feature_usage_deliveries ON feature_usage_daily (workspace, feature, day, value)
	WHERE metric = 'deliveries';
