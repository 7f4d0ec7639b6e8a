/*
 * config_load.c: how long config_load() takes with N workspaces, each in
 * its own *.conf file of include_dir with its own api_key_file: the shape
 * bench/run writes for its reload figure (2N + 1 files per load). It writes
 * that configuration into a fresh temporary directory, loads it once to
 * warm the page cache, then times R loads and prints the fastest, the
 * median and the slowest, in ms of CLOCK_MONOTONIC and of the process's
 * CPU time. The directory is removed at the end unless --keep is given
 * (then its path is printed).
 *
 * usage: config_load [--workspaces N] [--rounds R] [--hint] [--keep] [--dir DIR]
 * prints: config_load[ --hint] workspaces=N files=F rounds=R
 *         wall_ms min=.. median=.. max=.. cpu_ms min=.. median=.. max=..
 *
 * --hint: each load is config_load_hint() with the previous load's result
 * as its hint, as the daemon reloads: unchanged files are only stat()ed.
 * A freshly written tree is first left to age past FSTAMP_RACY_NS (else
 * every file would count as racily clean and be read).
 * --dir DIR: load the configuration an earlier --keep left in DIR (with
 * as many workspaces); nothing is written or removed. For profiling the
 * loads alone: perf record -g build/config_load --dir DIR --hint.
 *
 * Built against the project's static library, not by ctest:
 *   cmake --build build -j2 --target wegauge_core
 *   cc -std=c11 -O2 -g -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I include \
 *      -o build/config_load bench/config_load.c build/src/libwegauge_core.a \
 *      $(pkg-config --libs libcurl libevent libevent_extra openssl jansson sqlite3 \
 *      libsystemd inih) -lm
 *
 * Limits: N is 1 .. 16384 (config.c's CONFIG_MAX_WS), R is 1 .. 1000.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#define BENCH_MAX_WS     16384
#define BENCH_MAX_ROUNDS 1000
#define BENCH_DIR_MAX    1024 /* the temporary directory's path */
#define BENCH_PATH_MAX   (BENCH_DIR_MAX + 64)
#define BENCH_TEXT_MAX   (2 * BENCH_DIR_MAX + 512)

