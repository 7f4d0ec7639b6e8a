-- 002-overflow-safe-totals.sql (PostgreSQL): the same number as
-- schema/002-overflow-safe-totals.sql, which makes the SQLite store's
-- totals overflow-safe.
--
-- Nothing to change here: PostgreSQL's sum() of numeric cannot overflow,
-- an integer total stays exact however large, and a total with a real in
-- it keeps its decimal point. The view is defined again, unchanged, so
-- that both series have the same versions and a store at version 2 is the
-- same on both.

CREATE OR REPLACE VIEW v_feature_usage_30d AS
SELECT workspace,
       feature,
       sum(CASE WHEN metric = 'users' THEN value END) AS users,
       sum(CASE WHEN metric = 'campaigns' THEN value END) AS campaigns,
       sum(CASE WHEN metric = 'deliveries' THEN value END) AS deliveries,
       sum(CASE WHEN metric = 'clicks' THEN value END) AS clicks,
       sum(CASE WHEN metric = 'conversions' THEN value END) AS conversions,
       sum(CASE WHEN metric = 'revenue' THEN value END) AS revenue,
       count(DISTINCT CASE WHEN metric IN ('deliveries', 'users') AND value <> 0
                           THEN day END) AS active_days
  FROM feature_usage_daily
 WHERE day BETWEEN (now() AT TIME ZONE 'UTC')::date - 29 AND (now() AT TIME ZONE 'UTC')::date
 GROUP BY workspace, feature;
