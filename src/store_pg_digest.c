/*
 * store_pg_digest.c: the PostgreSQL store's memory of stored page
 * digests (see store_pg_digest.h).
 */
#include "store_pg_digest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"

struct pgd_entry {
	struct pgd_entry *next;
	uint64_t hash;
	int stream;
	size_t len;
	unsigned char *blob;
	char ws[]; /* NUL-terminated */
};

struct pgdigest {
	struct pgd_entry **b;
	size_t nb, n;
};

static uint64_t key_hash(const char *ws, int stream)
{
	uint64_t h = fnv1a_str(FNV1A_OFFSET, ws);
	unsigned char s = (unsigned char)stream;
	return fnv1a(h, &s, 1);
}

struct pgdigest *pgdigest_new(void)
{
	struct pgdigest *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->nb = 256;
	m->b = calloc(m->nb, sizeof(*m->b));
	if (!m->b) {
		free(m);
		return NULL;
	}
	return m;
}

void pgdigest_free(struct pgdigest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nb; i++)
		for (struct pgd_entry *e = m->b[i], *next; e; e = next) {
			next = e->next;
			free(e->blob);
			free(e);
		}
	free(m->b);
	free(m);
}

static struct pgd_entry **find(const struct pgdigest *m, const char *ws, int stream, uint64_t h)
{
	struct pgd_entry **pp = &m->b[h % m->nb];
	while (*pp && ((*pp)->hash != h || (*pp)->stream != stream || strcmp((*pp)->ws, ws) != 0))
		pp = &(*pp)->next;
	return pp;
}

/* Double the buckets (kept as they are when out of memory: only slower). */
static void grow(struct pgdigest *m)
{
	size_t nb = m->nb * 2;
	struct pgd_entry **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < m->nb; i++)
		for (struct pgd_entry *e = m->b[i], *next; e; e = next) {
			next = e->next;
			e->next = b[e->hash % nb];
			b[e->hash % nb] = e;
		}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

int pgdigest_set(struct pgdigest *m, const char *ws, int stream, const unsigned char *blob,
                 size_t len)
{
	uint64_t h = key_hash(ws, stream);
	struct pgd_entry **pp = find(m, ws, stream, h), *e = *pp;
	if (len == 0 || !blob) {
		if (e) {
			*pp = e->next;
			free(e->blob);
			free(e);
			m->n--;
		}
		return 0;
	}
	unsigned char *copy = malloc(len);
	if (!copy) {
		pgdigest_set(m, ws, stream, NULL, 0);
		return -1;
	}
	memcpy(copy, blob, len);
	if (!e) {
		size_t wl = strlen(ws);
		e = calloc(1, sizeof(*e) + wl + 1);
		if (!e) {
			free(copy);
			return -1;
		}
		memcpy(e->ws, ws, wl + 1);
		e->hash = h;
		e->stream = stream;
		e->next = m->b[h % m->nb];
		m->b[h % m->nb] = e;
		if (++m->n > 2 * m->nb)
			grow(m);
	}
	free(e->blob);
	e->blob = copy;
	e->len = len;
	return 0;
}

int pgdigest_get(const struct pgdigest *m, const char *ws, int stream, unsigned char **out,
                 size_t *len)
{
	*out = NULL;
	*len = 0;
	const struct pgd_entry *e = *find(m, ws, stream, key_hash(ws, stream));
	if (!e)
		return 0;
	*out = malloc(e->len);
	if (!*out)
		return -1;
	memcpy(*out, e->blob, e->len);
	*len = e->len;
	return 0;
}