/* Monotonic wall time and this process's CPU time, in ns. */
static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Write text to path with mode; 0 or -1 (errno set, message printed). */
static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		fprintf(stderr, "config_load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	if (w < 0 || (size_t)w != n || close(fd) != 0) {
		fprintf(stderr, "config_load: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

/*
 * The configuration of bench/run under dir: dir/wegauged.conf naming
 * dir/all as include_dir, dir/all/ws-NNNNN.conf and dir/keys/ws-NNNNN.key
 * (mode 0600) for each of the n workspaces.
 */
static int write_tree(const char dir[BENCH_DIR_MAX], int n)
{
	char path[BENCH_PATH_MAX], text[BENCH_TEXT_MAX], sub[BENCH_PATH_MAX];
	snprintf(sub, sizeof(sub), "%s/all", dir);
	if (mkdir(sub, 0700) != 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s/keys", dir);
	if (mkdir(sub, 0700) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/wegauged.conf", dir);
	snprintf(text, sizeof(text),
	         "[daemon]\ndatabase = %s/bench.db\ninclude_dir = %s/all\nmax_in_flight = 64\n"
	         "max_per_host = 64\npage_size = 100\nlookback_days = 1\nlog_level = notice\n"
	         "interval = 1h\n",
	         dir, dir);
	if (write_file(path, text, 0644) != 0)
		return -1;
	for (int i = 1; i <= n; i++) {
		/* A key of the shape wesim hands out: 40 characters, distinct per workspace. */
		snprintf(path, sizeof(path), "%s/keys/ws-%05d.key", dir, i);
		snprintf(text, sizeof(text), "wk_%08x%08x%08x%08x%05d\n", (unsigned)i * 2654435761u,
		         (unsigned)i * 40503u, (unsigned)i ^ 0x5bd1e995u, (unsigned)i * 97u, i);
		if (write_file(path, text, 0600) != 0)
			return -1;
		snprintf(path, sizeof(path), "%s/all/ws-%05d.conf", dir, i);
		snprintf(text, sizeof(text),
		         "[workspace \"ws-%05d\"]\nlicense_code = lc%05d\n"
		         "base_url = http://127.0.0.1:%d\napi_key_file = %s/keys/ws-%05d.key\n",
		         i, i, i % 2 ? 40001 : 40002, dir, i);
		if (write_file(path, text, 0644) != 0)
			return -1;
	}
	return 0;
}

/* rm -r of the tree write_tree made (n workspaces); best effort. */
static void remove_tree(const char dir[BENCH_DIR_MAX], int n)
{
	char path[BENCH_PATH_MAX];
	for (int i = 1; i <= n; i++) {
		snprintf(path, sizeof(path), "%s/keys/ws-%05d.key", dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/all/ws-%05d.conf", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/wegauged.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/all", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/keys", dir);
	rmdir(path);
	rmdir(dir);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/*
 * One load of path with *hint as the hint (NULL: none), which is then freed
 * and replaced by the new configuration when keep_hint, else the new one is
 * freed. 0, or -1 after printing the errors.
 */
static int load_once(const char *path, size_t want_ws, struct config **hint, int keep_hint)
{
	struct config *cfg = NULL;
	struct config_errors errs;
	if (config_load_hint(path, *hint, &cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "config_load: %s\n", errs.msg[i]);
		config_errors_free(&errs);
		return -1;
	}
	int rc = cfg->n_ws == want_ws ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "config_load: %zu workspaces loaded, want %zu\n", cfg->n_ws,
		        want_ws);
	if (keep_hint) {
		config_free(*hint);
		*hint = cfg;
	} else {
		config_free(cfg);
	}
	return rc;
}

int main(int argc, char **argv)
{
	int n = 10000, rounds = 10;
	int keep = 0, use_hint = 0;
	struct config *hint = NULL;
	const char *given = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--workspaces") == 0 && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--keep") == 0)
			keep = 1;
		else if (strcmp(argv[i], "--hint") == 0)
			use_hint = 1;
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			given = argv[++i];
		else {
			fprintf(stderr, "usage: config_load [--workspaces N] [--rounds R] [--hint] "
			                "[--keep] [--dir DIR]\n");
			return 2;
		}
	}
	if (n < 1 || n > BENCH_MAX_WS || rounds < 1 || rounds > BENCH_MAX_ROUNDS) {
		fprintf(stderr, "config_load: expected 1..%d workspaces and 1..%d rounds\n",
		        BENCH_MAX_WS, BENCH_MAX_ROUNDS);
		return 2;
	}
	const char *tmp = getenv("TMPDIR");
	char dir[BENCH_DIR_MAX], path[BENCH_PATH_MAX];
	if (tmp && strlen(tmp) > BENCH_DIR_MAX - 64) {
		fprintf(stderr, "config_load: $TMPDIR is longer than %d bytes\n",
		        BENCH_DIR_MAX - 64);
		return 2;
	}
	if (given != NULL && strlen(given) > BENCH_DIR_MAX - 64) {
		fprintf(stderr, "config_load: --dir is longer than %d bytes\n", BENCH_DIR_MAX - 64);
		return 2;
	}
	if (given != NULL)
		snprintf(dir, sizeof(dir), "%s", given);
	else
		snprintf(dir, sizeof(dir), "%s/wegauge-config-load.XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
	if (given == NULL && mkdtemp(dir) == NULL) {
		fprintf(stderr, "config_load: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	umask(022);
	int rc = 1;
	int64_t *wall = calloc((size_t)rounds, sizeof(*wall));
	int64_t *cpu = calloc((size_t)rounds, sizeof(*cpu));
	snprintf(path, sizeof(path), "%s/wegauged.conf", dir);
	if (!wall || !cpu || (given == NULL && write_tree(dir, n) != 0))
		goto out;
	if (use_hint && given == NULL) {
		/* Past the racy window of the newest file written (not a wait for an event). */
		struct timespec racy = {.tv_sec = FSTAMP_RACY_NS / 1000000000 + 1};
		nanosleep(&racy, NULL);
	}
	if (load_once(path, (size_t)n, &hint, use_hint) != 0)
		goto out;
	for (int r = 0; r < rounds; r++) {
		int64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
		if (load_once(path, (size_t)n, &hint, use_hint) != 0)
			goto out;
		wall[r] = now_ns(CLOCK_MONOTONIC) - w0;
		cpu[r] = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	}
	qsort(wall, (size_t)rounds, sizeof(*wall), cmp_i64);
	qsort(cpu, (size_t)rounds, sizeof(*cpu), cmp_i64);
	printf("config_load%s workspaces=%d files=%d rounds=%d wall_ms min=%.1f median=%.1f "
	       "max=%.1f cpu_ms min=%.1f median=%.1f max=%.1f\n",
	       use_hint ? " --hint" : "", n, 2 * n + 1, rounds, wall[0] / 1e6,
	       wall[rounds / 2] / 1e6, wall[rounds - 1] / 1e6, cpu[0] / 1e6, cpu[rounds / 2] / 1e6,
	       cpu[rounds - 1] / 1e6);
	rc = 0;
out:
	config_free(hint);
	free(wall);
	free(cpu);
	if (keep)
		printf("config_load: configuration kept in %s\n", dir);
	else if (given == NULL)
		remove_tree(dir, n);
	return rc;
}
