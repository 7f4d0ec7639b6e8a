-- 005-fleet.sql (PostgreSQL): a fleet of wegauged sharing this store
-- (issue 16; docs/operations.md, "Running a fleet").
--
-- Members heartbeat into fleet_member and list the workspaces they have
-- configured in fleet_member_ws; a workspace is pulled by the member that
-- holds its row of fleet_lease, and every write of a pull checks that
-- lease in its own transaction (wegauge_fence). Every instant here is the
-- server's (clock_timestamp()): no member's clock decides liveness or
-- expiry. Without [fleet] in any member's configuration these tables stay
-- empty.

-- One row per member that ever joined: its configuration's fingerprint,
-- how many workspaces it has configured (and a digest of their names, to
-- tell when the list changed), its lease, when it (re)started and its last
-- heartbeat. A member is live while heartbeat_at + lease_ms is in the
-- future. Rows are never deleted by the daemon.
CREATE TABLE fleet_member (
	name         text        NOT NULL PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
	fingerprint  text        NOT NULL,
	workspaces   bigint      NOT NULL DEFAULT 0 CHECK (workspaces >= 0),
	ws_digest    text        NOT NULL,
	lease_ms     bigint      NOT NULL CHECK (lease_ms > 0),
	started_at   timestamptz NOT NULL,
	heartbeat_at timestamptz NOT NULL
);

-- The workspaces each member has configured (enabled or not): ownership
-- is decided among the live members that have a workspace configured.
CREATE TABLE fleet_member_ws (
	member    text NOT NULL,
	workspace text NOT NULL,
	PRIMARY KEY (member, workspace)
);

-- The lease of a workspace: which member may write its pulls, with which
-- fencing token (from fleet_lease_token: a token is never reused), since
-- when, and until when unless renewed. A lease whose expires_at has passed
-- may be taken by any member; a released lease is deleted.
CREATE TABLE fleet_lease (
	workspace   text        NOT NULL PRIMARY KEY,
	member      text        NOT NULL,
	token       bigint      NOT NULL,
	acquired_at timestamptz NOT NULL,
	expires_at  timestamptz NOT NULL
);
CREATE INDEX fleet_lease_member ON fleet_lease (member);
CREATE SEQUENCE fleet_lease_token;

-- The fence: every write of a pull runs this in the same transaction. It
-- passes only while member m holds the lease of workspace ws with token t
-- and the lease has not expired, and it locks the lease row (FOR SHARE)
-- until the transaction ends, so that no other member can take the lease
-- between the check and the commit: a takeover skips a row so locked (and
-- tries again later, then sees the write's rows), or the write fails here
-- and commits nothing. It never waits: a lease row locked by another
-- transaction is being taken over (only a takeover locks another member's
-- row, and only an expired one), so the lease is lost. SQLSTATE WG001 says
-- "lease lost" to the daemon.
CREATE FUNCTION wegauge_fence(ws text, m text, t bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	BEGIN
		PERFORM 1 FROM fleet_lease
		 WHERE workspace = ws AND member = m AND token = t AND expires_at > clock_timestamp()
		   FOR SHARE NOWAIT;
	EXCEPTION WHEN lock_not_available THEN
		RAISE EXCEPTION 'lease lost: workspace % is being taken over from % (token %)', ws, m, t
		      USING ERRCODE = 'WG001';
	END;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'lease lost: workspace % is no longer leased to % with token %', ws, m, t
		      USING ERRCODE = 'WG001';
	END IF;
END
$$;
