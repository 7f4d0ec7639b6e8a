-- 004-overview.sql (PostgreSQL): the same number as schema/004-overview.sql
-- (issue 17: what `wegauge overview` needs of the store). The columns and
-- indexes are those of the SQLite file; see there for what they mean.
ALTER TABLE workspace
	ADD COLUMN seat_price double precision CHECK (seat_price >= 0),
	ADD COLUMN currency text CHECK (currency ~ '^[A-Z]{3}$'),
	ADD COLUMN interval_s integer CHECK (interval_s > 0);

CREATE INDEX feature_usage_deliveries ON feature_usage_daily (workspace, feature, day)
	INCLUDE (value) WHERE metric = 'deliveries';
