/*
 * store_ckpt.h: WAL checkpoints off the loop thread (the store's own).
 *
 * SQLite checkpoints a WAL database by default at the end of the commit
 * that takes the WAL past 1,000 pages, on the committing connection:
 * the loop thread. Copying the WAL into the database file and syncing it
 * is I/O that grows with the commit: 1.2 s after a stream of 900,000 rows
 * here, when the commit itself took 5 ms. So the store turns automatic
 * checkpoints off on its connection and asks this checkpointer instead:
 * a thread with a connection of its own runs a PASSIVE checkpoint (which
 * never blocks the writer nor waits for readers) whenever it is poked,
 * and the loop only pokes it (a mutex held for a few instructions, a
 * condition signal). Pokes while a checkpoint runs coalesce into one more.
 *
 * Private to the store (store.c); one per open file store.
 */
#ifndef WEGAUGE_STORE_CKPT_H
#define WEGAUGE_STORE_CKPT_H

#include <stddef.h>
#include <stdint.h>

/* WAL pages after a commit from which the loop asks for a checkpoint (SQLite's default). */
#define STORE_CKPT_PAGES 1000

struct store_ckpt;

/*
 * Open a second connection to the database at path and start the thread.
 * NULL with err when either fails (the caller keeps SQLite's automatic
 * checkpoints then).
 */
struct store_ckpt *store_ckpt_start(const char *path, char *err, size_t errlen);

/* Ask for a checkpoint soon. Never blocks on a checkpoint in progress. */
void store_ckpt_poke(struct store_ckpt *c);

/* Checkpoints completed so far (for tests and the state dump). */
uint64_t store_ckpt_done(struct store_ckpt *c);

/* Stop the thread (a checkpoint in progress ends first), close its connection, free c. */
void store_ckpt_stop(struct store_ckpt *c);

#endif
