-- 001-initial.sql: the first schema of the wegauge store (docs/operator.md, "The store").
--
-- Applied by src/store_migrate.c in one transaction together with
-- PRAGMA user_version = 1; never edit a released file, add NNN-name.sql.
--
-- Conventions:
--  * Every table is STRICT. Counts and ids are INTEGER. Numbers that the
--    API may send as a JSON integer or a JSON real are ANY, so that an
--    integer stays an integer and a real stays a real (typeof() tells).
--  * Instants are UTC text 'YYYY-MM-DDTHH:MM:SSZ', days 'YYYY-MM-DD'.
--    CHECK constraints admit only real calendar values in exactly that
--    form: SQLite's own strftime()/date() must give the value back
--    unchanged. The '+0' modifier makes them normalize, so that
--    2026-02-30 comes back as 2026-03-02 and fails. They compare with IS,
--    so that a text they cannot read (which gives NULL) fails, while NULL
--    itself passes where the column allows it. NULL means unknown / never.
--  * Workspace names are the key everywhere and never change meaning; a
--    workspace disconnected from the configuration keeps its row with
--    state 'removed', so its history (pulls and data) stays.
--  * Data rows carry pull_id, the last pull that wrote them, and
--    updated_at, when that pull wrote them.
--  * Foreign keys need PRAGMA foreign_keys = ON (the store sets it). No
--    index exists on the data tables' pull_id: pulls and workspaces are
--    never deleted. A retention job that deletes pulls must add one.

-- One row per workspace the daemon has ever been configured with: its
-- connection details as last configured, its state and its schedule.
CREATE TABLE workspace (
	name                 TEXT NOT NULL PRIMARY KEY
	                     CHECK (length(name) BETWEEN 1 AND 64
	                            AND name NOT GLOB '*[^A-Za-z0-9._-]*'),
	license_code         TEXT NOT NULL,
	data_center          TEXT NOT NULL CHECK (data_center IN ('global', 'in', 'ksa')),
	base_url             TEXT NOT NULL,
	state                TEXT NOT NULL DEFAULT 'pending'
	                     CHECK (state IN ('pending', 'connected', 'auth_failed', 'failing',
	                                      'disabled', 'removed')),
	state_reason         TEXT,
	-- The first 16 hex digits of the SHA-256 of the API key: tells a
	-- changed key, reveals nothing of it. Never the key itself.
	key_fingerprint      TEXT,
	last_pull_at         TEXT
	                     CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', last_pull_at, '+0 seconds')
	                            IS last_pull_at),
	last_success_at      TEXT
	                     CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', last_success_at, '+0 seconds')
	                            IS last_success_at),
	next_pull_at         TEXT
	                     CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', next_pull_at, '+0 seconds')
	                            IS next_pull_at),
	consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0)
) STRICT;

-- One row per pull: one run of a workspace's enabled streams. Begun as
-- 'running'; ended with its outcome; a pull left 'running' by a process
-- that died is marked 'cancelled' (error 'interrupted') at the next start.
-- AUTOINCREMENT: an id is never reused, so a data row's pull_id always
-- names the pull that wrote it.
CREATE TABLE pull (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace   TEXT NOT NULL REFERENCES workspace (name),
	started_at  TEXT NOT NULL
	            CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', started_at, '+0 seconds') IS started_at),
	finished_at TEXT
	            CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', finished_at, '+0 seconds')
	                   IS finished_at),
	status      TEXT NOT NULL DEFAULT 'running'
	            CHECK (status IN ('running', 'ok', 'partial', 'failed', 'auth_failed',
	                              'cancelled')),
	requests    INTEGER NOT NULL DEFAULT 0 CHECK (requests >= 0),
	retries     INTEGER NOT NULL DEFAULT 0 CHECK (retries >= 0),
	rows        INTEGER NOT NULL DEFAULT 0 CHECK (rows >= 0),
	error       TEXT
) STRICT;

-- `wegauge pulls` and v_workspace_health: the pulls of one workspace,
-- newest first.
CREATE INDEX pull_workspace_started ON pull (workspace, started_at);
-- `wegauge pulls` over every workspace: the newest pulls.
CREATE INDEX pull_started ON pull (started_at);
-- store_pull_close_running() at start: the few pulls still running.
CREATE INDEX pull_running ON pull (id) WHERE status = 'running';

-- Stream "stats": one channel statistic of one day, as the API sent it
-- (feature = the channel, e.g. PUSH_NOTIFICATION or OVERALL; metric =
-- users, campaigns, deliveries, clicks, revenue, conversions (sent as
-- "goal"), or any other name the API sends).
CREATE TABLE feature_usage_daily (
	workspace  TEXT NOT NULL REFERENCES workspace (name),
	day        TEXT NOT NULL CHECK (date(day, '+0 days') IS day),
	feature    TEXT NOT NULL,
	metric     TEXT NOT NULL,
	value      ANY,
	pull_id    INTEGER NOT NULL REFERENCES pull (id),
	updated_at TEXT NOT NULL
	           CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, '+0 seconds') IS updated_at),
	PRIMARY KEY (workspace, day, feature, metric)
) STRICT, WITHOUT ROWID;

