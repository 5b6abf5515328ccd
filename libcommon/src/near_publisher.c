/* near_publisher.c: one PUBLISH per loop turn and channel (oi/near_publisher.h). */
#include "oi/near_publisher.h"

#include <stdlib.h>
#include <string.h>

#include "oi/assert.h"
#include "oi/mem.h"
#include "oi/near_bus.h"

typedef struct {
    oi_redis_cb cb;
    void *ud;
} waiter_t;

/* What one PUBLISH carries: owned by the PUBLISH until its reply. */
typedef struct {
    char **keys;
    size_t n_keys, cap_keys;
    waiter_t *waiters;
    size_t n_waiters, cap_waiters;
} batch_t;

struct oi_near_publisher {
    oi_redis_t *redis;
    const char *channel;
    uv_check_t check; /* sends at the end of the turn's I/O */
    uv_idle_t awake;  /* while keys wait: the loop must not block before its check */
    batch_t *open;    /* the turn's batch, NULL when nothing was added */
    char *origin_key; /* owned: "@<origin>", NULL: none */
    int handles_open;
    bool closing;
};

static void batch_free(batch_t *b)
{
    for (size_t i = 0; i < b->n_keys; i++)
        free(b->keys[i]);
    free(b->keys);
    free(b->waiters);
    free(b);
}

static void on_published(oi_status_t st, const redisReply *reply, void *ud)
{
    batch_t *b = ud;
    for (size_t i = 0; i < b->n_waiters; i++)
        b->waiters[i].cb(st, reply, b->waiters[i].ud);
    batch_free(b);
}

static void send_open(oi_near_publisher_t *p)
{
    batch_t *b = p->open;
    p->open = NULL;
    if (!b)
        return;
    if (!p->origin_key || b->n_keys == 0) {
        oi_near_publish(p->redis, p->channel, (const char *const *)b->keys, b->n_keys, on_published, b);
        return;
    }
    const char **keys = oi_xmalloc((b->n_keys + 1) * sizeof *keys);
    keys[0] = p->origin_key;
    memcpy(keys + 1, b->keys, b->n_keys * sizeof *keys);
    oi_near_publish(p->redis, p->channel, keys, b->n_keys + 1, on_published, b);
    free(keys);
}

void oi_near_publisher_set_origin(oi_near_publisher_t *p, const char *origin)
{
    free(p->origin_key);
    p->origin_key = origin ? oi_xasprintf("@%s", origin) : NULL;
}

static void on_awake(uv_idle_t *h) { (void)h; }

static void on_check(uv_check_t *h)
{
    oi_near_publisher_t *p = h->data;
    uv_check_stop(&p->check);
    uv_idle_stop(&p->awake);
    send_open(p);
}

oi_near_publisher_t *oi_near_publisher_new(uv_loop_t *loop, oi_redis_t *r, const char *channel)
{
    oi_near_publisher_t *p = oi_xcalloc(1, sizeof *p);
    p->redis = r;
    p->channel = channel;
    uv_check_init(loop, &p->check);
    uv_idle_init(loop, &p->awake);
    p->check.data = p->awake.data = p;
    p->handles_open = 2;
    return p;
}

void oi_near_publisher_add(oi_near_publisher_t *p, const char *const *keys, size_t n, oi_redis_cb cb, void *ud)
{
    OI_ASSERT(!p->closing);
    if (!p->open)
        p->open = oi_xcalloc(1, sizeof *p->open);
    batch_t *b = p->open;
    if (n > 0 && b->n_keys + n > b->cap_keys) {
        b->cap_keys = (b->n_keys + n) * 2;
        b->keys = oi_xrealloc(b->keys, b->cap_keys * sizeof *b->keys);
    }
    for (size_t i = 0; i < n; i++)
        b->keys[b->n_keys++] = oi_xstrdup(keys[i]);
    if (b->n_waiters == b->cap_waiters) {
        b->cap_waiters = b->cap_waiters ? 2 * b->cap_waiters : 8;
        b->waiters = oi_xrealloc(b->waiters, b->cap_waiters * sizeof *b->waiters);
    }
    b->waiters[b->n_waiters++] = (waiter_t){cb, ud};
    uv_check_start(&p->check, on_check);
    uv_idle_start(&p->awake, on_awake);
}

static void on_handle_closed(uv_handle_t *h)
{
    oi_near_publisher_t *p = h->data;
    if (--p->handles_open == 0) {
        free(p->origin_key);
        free(p);
    }
}

void oi_near_publisher_close(oi_near_publisher_t **self_p)
{
    oi_near_publisher_t *p = *self_p;
    *self_p = NULL;
    if (!p)
        return;
    p->closing = true;
    send_open(p);
    uv_close((uv_handle_t *)&p->check, on_handle_closed);
    uv_close((uv_handle_t *)&p->awake, on_handle_closed);
}
