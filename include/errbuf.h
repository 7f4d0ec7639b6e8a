/*
 * errbuf.h: the error buffers of the project's interfaces.
 *
 * Functions that can fail take (char *err, size_t errlen) and say what
 * went wrong there. errbuf_set is a helper for writing it, not the only
 * writer: the store and much of the tool use it, while many modules
 * (config_table.c, secret.c, httpd.c, the daemon, ...) write with
 * snprintf(err, errlen, ...) directly. Either way errlen 0 means the
 * caller does not want the message (err may then be NULL); a NULL err
 * with a nonzero errlen is safe only with errbuf_set, so a caller that
 * wants no message passes NULL and 0.
 */
#ifndef WEGAUGE_ERRBUF_H
#define WEGAUGE_ERRBUF_H

#include <stddef.h>

/* printf into err (cut to errlen - 1 bytes); a no-op when err is NULL or errlen 0. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
