/* rate_limit.c: Redis token buckets with local leases (rate_limit.h). */
#define OI_LOG_TAG "gw.rate"
#include "rate_limit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/clock.h"
#include "oi/hash.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"

#define LEASE_SLOTS GW_RATE_LEASE_SLOTS
#define LEASE_MS 1000
#define NAME_MAX_LEN 80
#define KEY_PREFIX "oi:rl:"

/* KEYS: the buckets; ARGV per bucket: rate (tokens/s), burst, tokens wanted. All or nothing:
 * when any bucket holds less than one token nothing is taken and the answer says how many ms
 * until it does. Answer: {taken 1|0, wait ms, then per bucket: tokens given, tokens left}. */
static const char SCRIPT[] =
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "local tokens, wait = {}, 0 "
    "for i = 1, #KEYS do "
    "  local rate, burst = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1]) "
    "  local b = redis.call('HMGET', KEYS[i], 't', 'ts') "
    "  local tk, ts = tonumber(b[1]), tonumber(b[2]) "
    "  if not tk or not ts then tk = burst; ts = now end "
    "  if now > ts then tk = math.min(burst, tk + (now - ts) * rate / 1000) end "
    "  tokens[i] = tk "
    "  if tk < 1 then wait = math.max(wait, math.ceil((1 - tk) * 1000 / rate)) end "
    "end "
    "local out = {wait == 0 and 1 or 0, wait} "
    "for i = 1, #KEYS do "
    "  local rate, burst, want = tonumber(ARGV[3*i-2]), tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i]) "
    "  local got = 0 "
    "  if wait == 0 then got = math.min(want, math.floor(tokens[i])) end "
    "  local left = tokens[i] - got "
    "  redis.call('HSET', KEYS[i], 't', tostring(left), 'ts', now) "
    "  redis.call('PEXPIRE', KEYS[i], math.ceil(burst * 1000 / rate) + 1000) "
    "  out[#out + 1] = got "
    "  out[#out + 1] = math.floor(left) "
    "end "
    "return out";

typedef struct {
    char name[NAME_MAX_LEN];
    int tokens;          /* leased, unspent */
    int64_t expires_ms;  /* monotonic */
    int asking;          /* requests waiting on Redis for this bucket: only the first asks for a lease */
} lease_t;

struct gw_rate {
    oi_redis_t *redis;   /* borrowed */
    lease_t slots[LEASE_SLOTS];
};

typedef struct {
    gw_rate_t *rl;
    gw_rate_cb cb;
    void *ud;
    size_t n;
    char names[GW_RATE_WANTS_MAX][NAME_MAX_LEN];
    const gw_rate_rule_t *rules[GW_RATE_WANTS_MAX];
    bool need[GW_RATE_WANTS_MAX]; /* asked of Redis (else spent from a lease held here) */
    bool leased[GW_RATE_WANTS_MAX]; /* ...and counted as asking in the bucket's lease slot */
    int want[GW_RATE_WANTS_MAX];  /* tokens asked: a lease, or one while another lease is on its way */
} pending_t;

gw_rate_t *gw_rate_new(oi_redis_t *redis)
{
    gw_rate_t *rl = oi_xcalloc(1, sizeof *rl);
    rl->redis = redis;
    oi_metric_help("oi_gateway_rate_limited_total", "counter", "requests refused by a rate limit (bucket: key, "
                   "workspace, purchase)");
    oi_metric_help("oi_gateway_rate_limit_unchecked_total", "counter",
                   "requests let through unchecked because Redis did not answer the rate limiter");
    return rl;
}

void gw_rate_destroy(gw_rate_t **self_p)
{
    if (self_p && *self_p)
        OI_FREE(*self_p);
}

static lease_t *slot_of(gw_rate_t *rl, const char *name) { return &rl->slots[oi_fnv1a_str(OI_FNV1A_SEED, name) % LEASE_SLOTS]; }

/* A tenth of a second's worth of tokens, at most a quarter of the burst, at least one. */
static int lease_size(const gw_rate_rule_t *r)
{
    double n = fmin(r->rps / 10.0, r->burst / 4.0);
    return n < 1.0 ? 1 : (int)n;
}

