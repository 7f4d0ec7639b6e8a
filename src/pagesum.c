/*
 * pagesum.c: digests of the pages of a stream's walk (see pagesum.h).
 * SHA-256 through OpenSSL's EVP interface, which the daemon already links
 * for its key fingerprints (secret.c); computed on the worker thread,
 * next to the parse it may save.
 */
#include "pagesum.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* The length of a part, as 8 big-endian bytes, so that parts cannot run into each other. */
static int update_part(EVP_MD_CTX *ctx, const void *p, size_t len)
{
	unsigned char n[8];
	for (int i = 0; i < 8; i++)
		n[i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	return EVP_DigestUpdate(ctx, n, sizeof(n)) == 1 &&
	       (len == 0 || EVP_DigestUpdate(ctx, p, len) == 1);
}

int pagesum_digest(uint8_t out[PAGESUM_LEN], const char *url, const char *post, const char *body,
                   size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	         update_part(ctx, url, strlen(url)) &&
	         update_part(ctx, post ? post : "", post ? strlen(post) : 0) &&
	         update_part(ctx, body ? body : "", body ? len : 0) &&
	         EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= PAGESUM_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	memcpy(out, md, PAGESUM_LEN);
	return 0;
}

int pagesum_push(struct pagesum *ps, const struct pagesum_entry *e)
{
	if (ps->n >= PAGESUM_MAX)
		return -1;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 8;
		struct pagesum_entry *v = realloc(ps->v, cap * sizeof(*v));
		if (!v)
			return -1;
		ps->v = v;
		ps->cap = cap;
	}
	ps->v[ps->n++] = *e;
	return 0;
}

int pagesum_equal(const struct pagesum *a, const struct pagesum *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(a->v[i].d, b->v[i].d, PAGESUM_LEN) != 0 ||
		    a->v[i].pages != b->v[i].pages || a->v[i].contents != b->v[i].contents)
			return 0;
	return 1;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

unsigned char *pagesum_encode(const struct pagesum *ps, size_t *len)
{
	*len = 0;
	if (ps->n == 0)
		return NULL;
	unsigned char *b = malloc(ps->n * PAGESUM_BYTES);
	if (!b)
		return NULL;
	for (size_t i = 0; i < ps->n; i++) {
		unsigned char *p = b + i * PAGESUM_BYTES;
		memcpy(p, ps->v[i].d, PAGESUM_LEN);
		put32(p + PAGESUM_LEN, ps->v[i].pages);
		put32(p + PAGESUM_LEN + 4, ps->v[i].contents);
	}
	*len = ps->n * PAGESUM_BYTES;
	return b;
}

int pagesum_decode(struct pagesum *ps, const void *blob, size_t len)
{
	pagesum_clear(ps);
	if (len % PAGESUM_BYTES != 0 || len / PAGESUM_BYTES > PAGESUM_MAX)
		return -1;
	const unsigned char *b = blob;
	for (size_t i = 0; i < len / PAGESUM_BYTES; i++) {
		const unsigned char *p = b + i * PAGESUM_BYTES;
		struct pagesum_entry e;
		memcpy(e.d, p, PAGESUM_LEN);
		e.pages = get32(p + PAGESUM_LEN);
		e.contents = get32(p + PAGESUM_LEN + 4);
		if (pagesum_push(ps, &e) != 0) {
			pagesum_clear(ps);
			return -1;
		}
	}
	return 0;
}

void pagesum_clear(struct pagesum *ps)
{
	ps->n = 0;
}

void pagesum_free(struct pagesum *ps)
{
	free(ps->v);
	ps->v = NULL;
	ps->n = ps->cap = 0;
}
