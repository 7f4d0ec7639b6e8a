-- 002-overflow-safe-totals.sql: totals that cannot overflow (docs/operator.md, "Totals").
--
-- Applied by src/store_migrate.c in one transaction together with
-- PRAGMA user_version = 2; never edit a released file, add NNN-name.sql.
--
-- sum() stops the whole query with "integer overflow" when the integers it
-- adds leave the 64-bit range, so one workspace whose API sent huge
-- figures (two days of deliveries at 9223372036854775807) made
-- v_feature_usage_30d fail for every workspace. The view is defined again
-- with the same columns, the same rows and the same values wherever sum()
-- gave one, and this rule for each total:
--  * NULL when the window has no value of that metric;
--  * a real (floating point) when one of the values is a real;
--  * else the exact integer sum when it fits in a 64-bit integer, and a
--    real (approximate, e.g. 1.8446744073709552e+19) when it does not.
--
-- How the integer case never overflows: each value v is added as two
-- parts, v >> 32 (-2^31 .. 2^31-1) and v & 0xffffffff (0 .. 2^32-1), whose
-- sums cannot leave the 64-bit range for fewer than 2^31 rows; then
-- (hi + (lo >> 32)) * 2^32 + (lo & 0xffffffff) is the total. SQLite's *
-- and + give a real instead of failing when an integer result does not
-- fit, and with the carry of lo moved into hi first the result is an
-- integer exactly when the total fits.
--
-- src/cli/cli_sql.h (CLI_SQL_TOTAL, CLI_SQL_REPORT_CHANNELS) computes the
-- report's totals with the same expression and shape. (A PostgreSQL store
-- needs no such split: its sum() of bigint is a numeric and cannot
-- overflow; only the columns and the rule must be the same.)

DROP VIEW v_feature_usage_30d;

-- Per workspace and feature (channel), over the last 30 UTC days, today
-- included: the total of each metric (the rule above) and active_days,
-- the days with nonzero deliveries or users. t holds one total v per
-- workspace, feature and metric, and the active days as the rows whose
-- metric is NULL (no stored row has one).
CREATE VIEW v_feature_usage_30d AS
WITH t AS (
    SELECT workspace,
           feature,
           metric,
           CASE WHEN count(value) = 0 THEN NULL
                WHEN count(CASE WHEN typeof(value) NOT IN ('integer', 'null') THEN 1 END) > 0
                THEN total(value)
                ELSE (sum(value >> 32) + (sum(value & 4294967295) >> 32)) * 4294967296
                     + (sum(value & 4294967295) & 4294967295)
           END AS v
      FROM feature_usage_daily
     WHERE day BETWEEN date('now', '-29 days') AND date('now')
     GROUP BY workspace, feature, metric
    UNION ALL
    SELECT workspace, feature, NULL, count(DISTINCT day)
      FROM feature_usage_daily
     WHERE day BETWEEN date('now', '-29 days') AND date('now')
       AND metric IN ('deliveries', 'users') AND value <> 0
     GROUP BY workspace, feature)
SELECT workspace,
       feature,
       max(CASE WHEN metric = 'users' THEN v END) AS users,
       max(CASE WHEN metric = 'campaigns' THEN v END) AS campaigns,
       max(CASE WHEN metric = 'deliveries' THEN v END) AS deliveries,
       max(CASE WHEN metric = 'clicks' THEN v END) AS clicks,
       max(CASE WHEN metric = 'conversions' THEN v END) AS conversions,
       max(CASE WHEN metric = 'revenue' THEN v END) AS revenue,
       coalesce(max(CASE WHEN metric IS NULL THEN v END), 0) AS active_days
  FROM t
 GROUP BY workspace, feature;