static bool lease_spend(gw_rate_t *rl, const char *name, int64_t now)
{
    lease_t *l = slot_of(rl, name);
    if (strcmp(l->name, name) != 0 || l->tokens <= 0 || now >= l->expires_ms)
        return false;
    l->tokens--;
    return true;
}

/* A request starts asking Redis for name's bucket: the slot is name's from now on, unless
 * another bucket's lease there is live (unspent and unexpired, or being asked for). Then NULL:
 * the request asks for its own token only. Taking the slot over would drop tokens already taken
 * from Redis, and two buckets sharing a slot would each take a whole lease per request, emptying
 * a bucket at a small fraction of its rate. */
static lease_t *lease_asking(gw_rate_t *rl, const char *name, int64_t now)
{
    lease_t *l = slot_of(rl, name);
    if (strcmp(l->name, name) != 0) {
        if (l->name[0] && (l->asking > 0 || (l->tokens > 0 && now < l->expires_ms)))
            return NULL;
        snprintf(l->name, sizeof l->name, "%s", name);
        l->tokens = 0;
        l->asking = 0;
    }
    l->asking++;
    return l;
}

/* Redis answered one asking request: what it gave beyond the request's own token joins the lease. */
static void lease_answered(gw_rate_t *rl, const char *name, int spare, int64_t now)
{
    lease_t *l = slot_of(rl, name);
    if (strcmp(l->name, name) != 0)
        return; /* another bucket took the slot meanwhile: the spare tokens are dropped */
    if (l->asking > 0)
        l->asking--;
    if (spare <= 0)
        return;
    l->tokens = now < l->expires_ms ? l->tokens + spare : spare;
    l->expires_ms = now + LEASE_MS;
}

/* bucket: the name of the bucket that refused ("key:…"), NULL when allowed. */
static void answer(pending_t *p, const char *bucket, int retry_after_s, const gw_rate_rule_t *rule)
{
    bool allowed = bucket == NULL;
    gw_rate_verdict_t v = {.allowed = allowed, .retry_after_s = retry_after_s, .rule = rule};
    if (!allowed) {
        char labels[48];
        const char *colon = strchr(bucket, ':');
        snprintf(labels, sizeof labels, "bucket=\"%.*s\"", colon ? (int)(colon - bucket) : 0, bucket);
        oi_metric_inc("oi_gateway_rate_limited_total", labels, 1);
    }
    p->cb(&v, p->ud);
    free(p);
}

static long long reply_int(const redisReply *r, size_t i)
{
    return i < r->elements && r->element[i]->type == REDIS_REPLY_INTEGER ? r->element[i]->integer : 0;
}

static void on_reply(oi_status_t st, const redisReply *reply, void *ud)
{
    pending_t *p = ud;
    size_t asked = 0;
    for (size_t i = 0; i < p->n; i++)
        asked += p->need[i];
    if (st || !reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 + 2 * asked) {
        for (size_t i = 0; i < p->n; i++)
            if (p->leased[i])
                lease_answered(p->rl, p->names[i], 0, oi_clock_mono_ms());
        oi_metric_inc("oi_gateway_rate_limit_unchecked_total", "", 1);
        answer(p, NULL, 0, NULL);
        return;
    }
    int64_t now = oi_clock_mono_ms();
    bool taken = reply_int(reply, 0) == 1;
    for (size_t i = 0, k = 0; i < p->n; i++) {
        if (!p->need[i])
            continue;
        int given = (int)reply_int(reply, 2 + 2 * k++);
        if (p->leased[i])
            lease_answered(p->rl, p->names[i], taken ? given - 1 : 0, now);
    }
    if (taken) {
        for (size_t i = 0; i < p->n; i++)
            if (!p->need[i])
                lease_spend(p->rl, p->names[i], now);
        answer(p, NULL, 0, NULL);
        return;
    }
    size_t refused = 0;
    for (size_t i = 0, k = 0; i < p->n; i++) {
        if (!p->need[i])
            continue;
        if (reply_int(reply, 2 + 2 * k + 1) < 1) {
            refused = i;
            break;
        }
        k++;
    }
    long long wait_s = (reply_int(reply, 1) + 999) / 1000;
    answer(p, p->names[refused], wait_s > 0 ? (int)wait_s : 1, p->rules[refused]);
}

