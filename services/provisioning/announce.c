/* announce.c: PUBLISH on OI_NEAR_CHANNEL_NUMBERS (one per loop turn, oi/near_publisher.h), with a
 * background retry of what Redis could not take. */
#define OI_LOG_TAG "prov.announce"
#include "announce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/near_bus.h"
#include "oi/near_publisher.h"
#include "oi/redis.h"

#define ANNOUNCE_RETRY_MS 500
#define ANNOUNCE_BACKLOG_MAX 1024 /* past it, "everything changed" replaces the list */

struct prov_announcer {
    oi_redis_t *redis;
    oi_near_publisher_t *publisher; /* the announcements of one loop turn, one PUBLISH */
    uv_timer_t retry;
    char *backlog[ANNOUNCE_BACKLOG_MAX]; /* ids Redis did not take yet (owned) */
    size_t n_backlog;
    size_t in_flight;                    /* backlog[0..in_flight) (or "*") are being published again */
    bool everything, sent_everything, closing;
};

typedef struct {
    prov_announcer_t *a;
    char id[OI_UUID_STR_LEN + 1];
    void (*done)(void *ud);
    void *ud;
} announcement_t;

static void backlog_clear(prov_announcer_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a->backlog[i]);
    memmove(a->backlog, a->backlog + n, (a->n_backlog - n) * sizeof a->backlog[0]);
    a->n_backlog -= n;
}

static void retry_fire(uv_timer_t *t);

static void retry_arm(prov_announcer_t *a)
{
    if (!a->closing && !uv_is_active((uv_handle_t *)&a->retry) && !a->in_flight)
        uv_timer_start(&a->retry, retry_fire, ANNOUNCE_RETRY_MS, 0);
}

static void backlog_add(prov_announcer_t *a, const char *id)
{
    if (!a->everything && a->n_backlog == ANNOUNCE_BACKLOG_MAX)
        a->everything = true; /* too many to list: every reader drops everything instead */
    if (!a->everything)
        a->backlog[a->n_backlog++] = oi_xstrdup(id);
    retry_arm(a);
}

static void on_retried(oi_status_t st, const redisReply *reply, void *ud)
{
    (void)reply;
    prov_announcer_t *a = ud;
    size_t sent = a->in_flight;
    bool sent_all = a->sent_everything;
    a->in_flight = 0;
    a->sent_everything = false;
    if (a->closing)
        return;
    if (st == OI_OK) {
        if (!sent_all)
            backlog_clear(a, sent);
        oi_log_info(&(oi_log_ctx_t){.action = "announcing number changes"}, "the backlog reached redis");
    } else if (sent_all) {
        a->everything = true; /* still owed */
    }
    if (a->n_backlog || a->everything)
        retry_arm(a);
}

static void retry_fire(uv_timer_t *t)
{
    prov_announcer_t *a = t->data;
    if (a->in_flight || (!a->n_backlog && !a->everything))
        return;
    if (a->everything) { /* "*" covers every id listed so far */
        static const char *const all[] = {OI_NEAR_ALL};
        backlog_clear(a, a->n_backlog);
        a->everything = false;
        a->sent_everything = true;
        a->in_flight = 1;
        oi_near_publish(a->redis, OI_NEAR_CHANNEL_NUMBERS, all, 1, on_retried, a);
        return;
    }
    a->in_flight = a->n_backlog;
    oi_near_publish(a->redis, OI_NEAR_CHANNEL_NUMBERS, (const char *const *)a->backlog, a->n_backlog, on_retried, a);
}

static void on_published(oi_status_t st, const redisReply *reply, void *ud)
{
    (void)reply;
    announcement_t *m = ud;
    oi_metric_inc("oi_provisioning_announcements_total", st == OI_OK ? "result=\"sent\"" : "result=\"failed\"", 1);
    if (st != OI_OK && !m->a->closing) {
        oi_log_warn(&(oi_log_ctx_t){.action = "announcing a number change"},
                    "redis did not take it (%s): retried in the background", oi_status_code(st));
        backlog_add(m->a, m->id);
    }
    if (m->done)
        m->done(m->ud);
    free(m);
}

prov_announcer_t *prov_announcer_new(uv_loop_t *loop, const char *redis_host, int redis_port, uint32_t timeout_ms,
                                     const char *origin)
{
    prov_announcer_t *a = oi_xcalloc(1, sizeof *a);
    a->redis = oi_redis_new(loop, redis_host, redis_port, timeout_ms);
    a->publisher = oi_near_publisher_new(loop, a->redis, OI_NEAR_CHANNEL_NUMBERS);
    oi_near_publisher_set_origin(a->publisher, origin);
    uv_timer_init(loop, &a->retry);
    a->retry.data = a;
    oi_metric_help("oi_provisioning_announcements_total", "counter",
                   "number changes published to the near caches (failed ones are retried in the background)");
    oi_metric_inc("oi_provisioning_announcements_total", "result=\"sent\"", 0);
    oi_metric_inc("oi_provisioning_announcements_total", "result=\"failed\"", 0);
    return a;
}

void prov_announce_number(prov_announcer_t *a, const char *id, void (*done)(void *ud), void *ud)
{
    announcement_t *m = oi_xcalloc(1, sizeof *m);
    m->a = a;
    snprintf(m->id, sizeof m->id, "%s", id);
    m->done = done;
    m->ud = ud;
    const char *keys[] = {m->id};
    oi_near_publisher_add(a->publisher, keys, 1, on_published, m);
}

size_t prov_announcer_backlog(const prov_announcer_t *a) { return a->everything ? SIZE_MAX : a->n_backlog; }

static void on_retry_closed(uv_handle_t *h)
{
    prov_announcer_t *a = h->data;
    backlog_clear(a, a->n_backlog);
    free(a);
}

void prov_announcer_close(prov_announcer_t **self_p)
{
    prov_announcer_t *a = *self_p;
    *self_p = NULL;
    if (!a)
        return;
    a->closing = true;
    oi_near_publisher_close(&a->publisher); /* what it holds goes to Redis's queue */
    oi_redis_close(&a->redis);              /* pending publishes are answered now (OI_UNAVAILABLE) */
    uv_close((uv_handle_t *)&a->retry, on_retry_closed);
}
