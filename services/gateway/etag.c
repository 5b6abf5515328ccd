/* etag.c: a number's ETag (its version, a strong entity tag) and If-Match on PATCH and DELETE. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "oi/http_server.h"

void gw_etag_header(long long version, char out[GW_ETAG_HEADER_MAX])
{
    if (version > 0)
        snprintf(out, GW_ETAG_HEADER_MAX, "ETag: \"%lld\"\r\n", version);
    else
        out[0] = '\0';
}

static void refuse(gw_req_t *r, oi_status_t st, const char *msg)
{
    oi_error_t e;
    oi_error_init(&e);
    oi_error_set(&e, st, "%s", msg);
    gw_respond_error(r, &e);
}

/* "123" (strong, 1..18 digits) into *version; false for anything else (a weak tag never matches
 * under If-Match's strong comparison, RFC 9110 §13.1.1). */
static bool parse_tag(const char *s, size_t n, long long *version)
{
    if (n < 3 || n > 20 || s[0] != '"' || s[n - 1] != '"')
        return false;
    long long v = 0;
    for (size_t i = 1; i < n - 1; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *version = v;
    return v > 0;
}

bool gw_if_match(gw_req_t *r, long long *version)
{
    *version = 0;
    const char *h = oi_http_req_header(r->http, "If-Match");
    if (!h)
        return true;
    while (*h == ' ' || *h == '\t')
        h++;
    size_t n = strlen(h);
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    if (n == 1 && h[0] == '*') /* any current representation: the number must exist, as always */
        return true;
    if (memchr(h, ',', n)) {
        refuse(r, OI_BAD_REQUEST, "If-Match: give one entity tag (the number's ETag) or *");
        return false;
    }
    if (!parse_tag(h, n, version)) {
        refuse(r, OI_PRECONDITION_FAILED, "If-Match does not match the number's ETag (a quoted version, e.g. \"3\")");
        return false;
    }
    return true;
}
