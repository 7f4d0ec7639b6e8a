/*
 * store_pg_digest.h: a PostgreSQL store's memory of the page digests it
 * stored (stream_digest), so that store_stream_digests answers on the loop
 * without a round trip. Filled from the table at open and changed only
 * when the server confirmed the write that stored new digests: what it
 * says is always what the server holds, or older (an older answer only
 * makes a pull parse pages it could have skipped; never wrong).
 *
 * A hash table of (workspace, stream) -> blob, chained, doubling its
 * buckets past two entries per bucket. Owned by one struct store_pg, used
 * on the loop thread only.
 */
#ifndef WEGAUGE_STORE_PG_DIGEST_H
#define WEGAUGE_STORE_PG_DIGEST_H

#include <stddef.h>

struct pgdigest;

struct pgdigest *pgdigest_new(void); /* NULL when out of memory */
void pgdigest_free(struct pgdigest *m);

/*
 * Remember blob (len bytes, copied) for ws and stream; len 0 forgets. 0,
 * or -1 when out of memory (the entry is then forgotten: safe).
 */
int pgdigest_set(struct pgdigest *m, const char *ws, int stream, const unsigned char *blob,
                 size_t len);

/* A malloc'd copy of what is remembered (*out NULL, *len 0: nothing). 0, or -1 out of memory. */
int pgdigest_get(const struct pgdigest *m, const char *ws, int stream, unsigned char **out,
                 size_t *len);

#endif
