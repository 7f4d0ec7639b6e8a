/*
 * test_log.c: src/log.c on stderr (the journal needs journald): the line
 * format, the threshold, the per-workspace rate limit, and messages that
 * quote a hostile server coming out escaped (issue 12, finding 7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* While capturing, stderr goes to this temporary file (cmocka reports on stderr too). */
static FILE *cap;
static int saved_stderr = -1;

static int setup(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	log_init(LOGL_DEBUG);
	return log_to_journal() == 0 ? 0 : -1;
}

/* Send stderr to a fresh temporary file. */
static void capture(void)
{
	cap = tmpfile();
	assert_non_null(cap);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(cap), STDERR_FILENO) >= 0);
}

/*
 * Give stderr back and return what was logged since capture(), every line
 * without its leading timestamp ("YYYY-MM-DDTHH:MM:SSZ "), which is checked
 * for its shape. The caller frees.
 */
static char *logged(void)
{
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	long end = ftell(cap);
	assert_true(end >= 0);
	char *raw = calloc(1, (size_t)end + 1);
	char *out = calloc(1, (size_t)end + 1);
	assert_non_null(raw);
	assert_non_null(out);
	rewind(cap);
	size_t n = fread(raw, 1, (size_t)end, cap);
	fclose(cap);
	raw[n] = '\0';
	char *o = out;
	for (char *line = raw; *line;) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(nl - line > 21);
		assert_int_equal(line[4], '-');
		assert_int_equal(line[10], 'T');
		assert_int_equal(line[19], 'Z');
		assert_int_equal(line[20], ' ');
		size_t len = (size_t)(nl - line) - 21 + 1;
		memcpy(o, line + 21, len);
		o += len;
		line = nl + 1;
	}
	free(raw);
	return out;
}

static void test_lines(void **state)
{
	(void)state;
	log_set_level(LOGL_INFO);
	capture();
	log_msg(LOGL_INFO, "started %d workspaces", 3);
	log_msg(LOGL_DEBUG, "not shown at info");
	log_ws(NULL, LOGL_WARNING, "acme-prod", 12, "stream %s: HTTP %d", "stats", 503);
	log_ws(NULL, LOGL_NOTICE, "acme-prod", 0, "reconnected");
	char *out = logged();
	assert_string_equal(out, "info started 3 workspaces\n"
	                         "warning acme-prod pull 12: stream stats: HTTP 503\n"
	                         "notice acme-prod: reconnected\n");
	free(out);
	log_set_level(LOGL_DEBUG);
}

/* Control and invisible characters in a message: escaped, one line per entry. */
static void test_escaped(void **state)
{
	(void)state;
	static const struct {
		const char *ws;
		int64_t pull;
		const char *msg, *want;
	} cases[] = {
	        {NULL, 0, "malformed JSON at byte 3: invalid token near '\x1b[2J'",
	         "err malformed JSON at byte 3: invalid token near '\\x1b[2J'\n"},
	        {"acme-prod", 7, "server said: ok\nZ info forged entry\r\x08",
	         "err acme-prod pull 7: server said: ok\\x0aZ info forged entry\\x0d\\x08\n"},
	        {"acme-prod", 0, "tab\there, DEL\x7f, C1\xc2\x9b[31m, bad \xff",
	         "err acme-prod: tab\\x09here, DEL\\x7f, C1\\x9b[31m, bad \\xff\n"},
	        {NULL, 0,
	         "name admin\xe2\x80\xae"
	         "gnp.exe\xe2\x80\x8b",
	         "err name admin<U+202E>gnp.exe<U+200B>\n"},
	        {NULL, 0, "caf\xc3\xa9 \xe2\x82\xac, 100% plain",
	         "err caf\xc3\xa9 \xe2\x82\xac, 100% plain\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		capture();
		if (cases[i].ws)
			log_ws(NULL, LOGL_ERR, cases[i].ws, cases[i].pull, "%s", cases[i].msg);
		else
			log_msg(LOGL_ERR, "%s", cases[i].msg);
		char *out = logged();
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].want);
		free(out);
	}
}

/* An escaped message longer than LOG_MSG_MAX is cut, never in an escape. */
static void test_cut(void **state)
{
	(void)state;
	char msg[LOG_MSG_MAX];
	memset(msg, '\x1b', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	capture();
	log_msg(LOGL_ERR, "%s", msg);
	char *out = logged();
	/* "err " then 255 escapes of 4 bytes (1020 of the 1023 a buffer holds) */
	assert_int_equal(strlen(out), 4 + 255 * 4 + 1);
	for (size_t i = 0; i < 255; i++)
		assert_memory_equal(out + 4 + 4 * i, "\\x1b", 4);
	free(out);
}

/* Warnings and errors of one workspace: LOG_RL_BURST a window, then a count. */
static void test_rate_limit(void **state)
{
	(void)state;
	struct log_rl rl = {0};
	capture();
	for (int i = 0; i < LOG_RL_BURST + 3; i++)
		log_ws(&rl, LOGL_WARNING, "globex", 0, "failure %d", i);
	log_ws(&rl, LOGL_INFO, "globex", 0, "info is not limited");
	char *out = logged();
	assert_string_equal(out, "warning globex: failure 0\n"
	                         "warning globex: failure 1\n"
	                         "warning globex: failure 2\n"
	                         "warning globex: failure 3\n"
	                         "warning globex: failure 4\n"
	                         "info globex: info is not limited\n");
	free(out);
	assert_int_equal(rl.suppressed, 3);
	rl.window_start_ms -= LOG_RL_WINDOW_MS; /* the window is over */
	capture();
	log_ws(&rl, LOGL_WARNING, "globex", 0, "again");
	out = logged();
	assert_string_equal(out, "warning globex: 3 similar messages suppressed in the last 60s\n"
	                         "warning globex: again\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_lines),
	        cmocka_unit_test(test_escaped),
	        cmocka_unit_test(test_cut),
	        cmocka_unit_test(test_rate_limit),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