-- Stream "campaigns": one campaign of one channel with its lifetime
-- statistics as last pulled (NULL: the API did not send that figure).
CREATE TABLE campaign (
	workspace   TEXT NOT NULL REFERENCES workspace (name),
	channel     TEXT NOT NULL,
	campaign_id TEXT NOT NULL,
	title       TEXT,
	status      TEXT,
	category    TEXT,
	created_on  TEXT
	            CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', created_on, '+0 seconds') IS created_on),
	start_date  TEXT
	            CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', start_date, '+0 seconds') IS start_date),
	sent        ANY,
	delivered   ANY,
	clicks      ANY,
	conversions ANY,
	revenue     ANY,
	pull_id     INTEGER NOT NULL REFERENCES pull (id),
	updated_at  TEXT NOT NULL
	            CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, '+0 seconds') IS updated_at),
	PRIMARY KEY (workspace, channel, campaign_id)
) STRICT, WITHOUT ROWID;

-- Stream "active_users": daily, weekly and monthly active users of one
-- platform (android, ios, web, ...) on one day; NULL when not sent.
CREATE TABLE active_users_daily (
	workspace  TEXT NOT NULL REFERENCES workspace (name),
	day        TEXT NOT NULL CHECK (date(day, '+0 days') IS day),
	platform   TEXT NOT NULL,
	dau        ANY,
	wau        ANY,
	mau        ANY,
	pull_id    INTEGER NOT NULL REFERENCES pull (id),
	updated_at TEXT NOT NULL
	           CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, '+0 seconds') IS updated_at),
	PRIMARY KEY (workspace, day, platform)
) STRICT, WITHOUT ROWID;

-- Stream "team": one seat (team member) of a workspace. first_seen_at is
-- the first pull that listed it and never changes; last_seen_at and
-- pull_id are the last pull that listed it. A seat missing from a
-- complete listing gets removed_at (once); listed again, removed_at is
-- NULL again. last_login_at NULL: never logged in.
CREATE TABLE seat (
	workspace     TEXT NOT NULL REFERENCES workspace (name),
	email         TEXT NOT NULL,
	name          TEXT,
	role          TEXT,
	status        TEXT,
	last_login_at TEXT
	              CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', last_login_at, '+0 seconds')
	                     IS last_login_at),
	first_seen_at TEXT NOT NULL
	              CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', first_seen_at, '+0 seconds')
	                     IS first_seen_at),
	last_seen_at  TEXT NOT NULL
	              CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', last_seen_at, '+0 seconds')
	                     IS last_seen_at),
	removed_at    TEXT
	              CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', removed_at, '+0 seconds')
	                     IS removed_at),
	pull_id       INTEGER NOT NULL REFERENCES pull (id),
	updated_at    TEXT NOT NULL
	              CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, '+0 seconds')
	                     IS updated_at),
	PRIMARY KEY (workspace, email)
) STRICT, WITHOUT ROWID;

-- Per workspace: its state, its schedule and its last pull (the newest by
-- started_at, then id; possibly still running). seconds_since_success is
-- NULL until a pull succeeded.
CREATE VIEW v_workspace_health AS
SELECT w.name AS workspace,
       w.state,
       w.state_reason,
       w.last_success_at,
       w.next_pull_at,
       w.consecutive_failures,
       p.id AS last_pull_id,
       p.status AS last_pull_status,
       p.error AS last_pull_error,
       p.started_at AS last_pull_started_at,
       p.finished_at AS last_pull_finished_at,
       unixepoch('now') - unixepoch(w.last_success_at) AS seconds_since_success
  FROM workspace AS w
  LEFT JOIN pull AS p
    ON p.id = (SELECT q.id FROM pull AS q
                WHERE q.workspace = w.name
                ORDER BY q.started_at DESC, q.id DESC
                LIMIT 1);

-- Per workspace and feature (channel), over the last 30 UTC days, today
-- included: the sum of each metric (NULL when the API sent none of it in
-- that window) and active_days, the days with nonzero deliveries or users.
CREATE VIEW v_feature_usage_30d AS
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
 WHERE day BETWEEN date('now', '-29 days') AND date('now')
 GROUP BY workspace, feature;

-- Per workspace (every row of workspace, so one without seats shows 0
-- seats): seats not removed, how many of them logged in within the last
-- 30, 60 and 90 days, how many never did, and active_30d as a percentage
-- of seats, rounded to one decimal (NULL without seats).
CREATE VIEW v_seat_utilization AS
SELECT workspace,
       seats,
       active_30d,
       active_60d,
       active_90d,
       never_logged_in,
       CASE WHEN seats > 0 THEN round(active_30d * 100.0 / seats, 1) END AS utilization_pct
  FROM (SELECT w.name AS workspace,
               count(s.email) AS seats,
               count(CASE WHEN s.last_login_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-30 days')
                          THEN 1 END) AS active_30d,
               count(CASE WHEN s.last_login_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-60 days')
                          THEN 1 END) AS active_60d,
               count(CASE WHEN s.last_login_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-90 days')
                          THEN 1 END) AS active_90d,
               count(CASE WHEN s.email IS NOT NULL AND s.last_login_at IS NULL
                          THEN 1 END) AS never_logged_in
          FROM workspace AS w
          LEFT JOIN seat AS s
            ON s.workspace = w.name AND s.removed_at IS NULL
         GROUP BY w.name);
