/*
 * log.h: wegauged's log.
 *
 * Under journald (JOURNAL_STREAM names our stderr) every entry is a
 * structured journal entry (sd_journal_send) with PRIORITY= and, where
 * known, WORKSPACE= and PULL_ID=. Otherwise each entry is one plain line
 * on stderr: "2026-11-28T23:21:11Z warning ws-0001 pull 12: message".
 *
 * Rate limit: a workspace that keeps failing would flood the log. Each
 * workspace owns a struct log_rl; warnings and errors through it are
 * limited to LOG_RL_BURST per LOG_RL_WINDOW_MS, and the first entry after
 * a suppressed stretch says how many were dropped. Debug, info and notice
 * entries are not limited (they are not emitted per failure).
 *
 * Messages are escaped on the way out (textesc.h, TEXTESC_VISIBLE), in the
 * journal and on stderr alike: a control character shows as "\xHH" (so a
 * message is always one line), an invisible or bidirectional character as
 * "<U+XXXX>". Messages longer than LOG_MSG_MAX bytes, before or after
 * escaping, are cut.
 *
 * Messages must never contain a secret; callers pass fingerprints, never keys.
 */
#ifndef WEGAUGE_LOG_H
#define WEGAUGE_LOG_H

#include <stdint.h>

#include "clock.h"
#include "config.h" /* enum log_level */

#define LOG_RL_BURST     5
#define LOG_RL_WINDOW_MS 60000
#define LOG_MSG_MAX      1024 /* longer messages are cut */

struct log_rl {
	mono_ms window_start_ms;
	int count;
	int suppressed;
};

/* Set the threshold and pick journal or stderr. Safe to call again (reload). */
void log_init(enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* 1 when entries go to the journal. */
int log_to_journal(void);

/* A daemon-wide entry. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * An entry about workspace ws (pull_id 0 = none). rl may be NULL (no
 * limit); with rl, warnings and errors are rate-limited as above.
 */
void log_ws(struct log_rl *rl, enum log_level level, const char *ws, int64_t pull_id,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * libevent's own messages (install with event_set_log_callback): each at
 * the matching level (debug, notice, warning, err), every one but debug
 * through a rate limit of their own (LOG_RL_BURST per LOG_RL_WINDOW_MS,
 * whatever the level), so that a library stuck in a failing loop cannot
 * flood the log. Loop thread only, like the rest of this file.
 */
void log_libevent(int severity, const char *msg);

/* Name of a level: "err", "warning", ... */
const char *log_level_name(enum log_level level);

#endif
