/* reply.h: what a simulator handler answers, and the carriers' error bodies.
 *
 * Handlers never touch HTTP: they fill a sim_reply_t (status, JSON body, extra headers) that
 * the server layer sends. Error bodies follow carriers.md: Twilio §1.2
 * {"code","message","more_info","status"}; Telnyx §5.1 {"errors":[{"code","title","detail",
 * "source","meta":{"url"}}]} with a string code. */
#ifndef SIM_REPLY_H
#define SIM_REPLY_H

#include <jansson.h>
#include <stddef.h>

#define SIM_REPLY_HEADERS_MAX 256

typedef struct {
    int status;                           /* 0 = not answered yet */
    json_t *body;                         /* owned; NULL = empty body (204) */
    char headers[SIM_REPLY_HEADERS_MAX];  /* "Name: value\r\n"… */
} sim_reply_t;

/* Sets status and body (ownership of body moves into the reply; any previous body is freed). */
void sim_reply_json(sim_reply_t *r, int status, json_t *body);
void sim_reply_empty(sim_reply_t *r, int status);
/* Appends one header line (dropped if it does not fit or contains CR/LF). */
void sim_reply_header(sim_reply_t *r, const char *name, const char *value);
void sim_reply_cleanup(sim_reply_t *r);
/* Compact JSON text of the body (new string, caller frees), "" when no body. */
char *sim_reply_render(const sim_reply_t *r, size_t *len);

void sim_reply_twilio_error(sim_reply_t *r, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* pointer: JSON pointer into the body; parameter: query parameter name (either may be NULL). */
void sim_reply_telnyx_error(sim_reply_t *r, int status, const char *code, const char *title,
                            const char *detail, const char *pointer, const char *parameter);

/* The carrier code a generic injected status maps to (429 → 20429 / "10011", …). */
int sim_twilio_code_for(int status);
const char *sim_telnyx_code_for(int status, const char **title);

/* A deep copy of a stored resource without its internal "_"-prefixed keys (new reference). */
json_t *sim_public(const json_t *stored);

#endif
