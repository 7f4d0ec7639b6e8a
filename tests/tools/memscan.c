/*
 * memscan.c: count the occurrences of a string in another process's
 * memory, for tests that a secret is gone (wiped) once it is no longer in
 * use. Reads /proc/PID/maps and every readable, writable mapping of at
 * most 1 GiB through /proc/PID/mem (root, or the same user where ptrace
 * is allowed), and prints the count, then the mappings where it was
 * found, one per line.
 *
 * usage: memscan PID STRING
 * Exit status: 0 counted (whatever the count), 2 usage, 3 cannot read the
 * process (not permitted: the caller may skip).
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3 || argv[2][0] == '\0') {
		fprintf(stderr, "usage: memscan PID STRING\n");
		return 2;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	FILE *maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
	int mem = open(path, O_RDONLY);
	if (!maps || mem < 0) {
		fprintf(stderr, "memscan: %s: %s\n", path, strerror(errno));
		return 3;
	}
	const char *needle = argv[2];
	size_t nl = strlen(needle);
	char line[512];
	long count = 0;
	size_t bufcap = 1 << 20;
	char *buf = malloc(bufcap + nl);
	if (!buf)
		return 3;
	char found[64][200];
	int nfound = 0;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8];
		/*
		 * Writable mappings of at most 1 GiB: where a program's data is.
		 * Larger ones are reservations (an ASan build's shadow memory
		 * spans terabytes), and reading them would never end.
		 */
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
		    perms[1] != 'w' || hi - lo > (1ul << 30))
			continue;
		if (strstr(line, "[vvar]") || strstr(line, "[vsyscall]"))
			continue;
		long here = 0;
		size_t carry = 0;
		for (unsigned long at = lo; at < hi;) {
			size_t want = hi - at < bufcap ? hi - at : bufcap;
			ssize_t n = pread(mem, buf + carry, want, (off_t)at);
			if (n <= 0)
				break;
			size_t len = carry + (size_t)n;
			for (char *p = buf; (p = memmem(p, len - (size_t)(p - buf), needle, nl));
			     p++)
				here++;
			carry = len >= nl - 1 ? nl - 1 : len;
			memmove(buf, buf + len - carry, carry);
			at += (unsigned long)n;
		}
		if (here && nfound < 64) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(found[nfound++], sizeof(found[0]), "%ld in %.140s", here, line);
		}
		count += here;
	}
	printf("%ld\n", count);
	for (int i = 0; i < nfound; i++)
		printf("%s\n", found[i]);
	free(buf);
	close(mem);
	fclose(maps);
	return 0;
}