static void ask_redis(gw_rate_t *rl, pending_t *p)
{
    const char *argv[3 + GW_RATE_WANTS_MAX * 4];
    char keys[GW_RATE_WANTS_MAX][NAME_MAX_LEN + sizeof KEY_PREFIX], nums[GW_RATE_WANTS_MAX][3][32];
    size_t argc = 0, nk = 0;
    argv[argc++] = "EVAL";
    argv[argc++] = SCRIPT;
    char numkeys[8];
    argv[argc++] = numkeys;
    for (size_t i = 0; i < p->n; i++)
        if (p->need[i]) {
            snprintf(keys[nk], sizeof keys[nk], KEY_PREFIX "%s", p->names[i]);
            argv[argc++] = keys[nk++];
        }
    snprintf(numkeys, sizeof numkeys, "%zu", nk);
    for (size_t i = 0, k = 0; i < p->n; i++) {
        if (!p->need[i])
            continue;
        snprintf(nums[k][0], sizeof nums[k][0], "%.6g", p->rules[i]->rps);
        snprintf(nums[k][1], sizeof nums[k][1], "%.6g", p->rules[i]->burst < 1 ? 1.0 : p->rules[i]->burst);
        snprintf(nums[k][2], sizeof nums[k][2], "%d", p->want[i]);
        for (int j = 0; j < 3; j++)
            argv[argc++] = nums[k][j];
        k++;
    }
    size_t lens[3 + GW_RATE_WANTS_MAX * 4];
    for (size_t i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    oi_redis_command(rl->redis, (int)argc, argv, lens, on_reply, p);
}

void gw_rate_take(gw_rate_t *rl, const gw_rate_want_t *wants, size_t n, gw_rate_cb cb, void *ud)
{
    pending_t *p = oi_xcalloc(1, sizeof *p);
    p->rl = rl;
    p->cb = cb;
    p->ud = ud;
    int64_t now = oi_clock_mono_ms();
    bool ask = false;
    for (size_t i = 0; i < n && p->n < GW_RATE_WANTS_MAX; i++) {
        if (!wants[i].rule || wants[i].rule->rps <= 0)
            continue;
        size_t k = p->n++;
        snprintf(p->names[k], sizeof p->names[k], "%s", wants[i].name);
        p->rules[k] = wants[i].rule;
        lease_t *l = slot_of(rl, p->names[k]);
        p->need[k] = strcmp(l->name, p->names[k]) != 0 || l->tokens <= 0 || now >= l->expires_ms;
        ask = ask || p->need[k];
    }
    for (size_t k = 0; ask && k < p->n; k++) {
        if (!p->need[k])
            continue;
        lease_t *l = lease_asking(rl, p->names[k], now);
        p->leased[k] = l != NULL;
        p->want[k] = !l || l->asking > 1 ? 1 : lease_size(p->rules[k]); /* one lease in flight per bucket */
    }
    if (!ask) { /* every bucket has a lease here */
        for (size_t i = 0; i < p->n; i++)
            lease_spend(rl, p->names[i], now);
        answer(p, NULL, 0, NULL);
        return;
    }
    ask_redis(rl, p);
}

bool gw_local_bucket_ready(gw_local_bucket_t *b, const gw_rate_rule_t *rule, int64_t now_ms)
{
    if (rule->rps <= 0)
        return true;
    if (b->at_ms == 0) {
        b->tokens = rule->burst;
        b->at_ms = now_ms;
    }
    if (now_ms > b->at_ms) {
        b->tokens = fmin(rule->burst, b->tokens + (double)(now_ms - b->at_ms) * rule->rps / 1000.0);
        b->at_ms = now_ms;
    }
    return b->tokens >= 1.0;
}

bool gw_local_bucket_take(gw_local_bucket_t *b, const gw_rate_rule_t *rule, int64_t now_ms)
{
    if (!gw_local_bucket_ready(b, rule, now_ms))
        return false;
    if (rule->rps > 0)
        b->tokens -= 1.0;
    return true;
}
