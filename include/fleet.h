/*
 * fleet.h: who should own which workspace in a fleet (docs/operations.md,
 * "Running a fleet"), as a pure module: rendezvous hashing over the
 * members, the members' lists of workspaces, and the fingerprint of a
 * configuration. The leases themselves are the store's (store.h,
 * store_fleet_*); the daemon (daemon_fleet.c) asks this module what it
 * should hold and takes or gives back leases accordingly.
 *
 * Rendezvous (highest-random-weight) hashing: every (member, workspace)
 * pair has a weight, a 64-bit hash of both names; a workspace belongs to
 * the live member with the highest weight among those that pull it (have
 * it configured and enabled). Every member computes the same answer from
 * the same list of members, with no coordination; a member that joins
 * takes from each other member only the workspaces it outweighs them on
 * (about 1/N of them), and one that leaves hands over only its own.
 */
#ifndef WEGAUGE_FLEET_H
#define WEGAUGE_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

#define FLEET_NAME_MAX 64

/* The weight of member for workspace ws (stable across builds and machines). */
uint64_t fleet_weight(const char *member, const char *ws);

/* A member as ownership sees it. */
struct fleet_member {
	char name[FLEET_NAME_MAX + 1];
	char fingerprint[17]; /* of its configuration (fleet_config_fingerprint) */
	char digest[17];      /* of its list of workspaces, as last read */
	int64_t workspaces;   /* how many it pulls, as it says */
	int64_t age_ms;       /* since its last heartbeat (server's clock) */
	int64_t lease_ms;
	bool live;   /* its heartbeat is younger than its lease */
	bool loaded; /* its list of workspaces is known (fleet_member_set) */
	/* Its workspaces, as a set of name hashes (open addressing; 0 free). */
	uint64_t *set;
	size_t set_cap, set_n;
};

/* Replace m's list of workspaces with names[0..n); m is then loaded. 0, or -1 on OOM. */
int fleet_member_set(struct fleet_member *m, const char *const *names, size_t n);
/* Whether m pulls ws (false while its list is not loaded). */
bool fleet_member_has(const struct fleet_member *m, const char *ws);
/* Free m's list (m itself is the caller's). */
void fleet_member_clear(struct fleet_member *m);

/*
 * Who should own ws: among members[0..n), the live and loaded ones that
 * pull ws, the one of highest weight (on equal weights, the smaller name).
 * NULL when none does. The order of members does not matter.
 */
const struct fleet_member *fleet_owner(const struct fleet_member *const *members, size_t n,
                                       const char *ws);

/*
 * The fingerprint of what a member pulls and when, as 16 hex digits: the
 * daemon-wide keys a pull depends on and each enabled workspace's section
 * (name, license code, base URL, key fingerprint, interval, jitter,
 * lookback, streams, paths), whatever the order of the sections. Members
 * whose fingerprints differ pull differently: `wegauge fleet` warns.
 */
void fleet_config_fingerprint(const struct config *c, char out[17]);

#endif
