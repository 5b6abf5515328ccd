/* pg_coalesce.c: many callers' rows as one execution of a statement over arrays.
 *
 * Rows wait in `pending` until the check phase of the loop turn (after every I/O callback of the
 * turn has run; an idle handle keeps the turn from blocking in poll before it), when they leave in executions of at most max_rows while fewer than
 * max_in_flight executions are out, unless they linger (a timer) for more to join them. Each
 * execution owns its rows until it answers them. */
#define OI_LOG_TAG "common.pg"
#include "oi/pg_coalesce.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "oi/buf.h"
#include "oi/assert.h"
#include "oi/linger.h"
#include "oi/log.h"
#include "oi/mem.h"

#define DEFAULT_MAX_ROWS 128
#define PARAMS_MAX (256u << 20) /* bytes of one array parameter */

typedef struct {
    oi_pg_row_cb cb;
    void *ud;
    char **values; /* columns pointers, then their strings: one allocation */
} row_t;

typedef struct {
    oi_pg_coalesce_t *c;
    size_t n;
    row_t *rows; /* owned */
    bool locked; /* the lock statement went first */
} exec_t;

struct oi_pg_coalesce {
    oi_pg_pipeline_t *pg;
    oi_pg_coalesce_config_t cfg;
    uv_check_t check;   /* flushes after the I/O of a loop turn */
    uv_idle_t awake;    /* while rows wait to be flushed: the loop must not block before its check */
    row_t *pending; /* owned, n_pending of cap_pending used */
    size_t n_pending, cap_pending;
    int in_flight;  /* executions out */
    oi_linger_t lingering; /* whether rows wait for others (oi/linger.h) */
    uv_timer_t linger; /* running while rows wait */
    bool closing;
    int handles_open;
};

static char **values_copy(const char *const *values, size_t n)
{
    size_t bytes = n * sizeof(char *);
    for (size_t i = 0; i < n; i++)
        bytes += values[i] ? strlen(values[i]) + 1 : 0;
    char **out = oi_xmalloc(bytes ? bytes : 1);
    char *text = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        if (!values[i]) {
            out[i] = NULL;
            continue;
        }
        size_t len = strlen(values[i]) + 1;
        memcpy(text, values[i], len);
        out[i] = text;
        text += len;
    }
    return out;
}

/* Answers one row and frees its values. */
static void row_answer(row_t *r, oi_status_t st, const oi_error_t *err, const PGresult *res, int at)
{
    r->cb(st, err, res, at, r->ud);
    free(r->values);
}

/* --- array literals ------------------------------------------------------------------------------ */

static void literal_add(oi_buf_t *b, const char *v, bool first)
{
    if (!first)
        oi_buf_append(b, ",", 1);
    if (!v) {
        oi_buf_append(b, "NULL", 4);
        return;
    }
    oi_buf_append(b, "\"", 1);
    for (const char *s = v; *s;) {
        size_t run = strcspn(s, "\"\\");
        oi_buf_append(b, s, run);
        s += run;
        if (*s) {
            char esc[2] = {'\\', *s++};
            oi_buf_append(b, esc, 2);
        }
    }
    oi_buf_append(b, "\"", 1);
}

/* The statement's parameters for e: positions, then one array per column. */
static char **exec_params(const exec_t *e, size_t columns)
{
    oi_buf_t b;
    char **params = oi_xcalloc(columns + 1, sizeof(char *));
    oi_buf_init(&b, PARAMS_MAX);
    oi_buf_append(&b, "{", 1);
    for (size_t i = 0; i < e->n; i++)
        oi_buf_printf(&b, "%s%zu", i ? "," : "", i + 1);
    oi_buf_append(&b, "}", 1);
    params[0] = oi_buf_steal(&b, NULL);
    for (size_t k = 0; k < columns; k++) {
        oi_buf_append(&b, "{", 1);
        for (size_t i = 0; i < e->n; i++)
            literal_add(&b, e->rows[i].values[k], i == 0);
        oi_buf_append(&b, "}", 1);
        params[k + 1] = oi_buf_steal(&b, NULL);
    }
    oi_buf_cleanup(&b);
    return params;
}

/* --- executions ---------------------------------------------------------------------------------- */

static void on_exec_done(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud);
static void arm(oi_pg_coalesce_t *c);

/* Whether a row of e has a value to lock (the lock statement runs only then). */
static bool exec_locks(const oi_pg_coalesce_t *c, const exec_t *e)
{
    for (size_t i = 0; c->cfg.lock && i < e->n; i++)
        if (e->rows[i].values[c->cfg.lock_column])
            return true;
    return false;
}

