/* http_url.c: percent-decoding, query parameter lookup and status reason phrases. */
#include "oi/http_server.h"

#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* oi_http_url_decode, saying why it failed: a bad escape wins over a value too long. */
static oi_query_found_t decode(const char *src, size_t len, char *dst, size_t n, bool plus_space)
{
    if (!dst || n == 0)
        return OI_QUERY_TOO_LONG;
    dst[0] = '\0';
    if (!src)
        return len == 0 ? OI_QUERY_FOUND : OI_QUERY_BAD_ESCAPE;
    size_t o = 0;
    bool overflow = false;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            int h = i + 2 < len ? hex_value(src[i + 1]) : -1;
            int l = i + 2 < len ? hex_value(src[i + 2]) : -1;
            /* a NUL would silently cut the C string short */
            if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                dst[0] = '\0';
                return OI_QUERY_BAD_ESCAPE;
            }
            c = (char)(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (o + 1 >= n) {
            overflow = true;
            continue; /* go on: a bad escape further on is still reported as one */
        }
        dst[o++] = c;
    }
    if (overflow) {
        dst[0] = '\0';
        return OI_QUERY_TOO_LONG;
    }
    dst[o] = '\0';
    return OI_QUERY_FOUND;
}

bool oi_http_url_decode(const char *src, size_t len, char *dst, size_t n, bool plus_space)
{
    return decode(src, len, dst, n, plus_space) == OI_QUERY_FOUND;
}

bool oi_http_query_get(const char *query, const char *name, char *out, size_t n)
{
    return oi_http_query_lookup(query, name, out, n) == OI_QUERY_FOUND;
}

oi_query_found_t oi_http_query_lookup(const char *query, const char *name, char *out, size_t n)
{
    if (!query || !name || !out || n == 0)
        return OI_QUERY_ABSENT;
    out[0] = '\0';
    size_t nlen = strlen(name);
    const char *p = query;
    while (*p) {
        size_t seg = strcspn(p, "&");
        size_t klen = strcspn(p, "=&");
        /* keys are compared after decoding so "a%5Bb%5D" matches "a[b]" */
        char key[256];
        if (oi_http_url_decode(p, klen, key, sizeof key, true) &&
            strlen(key) == nlen && memcmp(key, name, nlen) == 0) {
            const char *v = klen < seg ? p + klen + 1 : p + seg;
            size_t vlen = klen < seg ? seg - klen - 1 : 0;
            return decode(v, vlen, out, n, true);
        }
        p += seg;
        if (*p == '&')
            p++;
    }
    return OI_QUERY_ABSENT;
}

bool oi_http_query_has(const char *query, const char *name)
{
    if (!query || !name)
        return false;
    size_t nlen = strlen(name);
    for (const char *p = query; *p;) {
        size_t seg = strcspn(p, "&");
        size_t klen = strcspn(p, "=&");
        char key[256];
        if (oi_http_url_decode(p, klen, key, sizeof key, true) && strlen(key) == nlen && memcmp(key, name, nlen) == 0)
            return true;
        p += seg;
        if (*p == '&')
            p++;
    }
    return false;
}

const char *oi_http_status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Entity";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: break;
    }
    if (status >= 100 && status < 200)
        return "Informational";
    if (status >= 200 && status < 300)
        return "Success";
    if (status >= 300 && status < 400)
        return "Redirection";
    if (status >= 400 && status < 500)
        return "Client Error";
    return "Server Error";
}
