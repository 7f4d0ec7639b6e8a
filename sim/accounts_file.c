/*
 * accounts_file.c: the accounts file of --accounts, read at start and on
 * every SIGHUP, and written by --write-config. One line per account:
 *
 *   ws-0001 lc=311c48b3 key=0123... revision=0 revoked=no rate_limit=1000 disabled=SMS,WHATSAPP
 *
 * The first word names a generated account (ws-0001 .. ws-N). Every other
 * word is key=value, each optional: a field not given keeps the seed's
 * value (not the value of an earlier load), so the file is the complete
 * set of overrides. Blank lines and lines starting with '#' are ignored.
 * A file with any bad line is refused as a whole: each bad line is
 * reported (file, line, what was wrong; never a key) and the caller keeps
 * its old set. Format reference: docs/wesim.md, "Accounts file".
 */
#include "wesim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096 /* the longest line accepted */
#define MAX_REPORTED   20   /* bad lines reported before giving up */

static bool lc_ok(const char *s, size_t n)
{
	if (n < 1 || n > WSIM_LC_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool key_ok(const char *s, size_t n)
{
	if (n < WSIM_KEY_MIN || n > WSIM_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '!' || s[i] > '~')
			return false;
	return true;
}

/* A comma list of channel names or campaign path names into a mask. */
static int parse_disabled(const char *s, size_t n, uint16_t *mask, char *err, size_t errlen)
{
	*mask = 0;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != ',')
			j++;
		int ch = wsim_channel_from_name(s + i, j - i);
		if (ch < 0) {
			for (int p = 0; p < WSIM_CAMPAIGN_PATHS; p++) {
				const char *path = wsim_campaign_paths[p].path;
				if (strlen(path) == j - i && memcmp(path, s + i, j - i) == 0)
					ch = (int)wsim_campaign_paths[p].channel;
			}
		}
		if (ch < 0 || ch == CH_OVERALL) {
			snprintf(
			        err, errlen,
			        "disabled: \"%.*s\" is not a channel (PUSH_NOTIFICATION, ..., RCS, "
			        "or a campaign path such as sms-messages; OVERALL cannot be "
			        "disabled)",
			        (int)(j - i > 64 ? 64 : j - i), s + i);
			return -1;
		}
		*mask |= (uint16_t)(1u << ch);
		i = j + 1;
	}
	return 0;
}

static bool word_eq(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

/*
 * Apply one line (NUL-terminated, no newline) to set. Returns 0, 1 when the
 * line is blank or a comment, or -1 with err. seen marks accounts already
 * named by an earlier line.
 */
static int apply_line(char *line, uint64_t seed, struct wsim_accounts *set, uint8_t *seen,
                      char *err, size_t errlen)
{
	char *p = line;
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p == '\0' || *p == '#')
		return 1;
	char *name = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '\r')
		p++;
	size_t name_len = (size_t)(p - name);
	char namebuf[WSIM_NAME_LEN];
	if (name_len >= sizeof(namebuf)) {
		snprintf(err, errlen, "\"%.20s...\" is not an account name (ws-0001 .. ws-%04u)",
		         name, set->n);
		return -1;
	}
	memcpy(namebuf, name, name_len);
	namebuf[name_len] = '\0';
	int idx = accounts_find_name(set, namebuf);
	if (idx < 0) {
		snprintf(err, errlen, "\"%s\" is not an account name (ws-0001 .. ws-%04u)", namebuf,
		         set->n);
		return -1;
	}
	if (seen[idx]) {
		snprintf(err, errlen, "account %s is listed twice", namebuf);
		return -1;
	}
	seen[idx] = 1;
	struct wsim_account a = set->v[idx];
	bool have_lc = false, have_disabled = false;
	uint16_t disabled = 0;
	unsigned given = 0;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		size_t wn = (size_t)(p - w);
		char *eq = memchr(w, '=', wn);
		if (!eq) {
			snprintf(err, errlen, "%s: \"%.*s\" is not key=value", namebuf,
			         (int)(wn > 32 ? 32 : wn), w);
			return -1;
		}
		size_t kn = (size_t)(eq - w);
		const char *v = eq + 1;
		size_t vn = wn - kn - 1;
		static const char *const keys[] = {"lc",      "key",        "revision",
		                                   "revoked", "rate_limit", "disabled"};
		int k = -1;
		for (int i = 0; i < 6; i++)
			if (word_eq(w, kn, keys[i]))
				k = i;
		if (k < 0) {
			snprintf(err, errlen,
			         "%s: unknown field \"%.*s\" (expected lc, key, revision, revoked, "
			         "rate_limit, disabled)",
			         namebuf, (int)(kn > 32 ? 32 : kn), w);
			return -1;
		}
		if (given & (1u << k)) {
			snprintf(err, errlen, "%s: field %s given twice", namebuf, keys[k]);
			return -1;
		}
		given |= 1u << k;
		char num[24];
		uint64_t u;
		switch (k) {
		case 0:
			if (!lc_ok(v, vn)) {
				snprintf(err, errlen,
				         "%s: lc must be 1..%d characters of [A-Za-z0-9_-]",
				         namebuf, WSIM_LC_MAX);
				return -1;
			}
			memcpy(a.lc, v, vn);
			a.lc[vn] = '\0';
			have_lc = true;
			break;
		case 1:
			if (!key_ok(v, vn)) {
				snprintf(
				        err, errlen,
				        "%s: key must be %d..%d printable ASCII characters without "
				        "spaces",
				        namebuf, WSIM_KEY_MIN, WSIM_KEY_MAX);
				return -1;
			}
			memcpy(a.key, v, vn);
			a.key[vn] = '\0';
			break;
		case 2:
		case 4:
			if (vn == 0 || vn >= sizeof(num)) {
				u = UINT64_MAX;
			} else {
				memcpy(num, v, vn);
				num[vn] = '\0';
				if (validate_uint(num, k == 2 ? 0 : 1,
				                  k == 2 ? WSIM_MAX_REVISION : WSIM_MAX_RATE,
				                  &u) != 0)
					u = UINT64_MAX;
			}
			if (u == UINT64_MAX) {
				snprintf(err, errlen, "%s: %s must be an integer in %u..%u",
				         namebuf, keys[k], k == 2 ? 0u : 1u,
				         k == 2 ? WSIM_MAX_REVISION : WSIM_MAX_RATE);
				return -1;
			}
			if (k == 2)
				a.revision = (uint32_t)u;
			else
				a.rate_limit = (uint32_t)u;
			break;
		case 3:
			if (word_eq(v, vn, "yes") || word_eq(v, vn, "true") ||
			    word_eq(v, vn, "1")) {
				a.revoked = true;
			} else if (word_eq(v, vn, "no") || word_eq(v, vn, "false") ||
			           word_eq(v, vn, "0")) {
				a.revoked = false;
			} else {
				snprintf(err, errlen, "%s: revoked must be yes or no", namebuf);
				return -1;
			}
			break;
		default: {
			char sub[256];
			if (parse_disabled(v, vn, &disabled, sub, sizeof(sub)) != 0) {
				snprintf(err, errlen, "%s: %s", namebuf, sub);
				return -1;
			}
			have_disabled = true;
			break;
		}
		}
	}
	if (have_lc)
		accounts_derive(seed, &a, !have_disabled);
	if (have_disabled)
		a.disabled = disabled;
	set->v[idx] = a;
	return 0;
}

