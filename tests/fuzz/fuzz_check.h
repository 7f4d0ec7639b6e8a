/*
 * fuzz_check.h: the one assertion of the fuzz harnesses.
 *
 * A harness checks properties of what a parser returned (a value in its
 * documented range, a round trip, rows dropped on failure). When one does
 * not hold, FUZZ_CHECK prints the file, line, condition and a message to
 * stderr and aborts: libFuzzer catches the signal, prints the stack and
 * saves the input as a crash-* reproducer. Harness code only: the
 * collector itself never aborts (see the project's standards).
 */
#ifndef WEGAUGE_FUZZ_CHECK_H
#define WEGAUGE_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

/* FUZZ_CHECK(cond, fmt, ...): fmt is a printf format, always given. */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__,        \
			        #cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
