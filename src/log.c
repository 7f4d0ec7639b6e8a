/*
 * log.c: journal or stderr, one entry per call, with the per-workspace rate
 * limit described in log.h, and libevent's messages routed through the
 * same (log_libevent). The loop thread is the only caller. Every message
 * goes out escaped by log_emit(), the one place that writes.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "clock.h"
#include "textesc.h"
#include "ts.h"

static enum log_level log_level = LOGL_INFO;
static int log_journal;

/* JOURNAL_STREAM is "device:inode" of the stream journald gave us. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	if (!js)
		return 0;
	unsigned long long dev, ino;
	if (sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	struct stat st;
	if (fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(enum log_level level)
{
	log_level = level;
	log_journal = stderr_is_journal();
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

int log_to_journal(void)
{
	return log_journal;
}

const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOGL_ERR:
		return "err";
	case LOGL_WARNING:
		return "warning";
	case LOGL_NOTICE:
		return "notice";
	case LOGL_INFO:
		return "info";
	case LOGL_DEBUG:
		return "debug";
	}
	return "?";
}

/*
 * Write one finished entry, its message escaped first (textesc.h, with
 * TEXTESC_VISIBLE): a message may quote what a server sent, and neither
 * the terminal or file behind stderr nor the journal's reader should get
 * its control characters (a newline would forge an entry of its own) or
 * invisible ones. Both destinations get the same escaped text.
 */
static void log_emit(enum log_level level, const char *ws, int64_t pull_id, const char *raw)
{
	char msg[LOG_MSG_MAX];
	textesc_buf(msg, sizeof(msg), raw, strlen(raw), TEXTESC_VISIBLE);
	if (log_journal) {
		char pid[24];
		snprintf(pid, sizeof(pid), "%lld", (long long)pull_id);
		if (ws && pull_id)
			sd_journal_send("MESSAGE=%s: %s", ws, msg, "PRIORITY=%d", (int)level,
			                "WORKSPACE=%s", ws, "PULL_ID=%s", pid,
			                "SYSLOG_IDENTIFIER=wegauged", NULL);
		else if (ws)
			sd_journal_send("MESSAGE=%s: %s", ws, msg, "PRIORITY=%d", (int)level,
			                "WORKSPACE=%s", ws, "SYSLOG_IDENTIFIER=wegauged", NULL);
		else
			sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", (int)level,
			                "SYSLOG_IDENTIFIER=wegauged", NULL);
		return;
	}
	char when[TS_LEN];
	ts_format(clock_wall_s(), when);
	if (ws && pull_id)
		fprintf(stderr, "%s %s %s pull %lld: %s\n", when, log_level_name(level), ws,
		        (long long)pull_id, msg);
	else if (ws)
		fprintf(stderr, "%s %s %s: %s\n", when, log_level_name(level), ws, msg);
	else
		fprintf(stderr, "%s %s %s\n", when, log_level_name(level), msg);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	char msg[LOG_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emit(level, NULL, 0, msg);
}

/*
 * The rate limit: a fixed window per workspace. Returns 1 when this entry
 * may go out, and then reports (once) how many were dropped before it.
 */
static int log_rl_admit(struct log_rl *rl, enum log_level level, const char *ws)
{
	mono_ms now = clock_mono_ms();
	if (now - rl->window_start_ms >= LOG_RL_WINDOW_MS || rl->window_start_ms == 0) {
		if (rl->suppressed > 0) {
			char msg[96];
			snprintf(msg, sizeof(msg), "%d similar messages suppressed in the last %ds",
			         rl->suppressed, LOG_RL_WINDOW_MS / 1000);
			log_emit(level, ws, 0, msg);
		}
		rl->window_start_ms = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count >= LOG_RL_BURST) {
		rl->suppressed++;
		return 0;
	}
	rl->count++;
	return 1;
}

void log_ws(struct log_rl *rl, enum log_level level, const char *ws, int64_t pull_id,
            const char *fmt, ...)
{
	if (level > log_level)
		return;
	if (rl && level <= LOGL_WARNING && !log_rl_admit(rl, level, ws))
		return;
	char msg[LOG_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emit(level, ws, pull_id, msg);
}

void log_libevent(int severity, const char *msg)
{
	static struct log_rl rl; /* libevent's own: one limit for all its messages */
	enum log_level level = severity == EVENT_LOG_DEBUG  ? LOGL_DEBUG
	                       : severity == EVENT_LOG_MSG  ? LOGL_NOTICE
	                       : severity == EVENT_LOG_WARN ? LOGL_WARNING
	                                                    : LOGL_ERR;
	if (level > log_level)
		return;
	if (level != LOGL_DEBUG && !log_rl_admit(&rl, level, NULL))
		return;
	char line[LOG_MSG_MAX];
	snprintf(line, sizeof(line), "libevent: %s", msg ? msg : "?");
	log_emit(level, NULL, 0, line);
}
