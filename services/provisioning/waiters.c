/* waiters.c: a hash of job id → waiters, each with its own timer. */
#include "waiters.h"

#include <stdlib.h>
#include <string.h>

#include "oi/ids.h"
#include "oi/mem.h"

#define BUCKETS 1024

struct prov_waiter {
    prov_waiter_t *next;            /* bucket chain, or a detached list being answered */
    prov_waiters_t *owner;
    char id[OI_UUID_STR_LEN + 1];
    uv_timer_t timer;
    prov_wait_cb cb;
    void *ud;
};

struct prov_waiters {
    uv_loop_t *loop;
    prov_waiter_t *buckets[BUCKETS];
    size_t count;
    size_t timers_open;
    bool closing;
};

static size_t bucket_of(const char *id)
{
    size_t h = 5381;
    for (const char *s = id; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h & (BUCKETS - 1);
}

prov_waiters_t *prov_waiters_new(uv_loop_t *loop)
{
    prov_waiters_t *w = oi_xcalloc(1, sizeof *w);
    w->loop = loop;
    return w;
}

static void maybe_free(prov_waiters_t *w)
{
    if (w->closing && w->timers_open == 0 && w->count == 0)
        free(w);
}

static void on_timer_closed(uv_handle_t *h)
{
    prov_waiter_t *x = h->data;
    prov_waiters_t *w = x->owner;
    free(x);
    w->timers_open--;
    maybe_free(w);
}

/* Takes x out of its bucket (it must be there). */
static void unlink_one(prov_waiters_t *w, prov_waiter_t *x)
{
    for (prov_waiter_t **pp = &w->buckets[bucket_of(x->id)]; *pp; pp = &(*pp)->next) {
        if (*pp == x) {
            *pp = x->next;
            x->next = NULL;
            w->count--;
            return;
        }
    }
}

static void answer(prov_waiter_t *x, prov_wait_outcome_t outcome, const Oneinbox__V1__Job *job)
{
    uv_timer_stop(&x->timer);
    x->cb(outcome, job, x->ud);
    uv_close((uv_handle_t *)&x->timer, on_timer_closed);
}

static void on_timeout(uv_timer_t *t)
{
    prov_waiter_t *x = t->data;
    unlink_one(x->owner, x);
    answer(x, PROV_WAIT_TIMEOUT, NULL);
}

prov_waiter_t *prov_waiters_add(prov_waiters_t *w, const char *id, int timeout_ms, prov_wait_cb cb, void *ud)
{
    prov_waiter_t *x = oi_xcalloc(1, sizeof *x);
    x->owner = w;
    memcpy(x->id, id, strnlen(id, OI_UUID_STR_LEN));
    x->cb = cb;
    x->ud = ud;
    uv_timer_init(w->loop, &x->timer);
    x->timer.data = x;
    w->timers_open++;
    size_t b = bucket_of(x->id);
    x->next = w->buckets[b];
    w->buckets[b] = x;
    w->count++;
    uv_timer_start(&x->timer, on_timeout, (uint64_t)(timeout_ms > 0 ? timeout_ms : 0), 0);
    return x;
}

/* Detaches every waiter of id (or of every id when id is NULL) into a list. */
static prov_waiter_t *detach(prov_waiters_t *w, const char *id)
{
    prov_waiter_t *out = NULL;
    for (size_t b = id ? bucket_of(id) : 0; b < BUCKETS; b++) {
        prov_waiter_t **pp = &w->buckets[b];
        while (*pp) {
            prov_waiter_t *x = *pp;
            if (id && strcmp(x->id, id) != 0) {
                pp = &x->next;
                continue;
            }
            *pp = x->next;
            x->next = out;
            out = x;
            w->count--;
        }
        if (id)
            break;
    }
    return out;
}

static void answer_list(prov_waiter_t *list, prov_wait_outcome_t outcome, const Oneinbox__V1__Job *job)
{
    while (list) {
        prov_waiter_t *x = list;
        list = x->next;
        answer(x, outcome, job);
    }
}

void prov_waiters_finish(prov_waiters_t *w, const char *id, const Oneinbox__V1__Job *job)
{
    answer_list(detach(w, id), PROV_WAIT_ENDED, job);
}

void prov_waiters_poke(prov_waiters_t *w, const char *id) { answer_list(detach(w, id), PROV_WAIT_POKED, NULL); }

void prov_waiters_poke_all(prov_waiters_t *w) { answer_list(detach(w, NULL), PROV_WAIT_POKED, NULL); }

void prov_waiters_cancel_all(prov_waiters_t *w) { answer_list(detach(w, NULL), PROV_WAIT_CANCELLED, NULL); }

bool prov_waiters_has(const prov_waiters_t *w, const char *id)
{
    for (const prov_waiter_t *x = w->buckets[bucket_of(id)]; x; x = x->next)
        if (strcmp(x->id, id) == 0)
            return true;
    return false;
}

size_t prov_waiters_count(const prov_waiters_t *w) { return w ? w->count : 0; }

void prov_waiters_close(prov_waiters_t **self_p)
{
    prov_waiters_t *w = *self_p;
    *self_p = NULL;
    if (!w)
        return;
    w->closing = true;
    prov_waiters_cancel_all(w);
    maybe_free(w);
}
