-- 003-changed-only-writes.sql (PostgreSQL): a pull writes what changed,
-- not what it saw. The same tables and meanings as
-- schema/003-changed-only-writes.sql, the SQLite series (read its
-- comments), in PostgreSQL's own types.
--
-- On PostgreSQL an unchanged row is also never locked: the stream's
-- statement joins the rows it was given with the stored ones and hands
-- only the new and changed ones to INSERT ... ON CONFLICT DO UPDATE, so a
-- pull that finds nothing new leaves no dead tuple in the data tables
-- (docs/operations.md, "What a pull writes").

ALTER TABLE pull ADD COLUMN streams text NOT NULL DEFAULT ''
	CHECK (streams ~ '^[a-z_,]*$');

CREATE TABLE stream_digest (
	workspace text  NOT NULL REFERENCES workspace (name),
	stream    text  NOT NULL
	          CHECK (stream IN ('stats', 'campaigns', 'active_users', 'team')),
	digests   bytea NOT NULL CHECK (length(digests) % 24 = 0),
	PRIMARY KEY (workspace, stream)
);

CREATE VIEW v_stream_listing AS
SELECT workspace, stream, listed_at, pull_id
  FROM (SELECT p.workspace,
               s.stream,
               p.started_at AS listed_at,
               p.id AS pull_id,
               row_number() OVER (PARTITION BY p.workspace, s.stream
                                  ORDER BY p.started_at DESC, p.id DESC) AS n
          FROM pull AS p
          JOIN (VALUES ('stats'), ('campaigns'), ('active_users'), ('team')) AS s (stream)
            ON ',' || p.streams || ',' LIKE '%,' || s.stream || ',%') AS t
 WHERE n = 1;
