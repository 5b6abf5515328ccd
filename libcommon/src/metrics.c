/* metrics.c: process-wide Prometheus registry (text format 0.0.4), guarded by one mutex.
 *
 * Families are keyed by name and hold their series keyed by the formatted label string.
 * A family's kind is fixed by its first use (or by oi_metric_help): counters and gauges
 * accept inc/set, histograms accept observe; a mismatching call is ignored. */
#include "oi/metrics.h"


#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/hash.h"
#include "oi/buf.h"
#include "oi/mem.h"

#define OI_LOG_TAG "common.metrics"
#include "oi/log.h"

#define NAME_MAX_LEN 200
#define LABELS_MAX_LEN 1024
#define RENDER_MAX ((size_t)64 << 20)

static const double bucket_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,   5,     10};
#define NBUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

typedef enum { KIND_UNSET = 0, KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } kind_t;

typedef struct family family_t;

typedef struct oi_metric_series series_t;
struct oi_metric_series {
    series_t *next;
    series_t *hnext;             /* chain of the (name, labels) index */
    const family_t *family;
    uint64_t hash;
    char *labels;                /* owned */
    double value;                /* counter / gauge */
    uint64_t buckets[NBUCKETS];  /* histogram, not cumulative */
    uint64_t count;
    double sum;
};

struct family {
    struct family *next;
    char *name;                  /* owned */
    char *help;                  /* owned, NULL until oi_metric_help */
    kind_t kind;
    series_t *series;            /* owned list, newest first */
    series_t **tail;
};

/* Every series by (name, labels): hot paths find theirs without walking the lists. */
#define INDEX_BUCKETS 4096
static series_t *index_buckets[INDEX_BUCKETS];

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static family_t *families; /* owned list, in order of first use */
static family_t **families_tail = &families;

static bool name_valid(const char *n)
{
    if (!n || !n[0] || strlen(n) > NAME_MAX_LEN)
        return false;
    for (const char *p = n; *p; p++) {
        bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':';
        bool digit = *p >= '0' && *p <= '9';
        if (!alpha && !(digit && p != n))
            return false;
    }
    return true;
}

static bool labels_valid(const char *l)
{
    return strlen(l) <= LABELS_MAX_LEN && !strpbrk(l, "\r\n{}");
}

static kind_t kind_parse(const char *type)
{
    if (!type)
        return KIND_UNSET;
    if (strcmp(type, "counter") == 0)
        return KIND_COUNTER;
    if (strcmp(type, "gauge") == 0)
        return KIND_GAUGE;
    if (strcmp(type, "histogram") == 0)
        return KIND_HISTOGRAM;
    return KIND_UNSET;
}

static const char *kind_name(kind_t k)
{
    switch (k) {
    case KIND_COUNTER: return "counter";
    case KIND_GAUGE: return "gauge";
    case KIND_HISTOGRAM: return "histogram";
    case KIND_UNSET: break;
    }
    return "untyped";
}

/* Lock held. */
static family_t *family_get(const char *name, bool create)
{
    for (family_t *f = families; f; f = f->next) {
        if (strcmp(f->name, name) == 0)
            return f;
    }
    if (!create)
        return NULL;
    family_t *f = oi_xcalloc(1, sizeof *f);
    f->name = oi_xstrdup(name);
    f->tail = &f->series;
    *families_tail = f;
    families_tail = &f->next;
    return f;
}

/* Lock held. */
static series_t *series_get(family_t *f, const char *labels, bool create)
{
    for (series_t *s = f->series; s; s = s->next) {
        if (strcmp(s->labels, labels) == 0)
            return s;
    }
    if (!create)
        return NULL;
    series_t *s = oi_xcalloc(1, sizeof *s);
    s->labels = oi_xstrdup(labels);
    *f->tail = s;
    f->tail = &s->next;
    return s;
}

/* FNV-1a of name, a separator no name holds, and labels. */
static uint64_t index_hash(const char *name, const char *labels)
{
    return oi_fnv1a_str(oi_fnv1a(oi_fnv1a_str(OI_FNV1A_SEED, name), "{", 1), labels);
}

static bool kind_fits(const family_t *f, kind_t want)
{
    return want == KIND_HISTOGRAM ? f->kind == KIND_HISTOGRAM : f->kind != KIND_HISTOGRAM;
}

