/*
 * weapi_envelope.c: every answer of docs/api.md is one JSON envelope,
 * {"response":{"status":"success","message":...,"data":...}} or
 * {"response":{"status":"error","message":"..."}}. This file parses the
 * body and unwraps it; the stream parsers take the data from here.
 *
 * JSON is parsed by jansson with JSON_REJECT_DUPLICATES (a key given twice
 * is ambiguous: which one would a server mean?) and without JSON_ALLOW_NUL
 * (so "\u0000" is refused and every string is a C string); jansson also
 * refuses invalid UTF-8, trailing bytes after the document and nesting
 * deeper than its JSON_PARSER_MAX_DEPTH (2048). The caller bounds the size.
 */
#include "weapi.h"

#include <stdio.h>
#include <string.h>

#include "weapi_json.h"

/* The server's message, bounded and without control bytes, for "server said: ...". */
static const char *server_text(const json_t *v, char *buf, size_t buflen)
{
	if (!json_is_string(v))
		return "(no message)";
	return wj_clean(buf, buflen, json_string_value(v), json_string_length(v));
}

static int env_fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

/*
 * On success *root owns the document and *data borrows from it; on failure
 * both are NULL and nothing is held. Only "success" and "error" are
 * statuses; anything else is not the envelope. "data": null is returned as
 * JSON null (the stream parser decides); a success without "data" is an
 * error.
 */
int weapi_envelope(const char *body, size_t len, json_t **root, json_t **data, char *err,
                   size_t errlen)
{
	*root = NULL;
	*data = NULL;
	if (err && errlen)
		err[0] = '\0';
	json_error_t jerr;
	json_t *doc = json_loadb(body ? body : "", body ? len : 0, JSON_REJECT_DUPLICATES, &jerr);
	char msg[1024], q[WJ_QUOTE_MAX];
	if (!doc) {
		/* jansson's text quotes the bad token as it came: "near '<ESC>'". */
		if (err && errlen)
			snprintf(err, errlen, "malformed JSON at byte %d: %s", jerr.position,
			         wj_clean(q, sizeof(q), jerr.text, strlen(jerr.text)));
		return -1;
	}
	json_t *response = json_object_get(doc, "response");
	json_t *status = json_object_get(response, "status");
	if (!json_is_object(response)) {
		env_fail(err, errlen, "not the envelope: no response object");
	} else if (!status) {
		env_fail(err, errlen, "not the envelope: no response.status");
	} else if (!json_is_string(status)) {
		snprintf(msg, sizeof(msg), "not the envelope: response.status is %s, not a string",
		         wj_kind(status));
		env_fail(err, errlen, msg);
	} else if (strcmp(json_string_value(status), "error") == 0) {
		snprintf(msg, sizeof(msg), "server said: %s",
		         server_text(json_object_get(response, "message"), q, sizeof(q)));
		env_fail(err, errlen, msg);
	} else if (strcmp(json_string_value(status), "success") != 0) {
		snprintf(msg, sizeof(msg), "not the envelope: unknown response.status %s",
		         wj_quote(q, sizeof(q), json_string_value(status),
		                  json_string_length(status)));
		env_fail(err, errlen, msg);
	} else if (!json_object_get(response, "data")) {
		env_fail(err, errlen, "no data: response.data is missing");
	} else {
		*root = doc;
		*data = json_object_get(response, "data");
		return 0;
	}
	json_decref(doc);
	return -1;
}
