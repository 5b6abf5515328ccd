/* query.c: reading one query parameter so that a value the request gave is never dropped. */
#include "query.h"

#include <stdio.h>

#include "oi/http_server.h"

bool gw_query_param(oi_validation_t *v, const char *query, const char *name, char *out, size_t n)
{
    oi_query_found_t found = oi_http_query_lookup(query, name, out, n);
    if (found == OI_QUERY_FOUND || found == OI_QUERY_ABSENT)
        return found == OI_QUERY_FOUND;
    oi_loc_t loc = oi_loc_root("query");
    loc = oi_loc_key(&loc, name);
    char msg[96];
    if (found == OI_QUERY_TOO_LONG) {
        snprintf(msg, sizeof msg, "String should have at most %zu characters", n - 1);
        oi_validation_add(v, &loc, "string_too_long", msg, NULL, NULL);
    } else {
        oi_validation_add(v, &loc, "value_error", "Value error, invalid percent-encoding", NULL, NULL);
    }
    return false;
}

static const char hex[] = "0123456789ABCDEF";

/* RFC 3986's unreserved characters: the only ones a query value keeps as they are. */
static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

void gw_query_encode(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        bool plain = unreserved(*c);
        if (o + (plain ? 1 : 3) >= n)
            break;
        if (plain) {
            out[o++] = (char)*c;
        } else {
            out[o++] = '%';
            out[o++] = hex[*c >> 4];
            out[o++] = hex[*c & 15];
        }
    }
    out[o] = '\0';
}

void gw_query_encode_append(oi_buf_t *b, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[3] = {'%', hex[*c >> 4], hex[*c & 15]};
        if (unreserved(*c))
            oi_buf_append(b, c, 1);
        else
            oi_buf_append(b, esc, 3);
    }
}