/* Finds or creates the series and checks the family kind. Lock held. */
static series_t *lookup(const char *name, const char *labels, kind_t want)
{
    if (!labels)
        labels = "";
    if (!name)
        return NULL;
    uint64_t h = index_hash(name, labels);
    for (series_t *s = index_buckets[h % INDEX_BUCKETS]; s; s = s->hnext)
        if (s->hash == h && strcmp(s->labels, labels) == 0 && strcmp(s->family->name, name) == 0)
            return kind_fits(s->family, want) ? s : NULL;
    if (!name_valid(name) || !labels_valid(labels))
        return NULL;
    family_t *f = family_get(name, true);
    if (f->kind == KIND_UNSET)
        f->kind = want;
    if (!kind_fits(f, want))
        return NULL;
    series_t *s = series_get(f, labels, true);
    if (!s->family) { /* new: index it */
        s->family = f;
        s->hash = h;
        s->hnext = index_buckets[h % INDEX_BUCKETS];
        index_buckets[h % INDEX_BUCKETS] = s;
    }
    return s;
}

void oi_metric_help(const char *name, const char *type, const char *help)
{
    if (!name_valid(name))
        return;
    pthread_mutex_lock(&registry_lock);
    family_t *f = family_get(name, true);
    kind_t k = kind_parse(type);
    if (k != KIND_UNSET && (f->kind == KIND_UNSET || f->series == NULL))
        f->kind = k;
    free(f->help);
    f->help = oi_xstrdup(help ? help : "");
    /* HELP text is one line; backslashes and newlines would need escaping, so drop CR/LF */
    for (char *p = f->help; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
    pthread_mutex_unlock(&registry_lock);
}

void oi_metric_inc(const char *name, const char *labels, double delta)
{
    pthread_mutex_lock(&registry_lock);
    series_t *s = lookup(name, labels, KIND_COUNTER);
    if (s)
        s->value += delta;
    pthread_mutex_unlock(&registry_lock);
}

void oi_metric_set(const char *name, const char *labels, double value)
{
    pthread_mutex_lock(&registry_lock);
    series_t *s = lookup(name, labels, KIND_GAUGE);
    if (s)
        s->value = value;
    pthread_mutex_unlock(&registry_lock);
}

/* Lock held; s a histogram's series or NULL. */
static void observe_locked(series_t *s, double seconds)
{
    if (!s)
        return;
    for (size_t i = 0; i < NBUCKETS; i++) {
        if (seconds <= bucket_bounds[i]) {
            s->buckets[i]++;
            break;
        }
    }
    s->count++;
    s->sum += seconds;
}

void oi_metric_observe(const char *name, const char *labels, double seconds)
{
    if (isnan(seconds))
        return;
    pthread_mutex_lock(&registry_lock);
    observe_locked(lookup(name, labels, KIND_HISTOGRAM), seconds);
    pthread_mutex_unlock(&registry_lock);
}

static series_t *series_of(const char *name, const char *labels, kind_t kind)
{
    pthread_mutex_lock(&registry_lock);
    series_t *s = lookup(name, labels, kind);
    pthread_mutex_unlock(&registry_lock);
    return s;
}

oi_metric_series_t *oi_metric_counter(const char *name, const char *labels)
{
    return series_of(name, labels, KIND_COUNTER);
}

oi_metric_series_t *oi_metric_histogram(const char *name, const char *labels)
{
    return series_of(name, labels, KIND_HISTOGRAM);
}

void oi_metric_series_inc(oi_metric_series_t *s, double delta)
{
    if (!s)
        return;
    pthread_mutex_lock(&registry_lock);
    s->value += delta;
    pthread_mutex_unlock(&registry_lock);
}

void oi_metric_series_observe(oi_metric_series_t *s, double seconds)
{
    if (!s || isnan(seconds))
        return;
    pthread_mutex_lock(&registry_lock);
    observe_locked(s, seconds);
    pthread_mutex_unlock(&registry_lock);
}

double oi_metric_get(const char *name, const char *labels)
{
    if (!name)
        return 0;
    double v = 0;
    pthread_mutex_lock(&registry_lock);
    family_t *f = family_get(name, false);
    series_t *s = f ? series_get(f, labels ? labels : "", false) : NULL;
    if (s)
        v = f->kind == KIND_HISTOGRAM ? (double)s->count : s->value;
    pthread_mutex_unlock(&registry_lock);
    return v;
}

/* --- rendering -------------------------------------------------------------------------- */

/* The shortest of %.15g / %.17g that reads back as the same double. */
static const char *shortest(double v, char *tmp, size_t n)
{
    snprintf(tmp, n, "%.15g", v);
    if (strtod(tmp, NULL) != v)
        snprintf(tmp, n, "%.17g", v);
    return tmp;
}

static void put_value(oi_buf_t *b, double v)
{
    char tmp[40];
    if (isnan(v))
        oi_buf_appends(b, "NaN");
    else if (isinf(v))
        oi_buf_appends(b, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        oi_buf_printf(b, "%.0f", v);
    else
        oi_buf_appends(b, shortest(v, tmp, sizeof tmp));
}

/* name{labels} or name{labels,extra} or name{extra} or name. */
static void put_series(oi_buf_t *b, const char *name, const char *suffix, const char *labels,
                       const char *extra)
{
    oi_buf_printf(b, "%s%s", name, suffix);
    bool l = labels && labels[0];
    bool e = extra && extra[0];
    if (l || e)
        oi_buf_printf(b, "{%s%s%s}", l ? labels : "", l && e ? "," : "", e ? extra : "");
    oi_buf_appends(b, " ");
}

static void render_histogram(oi_buf_t *b, const family_t *f, const series_t *s)
{
    uint64_t cum = 0;
    char le[48];
    for (size_t i = 0; i < NBUCKETS; i++) {
        cum += s->buckets[i];
        snprintf(le, sizeof le, "le=\"%g\"", bucket_bounds[i]);
        put_series(b, f->name, "_bucket", s->labels, le);
        oi_buf_printf(b, "%llu\n", (unsigned long long)cum);
    }
    put_series(b, f->name, "_bucket", s->labels, "le=\"+Inf\"");
    oi_buf_printf(b, "%llu\n", (unsigned long long)s->count);
    put_series(b, f->name, "_sum", s->labels, NULL);
    put_value(b, s->sum);
    oi_buf_appends(b, "\n");
    put_series(b, f->name, "_count", s->labels, NULL);
    oi_buf_printf(b, "%llu\n", (unsigned long long)s->count);
}

static void render_family(oi_buf_t *b, const family_t *f)
{
    if (f->help) {
        oi_buf_printf(b, "# HELP %s %s\n", f->name, f->help);
        oi_buf_printf(b, "# TYPE %s %s\n", f->name, kind_name(f->kind));
    }
    for (const series_t *s = f->series; s; s = s->next) {
        if (f->kind == KIND_HISTOGRAM) {
            render_histogram(b, f, s);
            continue;
        }
        put_series(b, f->name, "", s->labels, NULL);
        put_value(b, s->value);
        oi_buf_appends(b, "\n");
    }
}

#define HOOKS_MAX 16
static struct {
    void (*fn)(void *ud);
    void *ud;
} hooks[HOOKS_MAX];
static pthread_mutex_t hooks_lock = PTHREAD_MUTEX_INITIALIZER;

void oi_metrics_on_render(void (*fn)(void *ud), void *ud)
{
    pthread_mutex_lock(&hooks_lock);
    for (int i = 0; i < HOOKS_MAX; i++) {
        if (!hooks[i].fn) {
            hooks[i].fn = fn;
            hooks[i].ud = ud;
            break;
        }
    }
    pthread_mutex_unlock(&hooks_lock);
}

void oi_metrics_off_render(void (*fn)(void *ud), void *ud)
{
    pthread_mutex_lock(&hooks_lock);
    for (int i = 0; i < HOOKS_MAX; i++)
        if (hooks[i].fn == fn && hooks[i].ud == ud)
            hooks[i].fn = NULL;
    pthread_mutex_unlock(&hooks_lock);
}

static void run_hooks(void)
{
    pthread_mutex_lock(&hooks_lock);
    for (int i = 0; i < HOOKS_MAX; i++)
        if (hooks[i].fn)
            hooks[i].fn(hooks[i].ud);
    pthread_mutex_unlock(&hooks_lock);
}

char *oi_metrics_render(void)
{
    run_hooks();
    oi_buf_t b;
    oi_buf_init(&b, RENDER_MAX);
    pthread_mutex_lock(&registry_lock);
    for (const family_t *f = families; f; f = f->next)
        render_family(&b, f);
    pthread_mutex_unlock(&registry_lock);
    return oi_buf_steal(&b, NULL);
}
