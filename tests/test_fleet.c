/*
 * test_fleet.c: src/fleet.c: rendezvous hashing (stable, independent of the
 * members' order, balanced within 20% over 300 and 10,000 workspaces), a
 * join moving about 1/N of the workspaces and only to the newcomer, a leave
 * moving only the leaver's, ownership limited to live members that pull
 * the workspace, and the configuration's fingerprint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "fleet.h"

#define NWS 10000

static char names[NWS][16];
static const char *name_ptr[NWS];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < NWS; i++) {
		snprintf(names[i], sizeof(names[i]), "ws-%04d", i + 1);
		name_ptr[i] = names[i];
	}
	return 0;
}

/* A live member named name pulling the first n workspaces. */
static void member(struct fleet_member *m, const char *name, size_t n)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->live = true;
	assert_int_equal(fleet_member_set(m, name_ptr, n), 0);
}

static void test_weight_stable(void **state)
{
	(void)state;
	assert_true(fleet_weight("a", "ws-0001") == fleet_weight("a", "ws-0001"));
	assert_true(fleet_weight("a", "ws-0001") != fleet_weight("b", "ws-0001"));
	/* The separator: ("ab", "c") is not ("a", "bc"). */
	assert_true(fleet_weight("ab", "c") != fleet_weight("a", "bc"));
}

/* Counts of the workspaces [0, n) each member of ms owns; moved[i]: owner index. */
static void owners(struct fleet_member *ms, size_t k, size_t n, int *owner)
{
	const struct fleet_member *p[8];
	for (size_t i = 0; i < k; i++)
		p[i] = &ms[i];
	for (size_t w = 0; w < n; w++) {
		const struct fleet_member *o = fleet_owner(p, k, names[w]);
		owner[w] = o ? (int)(o - ms) : -1;
	}
}

static void check_balance(size_t n, size_t k)
{
	struct fleet_member ms[4];
	const char *mn[] = {"a", "b", "c", "d"};
	for (size_t i = 0; i < k; i++)
		member(&ms[i], mn[i], n);
	int *owner = calloc(n, sizeof(*owner));
	owners(ms, k, n, owner);
	size_t cnt[4] = {0};
	for (size_t w = 0; w < n; w++) {
		assert_true(owner[w] >= 0);
		cnt[owner[w]]++;
	}
	for (size_t i = 0; i < k; i++) {
		double share = (double)cnt[i] / ((double)n / (double)k);
		if (share < 0.8 || share > 1.2)
			fail_msg("member %s owns %zu of %zu (%.2f of its share)", mn[i], cnt[i], n,
			         share);
		fleet_member_clear(&ms[i]);
	}
	free(owner);
}

static void test_balanced(void **state)
{
	(void)state;
	check_balance(300, 3);
	check_balance(NWS, 3);
	check_balance(NWS, 4);
}

static void test_order_does_not_matter(void **state)
{
	(void)state;
	struct fleet_member ms[3];
	member(&ms[0], "a", 300);
	member(&ms[1], "b", 300);
	member(&ms[2], "c", 300);
	const struct fleet_member *f[] = {&ms[0], &ms[1], &ms[2]}, *r[] = {&ms[2], &ms[0], &ms[1]};
	for (int w = 0; w < 300; w++)
		assert_ptr_equal(fleet_owner(f, 3, names[w]), fleet_owner(r, 3, names[w]));
	for (int i = 0; i < 3; i++)
		fleet_member_clear(&ms[i]);
}

static void test_join_and_leave_move_little(void **state)
{
	(void)state;
	size_t n = NWS;
	struct fleet_member ms[4];
	member(&ms[0], "a", n);
	member(&ms[1], "b", n);
	member(&ms[2], "c", n);
	member(&ms[3], "d", n);
	int *three = calloc(n, sizeof(int)), *four = calloc(n, sizeof(int));
	owners(ms, 3, n, three);
	owners(ms, 4, n, four);
	size_t moved = 0;
	for (size_t w = 0; w < n; w++) {
		if (three[w] == four[w])
			continue;
		moved++;
		assert_int_equal(four[w], 3); /* only to the newcomer */
	}
	double share = (double)moved / (double)n;
	if (share < 0.2 || share > 0.3)
		fail_msg("a fourth member moved %zu of %zu workspaces", moved, n);
	/* b leaves: only b's move, each to one of the others. */
	ms[1].live = false;
	int *left = calloc(n, sizeof(int));
	owners(ms, 4, n, left);
	for (size_t w = 0; w < n; w++) {
		if (four[w] != 1)
			assert_int_equal(left[w], four[w]);
		else
			assert_true(left[w] != 1 && left[w] >= 0);
	}
	free(three);
	free(four);
	free(left);
	for (int i = 0; i < 4; i++)
		fleet_member_clear(&ms[i]);
}

static void test_only_members_that_pull_it(void **state)
{
	(void)state;
	struct fleet_member ms[2];
	member(&ms[0], "a", 10);  /* ws-0001 .. ws-0010 */
	member(&ms[1], "b", 300); /* all */
	const struct fleet_member *p[] = {&ms[0], &ms[1]};
	for (int w = 10; w < 300; w++)
		assert_ptr_equal(fleet_owner(p, 2, names[w]), &ms[1]);
	assert_true(fleet_member_has(&ms[0], "ws-0010"));
	assert_false(fleet_member_has(&ms[0], "ws-0011"));
	/* Not live, or not loaded: owns nothing. */
	ms[1].live = false;
	assert_null(fleet_owner(p, 2, "ws-0200"));
	assert_ptr_equal(fleet_owner(p, 2, "ws-0005"), &ms[0]);
	fleet_member_clear(&ms[0]);
	assert_false(ms[0].loaded);
	assert_null(fleet_owner(p, 2, "ws-0005"));
	fleet_member_clear(&ms[1]);
}

static void test_fingerprint(void **state)
{
	(void)state;
	struct ws_config w[2];
	memset(w, 0, sizeof(w));
	snprintf(w[0].name, sizeof(w[0].name), "x");
	snprintf(w[1].name, sizeof(w[1].name), "y");
	for (int i = 0; i < 2; i++) {
		w[i].license_code = (char *)"lc";
		w[i].base_url = (char *)"https://api.webengage.com";
		w[i].enabled = true;
		w[i].interval_ms = 60000;
	}
	struct config c = {.ws = w, .n_ws = 2, .page_size = 100, .fleet_lease_ms = 30000};
	char a[17], b[17];
	fleet_config_fingerprint(&c, a);
	assert_int_equal(strlen(a), 16);
	/* The order of the sections does not matter ... */
	struct ws_config r[2] = {w[1], w[0]};
	struct config c2 = c;
	c2.ws = r;
	fleet_config_fingerprint(&c2, b);
	assert_string_equal(a, b);
	/* ... an interval does. */
	r[0].interval_ms = 30000;
	fleet_config_fingerprint(&c2, b);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_weight_stable),
	        cmocka_unit_test(test_balanced),
	        cmocka_unit_test(test_order_does_not_matter),
	        cmocka_unit_test(test_join_and_leave_move_little),
	        cmocka_unit_test(test_only_members_that_pull_it),
	        cmocka_unit_test(test_fingerprint),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