/*
 * Build the account set of (seed, n, rate_limit) with the overrides of the
 * file at path (NULL: none) into *out. Bad lines are reported to report
 * (when not NULL) as "PATH:LINE: what"; any bad line, an unreadable file,
 * or duplicate license codes or keys fail the whole load: returns -1 with
 * err and *out is left untouched. On success returns 0 and the caller owns
 * *out (accounts_free).
 */
int accounts_load(const char *path, uint64_t seed, uint32_t n, uint32_t rate_limit,
                  struct wsim_accounts *out, FILE *report, char *err, size_t errlen)
{
	struct wsim_accounts set;
	if (accounts_generate(seed, n, rate_limit, &set, err, errlen) != 0)
		return -1;
	if (!path) {
		*out = set;
		return 0;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		accounts_free(&set);
		return -1;
	}
	uint8_t *seen = calloc(set.n, 1);
	char *line = malloc(LINE_MAX_BYTES + 2);
	if (!seen || !line) {
		free(seen);
		free(line);
		fclose(f);
		accounts_free(&set);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	unsigned bad = 0, lineno = 0;
	bool too_long = false;
	while (fgets(line, LINE_MAX_BYTES + 2, f)) {
		size_t len = strlen(line);
		if (!too_long)
			lineno++;
		bool complete = len > 0 && line[len - 1] == '\n';
		if (!complete && !feof(f)) {
			/* longer than LINE_MAX_BYTES: report once, skip the rest */
			if (!too_long) {
				bad++;
				if (report && bad <= MAX_REPORTED)
					fprintf(report, "wesim: %s:%u: line longer than %d bytes\n",
					        path, lineno, LINE_MAX_BYTES);
			}
			too_long = true;
			continue;
		}
		if (too_long) {
			too_long = false;
			continue;
		}
		if (complete)
			line[len - 1] = '\0';
		char msg[512];
		if (apply_line(line, seed, &set, seen, msg, sizeof(msg)) < 0) {
			bad++;
			if (report && bad <= MAX_REPORTED)
				fprintf(report, "wesim: %s:%u: %s\n", path, lineno, msg);
		}
	}
	bool rerr = ferror(f) != 0;
	fclose(f);
	free(seen);
	free(line);
	if (rerr) {
		snprintf(err, errlen, "%s: read error", path);
		accounts_free(&set);
		return -1;
	}
	if (bad) {
		snprintf(err, errlen, "%s: %u bad line%s; accounts not changed", path, bad,
		         bad == 1 ? "" : "s");
		accounts_free(&set);
		return -1;
	}
	char sub[256];
	if (accounts_index(&set, sub, sizeof(sub)) != 0) {
		snprintf(err, errlen, "%s: %s; accounts not changed", path, sub);
		accounts_free(&set);
		return -1;
	}
	*out = set;
	return 0;
}

/*
 * Write every account of set, with every field, to path: a temporary file
 * in the same directory (mode 0600: it holds keys), then rename. Returns 0,
 * or -1 with err.
 */
int accounts_write(const char *path, const struct wsim_accounts *set, char *err, size_t errlen)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 32);
	if (!tmp) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return -1;
	}
	fprintf(f, "# wesim accounts file (docs/wesim.md): name lc= key= revision= revoked= "
	           "rate_limit= disabled=\n");
	for (uint32_t i = 0; i < set->n; i++) {
		const struct wsim_account *a = &set->v[i];
		char dis[256];
		accounts_disabled_str(a->disabled, dis, sizeof(dis));
		fprintf(f, "%s lc=%s key=%s revision=%u revoked=%s rate_limit=%u disabled=%s\n",
		        a->name, a->lc, a->key, a->revision, a->revoked ? "yes" : "no",
		        a->rate_limit, dis);
	}
	bool bad = ferror(f) != 0;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		bad = true;
	if (fclose(f) != 0)
		bad = true;
	if (bad || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}
