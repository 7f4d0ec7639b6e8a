/*
 * errbuf.h: the error buffers of the project's interfaces.
 *
 * Functions that can fail take (char *err, size_t errlen) and say what
 * went wrong there; errbuf_set is the one place that writes it. A NULL
 * buffer or a zero length means the caller does not want the message.
 */
#ifndef WEGAUGE_ERRBUF_H
#define WEGAUGE_ERRBUF_H

#include <stddef.h>

/* printf into err (cut to errlen - 1 bytes); a no-op when err is NULL or errlen 0. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
