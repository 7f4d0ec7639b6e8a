/*
 * pull_status.h: the outcomes of a pull, spelled once.
 *
 * A pull row (table pull of schema/001-initial.sql) is begun "running"
 * and ended with one of the others. PULL_STATUS_LIST is the one list of
 * them in C, in the order of the enum: the enum below, pull_status_name()
 * (pull.c), the store's check of an outcome (store.c) and the pull
 * counters of /metrics all come from it. The schema's CHECK on
 * pull.status must name the same statuses; tests/test_store.c compares
 * the two, so a status added to one only fails there.
 */
#ifndef WEGAUGE_PULL_STATUS_H
#define WEGAUGE_PULL_STATUS_H

/* X(enumerator, name as stored), in the order of the enum. */
#define PULL_STATUS_LIST(X)                                                                        \
	X(PULL_RUNNING, "running")                                                                 \
	X(PULL_OK, "ok")                                                                           \
	X(PULL_PARTIAL, "partial")                                                                 \
	X(PULL_FAILED, "failed")                                                                   \
	X(PULL_AUTH_FAILED, "auth_failed")                                                         \
	X(PULL_CANCELLED, "cancelled")

/* The outcome of a pull, as stored in pull.status: PULL_RUNNING = 0, PULL_OK, ... */
#define PULL_STATUS_ENUMERATOR(id, name) id,
enum pull_status { PULL_STATUS_LIST(PULL_STATUS_ENUMERATOR) PULL_STATUS_COUNT };
#undef PULL_STATUS_ENUMERATOR

/*
 * The names, indexed by enum pull_status, as an initializer:
 *   static const char *const names[PULL_STATUS_COUNT] = PULL_STATUS_NAMES;
 */
#define PULL_STATUS_NAME_OF(id, name) [id] = name,
#define PULL_STATUS_NAMES                                                                          \
	{                                                                                          \
		PULL_STATUS_LIST(PULL_STATUS_NAME_OF)                                              \
	}

#endif