/* The statements of an execution, in order: lock, first, stmt (those configured and needed). */
static size_t exec_queries(const oi_pg_coalesce_t *c, exec_t *e, char **params, oi_pg_query_t q[3])
{
    size_t n = 0;
    e->locked = exec_locks(c, e);
    if (e->locked)
        q[n++] = (oi_pg_query_t){c->cfg.lock, (const char *const *)params + 1 + c->cfg.lock_column};
    if (c->cfg.first)
        q[n++] = (oi_pg_query_t){c->cfg.first, (const char *const *)params};
    q[n++] = (oi_pg_query_t){c->cfg.stmt, (const char *const *)params};
    return n;
}

static void exec_send(oi_pg_coalesce_t *c, exec_t *e)
{
    char **params = exec_params(e, c->cfg.columns);
    c->in_flight++;
    oi_pg_query_t q[3];
    oi_pg_pipeline_batch(c->pg, q, exec_queries(c, e, params, q), on_exec_done, e);
    for (size_t k = 0; k <= c->cfg.columns; k++)
        free(params[k]);
    free(params);
}

static void maybe_free(oi_pg_coalesce_t *c)
{
    if (c->closing && c->handles_open == 0 && c->in_flight == 0) {
        free(c->pending);
        free(c);
    }
}

/* A statement error rolled the whole execution back: nothing it did stays, so its rows may run
 * again. A broken connection or a timeout leaves the outcome unknown: never run twice. */
static bool rolled_back(oi_status_t st) { return st == OI_CONFLICT || st == OI_BAD_REQUEST || st == OI_INTERNAL; }

static void exec_rerun_alone(oi_pg_coalesce_t *c, exec_t *e)
{
    for (size_t i = 0; i < e->n; i++) {
        exec_t *one = oi_xcalloc(1, sizeof *one);
        one->c = c;
        one->n = 1;
        one->rows = oi_xmalloc(sizeof *one->rows);
        one->rows[0] = e->rows[i];
        exec_send(c, one);
    }
}

static void exec_answer(exec_t *e, const PGresult *r)
{
    int *at = oi_xmalloc(e->n * sizeof *at);
    for (size_t i = 0; i < e->n; i++)
        at[i] = -1;
    int col = PQfnumber(r, "ord");
    if (col < 0)
        oi_log_error(&(oi_log_ctx_t){.action = "reading coalesced rows"}, "%s answers no \"ord\" column",
                     e->c->cfg.stmt->name);
    for (int k = 0; col >= 0 && k < PQntuples(r); k++) {
        long pos = strtol(PQgetvalue(r, k, col), NULL, 10);
        if (pos >= 1 && (size_t)pos <= e->n && at[pos - 1] < 0)
            at[pos - 1] = k;
    }
    for (size_t i = 0; i < e->n; i++)
        row_answer(&e->rows[i], OI_OK, NULL, r, at[i]);
    free(at);
}

static void on_exec_done(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    exec_t *e = ud;
    oi_pg_coalesce_t *c = e->c;
    c->in_flight--;
    if (st == OI_OK && n == 1u + (c->cfg.first != NULL) + e->locked) {
        exec_answer(e, res[n - 1]);
    } else if (st != OI_OK && rolled_back(st) && e->n > 1 && !c->closing) {
        exec_rerun_alone(c, e);
    } else {
        oi_error_t fallback;
        oi_error_init(&fallback);
        if (st == OI_OK) {
            oi_error_set(&fallback, OI_INTERNAL, "unexpected results");
            err = &fallback;
        }
        for (size_t i = 0; i < e->n; i++)
            row_answer(&e->rows[i], err->status, err, NULL, -1);
    }
    free(e->rows);
    free(e);
    if (c->n_pending > 0)
        arm(c);
    maybe_free(c);
}

/* --- the check phase ---------------------------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
    oi_pg_coalesce_t *c = h->data;
    c->handles_open--;
    maybe_free(c);
}

static void on_awake(uv_idle_t *h) { (void)h; }

static void disarm(oi_pg_coalesce_t *c)
{
    uv_check_stop(&c->check);
    uv_idle_stop(&c->awake);
}

static void fail_pending(oi_pg_coalesce_t *c)
{
    oi_error_t e;
    oi_error_init(&e);
    oi_error_set(&e, OI_UNAVAILABLE, "shutting down");
    while (c->n_pending > 0) { /* a callback may add again: it fails too */
        row_t r = c->pending[--c->n_pending];
        row_answer(&r, OI_UNAVAILABLE, &e, NULL, -1);
    }
}

