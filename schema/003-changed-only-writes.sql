-- 003-changed-only-writes.sql: a pull writes what changed, not what it saw
-- (docs/operator.md, "The store"; docs/operations.md, "What a pull writes").
--
-- Applied by src/store_migrate.c in one transaction together with
-- PRAGMA user_version = 3; never edit a released file, add NNN-name.sql.
--
-- From this version on, a pull writes a data row only when one of its
-- values differs from the stored one (or the row is new): an unchanged row
-- costs a lookup, not a write. So the columns keep their names and change
-- their meaning:
--  * pull_id and updated_at of feature_usage_daily, campaign,
--    active_users_daily and seat: the pull that last changed the row
--    (inserted it, changed a value, or, for a seat, marked it removed or
--    back), and when. Rows written before this version keep the pull that
--    last wrote them, which is the same thing or later.
--  * seat.last_seen_at: the last complete listing that had the seat, as
--    of the last change of its row. A seat that is not removed was also in
--    every later complete listing: v_stream_listing tells the newest one. When
--    a seat is marked removed, last_seen_at becomes the newest listing
--    that still had it.
--
-- What says that rows are still current is the pull that stored them:
-- pull.streams lists the streams a pull stored whole (all rows compared,
-- the changed ones written), in the order it stored them, written in each
-- stream's own transaction. A workspace's rows of a stream are as the API
-- sent them during the newest pull whose streams list it;
-- v_stream_listing says which pull that is, per workspace and stream.
-- Pulls from before this version have streams = ''.
--
-- stream_digest is the collector's own memory (src/pagesum.h): the
-- digests of the pages of the last walk stored whole, committed in the
-- same transaction as the rows, so that an unchanged page is neither
-- parsed nor written again. Deleting a row of it is always safe (the next
-- pull compares every row again).

ALTER TABLE pull ADD COLUMN streams TEXT NOT NULL DEFAULT ''
	CHECK (streams NOT GLOB '*[^a-z_,]*');

-- Per workspace and stream: the page digests of its last walk stored whole
-- (24 bytes per page: src/pagesum.h).
CREATE TABLE stream_digest (
	workspace TEXT NOT NULL REFERENCES workspace (name),
	stream    TEXT NOT NULL CHECK (stream IN ('stats', 'campaigns', 'active_users', 'team')),
	digests   BLOB NOT NULL CHECK (length(digests) % 24 = 0),
	PRIMARY KEY (workspace, stream)
) STRICT, WITHOUT ROWID;

-- Per workspace and stream it ever stored: the newest pull that stored
-- the stream whole (by started_at, then id), and when it started: the
-- stream's rows are as the API sent them then.
CREATE VIEW v_stream_listing AS
SELECT workspace, stream, listed_at, pull_id
  FROM (SELECT p.workspace,
               s.stream,
               p.started_at AS listed_at,
               p.id AS pull_id,
               row_number() OVER (PARTITION BY p.workspace, s.stream
                                  ORDER BY p.started_at DESC, p.id DESC) AS n
          FROM pull AS p
          JOIN (SELECT 'stats' AS stream UNION ALL SELECT 'campaigns'
                UNION ALL SELECT 'active_users' UNION ALL SELECT 'team') AS s
            ON instr(',' || p.streams || ',', ',' || s.stream || ',') > 0)
 WHERE n = 1;
