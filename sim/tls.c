/*
 * tls.c: HTTPS for --tls-cert/--tls-key. One SSL_CTX (TLS 1.2 or later)
 * with the certificate chain and key; evhttp asks tls_bevcb() for the
 * bufferevent of every accepted connection, which is an OpenSSL
 * bufferevent in accepting state that owns its SSL object.
 */
#include "wesim.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

static struct bufferevent *tls_bevcb(struct event_base *base, void *arg)
{
	SSL *ssl = SSL_new(arg);
	if (!ssl)
		return NULL;
	struct bufferevent *bev = bufferevent_openssl_socket_new(
	        base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		SSL_free(ssl);
	return bev;
}

/*
 * Load cert (PEM chain) and key (PEM) into a new context and make evhttp
 * use it. Returns 0, or -1 with err naming the file and OpenSSL's reason.
 */
int tls_setup(struct wsim_server *s, const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, errlen, "cannot create a TLS context");
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	const char *bad = NULL;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		bad = cert;
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		bad = key;
	else if (SSL_CTX_check_private_key(ctx) != 1)
		bad = key;
	if (bad) {
		char reason[256];
		ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
		snprintf(err, errlen, "%s: %s", bad, reason);
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return -1;
	}
	s->tls = ctx;
	evhttp_set_bevcb(s->http, tls_bevcb, ctx);
	return 0;
}

void tls_free(struct wsim_server *s)
{
	if (s->tls)
		SSL_CTX_free(s->tls);
	s->tls = NULL;
}