static void flush(oi_pg_coalesce_t *c)
{
    size_t max = c->cfg.max_rows;
    while (c->n_pending > 0 && c->in_flight < c->cfg.max_in_flight) {
        exec_t *e = oi_xcalloc(1, sizeof *e);
        e->c = c;
        e->n = c->n_pending < max ? c->n_pending : max;
        e->rows = oi_xmalloc(e->n * sizeof *e->rows);
        memcpy(e->rows, c->pending, e->n * sizeof *e->rows);
        c->n_pending -= e->n;
        memmove(c->pending, c->pending + e->n, c->n_pending * sizeof *c->pending);
        oi_linger_sent(&c->lingering, e->n);
        exec_send(c, e);
    }
}

static void on_linger_over(uv_timer_t *t)
{
    oi_pg_coalesce_t *c = t->data;
    if (!c->closing)
        flush(c); /* a later answer re-arms for what is left */
}

static void on_check(uv_check_t *h)
{
    oi_pg_coalesce_t *c = h->data;
    if (c->closing) {
        fail_pending(c);
        disarm(c);
        uv_close((uv_handle_t *)&c->check, on_handle_closed);
        uv_close((uv_handle_t *)&c->awake, on_handle_closed);
        uv_close((uv_handle_t *)&c->linger, on_handle_closed);
        return;
    }
    bool idle = c->n_pending > 0 && c->in_flight == 0;
    if (idle && oi_linger_hold(&c->lingering, c->n_pending)) {
        if (!uv_is_active((uv_handle_t *)&c->linger))
            uv_timer_start(&c->linger, on_linger_over, c->lingering.ms, 0);
        disarm(c); /* the next row added, or the timer, looks again */
        return;
    }
    uv_timer_stop(&c->linger);
    flush(c);
    if (c->n_pending == 0 || c->in_flight >= c->cfg.max_in_flight)
        disarm(c); /* an answer re-arms */
}

static void arm(oi_pg_coalesce_t *c)
{
    if (c->closing)
        return;
    uv_check_start(&c->check, on_check);
    uv_idle_start(&c->awake, on_awake);
}

/* --- API ------------------------------------------------------------------------------------------ */

oi_pg_coalesce_t *oi_pg_coalesce_new(uv_loop_t *loop, oi_pg_pipeline_t *pg, const oi_pg_coalesce_config_t *cfg)
{
    oi_pg_coalesce_t *c = oi_xcalloc(1, sizeof *c);
    c->pg = pg;
    OI_ASSERT(!cfg->lock || cfg->lock_column < cfg->columns);
    c->cfg = *cfg;
    if (c->cfg.max_rows == 0)
        c->cfg.max_rows = DEFAULT_MAX_ROWS;
    if (c->cfg.max_in_flight <= 0)
        c->cfg.max_in_flight = 1;
    if (c->cfg.linger_rows == 0 || c->cfg.linger_rows > c->cfg.max_rows)
        c->cfg.linger_rows = c->cfg.max_rows;
    c->lingering = (oi_linger_t){.ms = c->cfg.linger_ms, .rows = c->cfg.linger_rows};
    uv_check_init(loop, &c->check);
    uv_idle_init(loop, &c->awake);
    uv_timer_init(loop, &c->linger);
    c->check.data = c->awake.data = c->linger.data = c;
    c->handles_open = 3;
    return c;
}

void oi_pg_coalesce_add(oi_pg_coalesce_t *c, const char *const *values, oi_pg_row_cb cb, void *ud)
{
    if (c->n_pending == c->cap_pending) {
        c->cap_pending = c->cap_pending ? 2 * c->cap_pending : 16;
        c->pending = oi_xrealloc(c->pending, c->cap_pending * sizeof *c->pending);
    }
    c->pending[c->n_pending++] = (row_t){cb, ud, values_copy(values, c->cfg.columns)};
    if (!c->closing)
        arm(c);
}

size_t oi_pg_coalesce_pending(const oi_pg_coalesce_t *c) { return c ? c->n_pending : 0; }

void oi_pg_coalesce_close(oi_pg_coalesce_t **self_p)
{
    oi_pg_coalesce_t *c = *self_p;
    *self_p = NULL;
    if (!c)
        return;
    c->closing = true;
    uv_check_start(&c->check, on_check); /* fails what waits on the next turn, then closes */
    uv_idle_start(&c->awake, on_awake);
}
