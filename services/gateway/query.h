/* query.h: one query parameter, read so that a value the request gave is never dropped. */
#ifndef GW_QUERY_H
#define GW_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "oi/buf.h"
#include "oi/validate.h"

/* name (percent-decoded) into out (n bytes); true when given and usable. A value too long for out
 * or badly escaped adds a 422 item at ["query", name] to v (the caller answers with the validation
 * when it has one): a filter the request named is never silently dropped. */
bool gw_query_param(oi_validation_t *v, const char *query, const char *name, char *out, size_t n);

/* s percent-encoded for a query value (unreserved characters kept) into out (n bytes, cut short
 * at a whole escape when it does not fit). */
void gw_query_encode(const char *s, char *out, size_t n);
/* s percent-encoded the same way, appended to b whole. */
void gw_query_encode_append(oi_buf_t *b, const char *s);

#endif
