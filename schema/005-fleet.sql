-- 005-fleet.sql: the fleet's tables (issue 16), in the SQLite series only so
-- that both series describe the same store (tests/it_pg_schema.sh) and the
-- wegauge tool reads both with the same queries. A fleet needs the
-- PostgreSQL store (schema/pg/005-fleet.sql, where they are explained):
-- wegauged refuses [fleet] on SQLite, so these tables stay empty here.
-- Reserved as 005 in the project's numbering: renumbered when merged.

CREATE TABLE fleet_member (
	name         TEXT NOT NULL PRIMARY KEY
	             CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9._-]*'),
	fingerprint  TEXT NOT NULL,
	workspaces   INTEGER NOT NULL DEFAULT 0 CHECK (workspaces >= 0),
	ws_digest    TEXT NOT NULL,
	lease_ms     INTEGER NOT NULL CHECK (lease_ms > 0),
	started_at   TEXT NOT NULL
	             CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', started_at, '+0 seconds') IS started_at),
	heartbeat_at TEXT NOT NULL
	             CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', heartbeat_at, '+0 seconds')
	                    IS heartbeat_at)
) STRICT;

CREATE TABLE fleet_member_ws (
	member    TEXT NOT NULL,
	workspace TEXT NOT NULL,
	PRIMARY KEY (member, workspace)
) STRICT, WITHOUT ROWID;

CREATE TABLE fleet_lease (
	workspace   TEXT NOT NULL PRIMARY KEY,
	member      TEXT NOT NULL,
	token       INTEGER NOT NULL,
	acquired_at TEXT NOT NULL
	            CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', acquired_at, '+0 seconds') IS acquired_at),
	expires_at  TEXT NOT NULL
	            CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', expires_at, '+0 seconds') IS expires_at)
) STRICT;
CREATE INDEX fleet_lease_member ON fleet_lease (member);
