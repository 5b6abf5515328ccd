/* openapi.c: the API describes itself: GET /openapi.json (the OpenAPI 3.1 document built into
 * the binary: services/gateway/openapi.json, written by docs/openapi/build.py) and GET /docs, a
 * reference page (Redoc) whose script the gateway serves too (GET /docs/redoc.standalone.js, read
 * at start from OI_DOCS_ASSETS_DIR): nothing is loaded from the internet. No credentials. */
#define OI_LOG_TAG "gw.openapi"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "oi/log.h"
#include "oi/mem.h"

extern const unsigned char gw_openapi_json[];
extern const size_t gw_openapi_json_len;

#define DOCS_ASSET "redoc.standalone.js"
#define DOCS_ASSET_MAX (8u << 20)
#define CACHE "Cache-Control: public, max-age=300\r\n"

static const char DOCS_PAGE[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>OneInbox API reference</title>\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<style>body{margin:0}</style></head>\n<body>\n<redoc spec-url=\"/openapi.json\" hide-download-button=\"false\">"
    "</redoc>\n<script src=\"/docs/" DOCS_ASSET "\"></script>\n</body></html>\n";

static char *asset;  /* owned for the process: the reference page's script, NULL when absent */
static size_t asset_len;

void gw_openapi_load_assets(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, DOCS_ASSET);
    FILE *f = fopen(path, "rb");
    if (!f) {
        oi_log_warn(&(oi_log_ctx_t){.action = "loading the API reference page"},
                    "%s missing (deploy/local/bootstrap.sh installs it): /docs shows no reference", path);
        return;
    }
    char *buf = oi_xmalloc(DOCS_ASSET_MAX + 1);
    size_t n = fread(buf, 1, DOCS_ASSET_MAX + 1, f);
    fclose(f);
    if (n == 0 || n > DOCS_ASSET_MAX) {
        oi_log_warn(&(oi_log_ctx_t){.action = "loading the API reference page"}, "%s: empty or too large", path);
        free(buf);
        return;
    }
    buf[n] = '\0';
    asset = buf;
    asset_len = n;
}

void gw_openapi_document(gw_req_t *r)
{
    gw_respond_document(r, "application/json", CACHE, (const char *)gw_openapi_json, gw_openapi_json_len);
}

void gw_docs_page(gw_req_t *r)
{
    gw_respond_document(r, "text/html; charset=utf-8", CACHE "Content-Security-Policy: default-src 'self'; "
                        "script-src 'self' blob:; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
                        "img-src 'self' data:; font-src 'self' data:\r\n",
                        DOCS_PAGE, sizeof DOCS_PAGE - 1);
}

void gw_docs_asset(gw_req_t *r)
{
    if (!asset) {
        gw_respond_status(r, OI_NOT_FOUND, "the reference page's script is not installed");
        return;
    }
    gw_respond_document(r, "application/javascript; charset=utf-8", CACHE, asset, asset_len);
}
