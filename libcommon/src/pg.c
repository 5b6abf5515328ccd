/* pg.c: blocking libpq pool for threadpool/job threads; SQLSTATE translated here only. */
#define OI_LOG_TAG "common.pg"
#include "oi/pg.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "pg_internal.h"

struct oi_pg_pool {
    char *conninfo;            /* owned */
    int size;
    int statement_timeout_ms;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    PGconn **idle;             /* owned array of idle connections */
    int n_idle;
    int n_open;                /* idle + in use */
    atomic_long queries;
    atomic_llong last_ok_ms;   /* last time a connection worked */
    atomic_llong last_fail_ms;
    char labels[80];           /* pool="<name>" once named; empty = no metrics */
};

oi_pg_pool_t *oi_pg_pool_new(const char *conninfo, int size, int statement_timeout_ms)
{
    oi_pg_pool_t *p = oi_xcalloc(1, sizeof *p);
    p->conninfo = oi_xstrdup(conninfo);
    p->size = size > 0 ? size : 1;
    p->statement_timeout_ms = statement_timeout_ms;
    p->idle = oi_xcalloc((size_t)p->size, sizeof(PGconn *));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

void oi_pg_pool_name(oi_pg_pool_t *p, const char *name)
{
    snprintf(p->labels, sizeof p->labels, "pool=\"%s\"", name);
    oi_metric_help("oi_pg_pool_size", "gauge", "Connections a PostgreSQL pool may open");
    oi_metric_help("oi_pg_pool_in_use", "gauge", "Pooled PostgreSQL connections handed out");
    oi_metric_help("oi_pg_pool_acquire_wait_seconds", "histogram", "Time spent waiting for a pooled connection");
    oi_metric_help("oi_pg_pool_exhausted_total", "counter", "Acquires that gave up: every connection stayed busy");
    oi_metric_set("oi_pg_pool_size", p->labels, p->size);
    oi_metric_set("oi_pg_pool_in_use", p->labels, 0);
    oi_metric_inc("oi_pg_pool_exhausted_total", p->labels, 0);
}

/* Under p->mu. */
static void publish_in_use(oi_pg_pool_t *p)
{
    if (p->labels[0])
        oi_metric_set("oi_pg_pool_in_use", p->labels, p->n_open - p->n_idle);
}

void oi_pg_pool_destroy(oi_pg_pool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    oi_pg_pool_t *p = *self_p;
    for (int i = 0; i < p->n_idle; i++)
        PQfinish(p->idle[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->idle);
    free(p->conninfo);
    OI_FREE(*self_p);
}

static PGconn *connect_one(oi_pg_pool_t *p, oi_error_t *err)
{
    PGconn *c = PQconnectdb(p->conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
        PQfinish(c);
        atomic_store(&p->last_fail_ms, oi_clock_now_ms());
        oi_log_warn(&(oi_log_ctx_t){.action = "connecting to PostgreSQL"}, "%s", msg);
        oi_error_set(err, OI_DB_UNAVAILABLE, "database unavailable");
        return NULL;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "SET statement_timeout = %d", p->statement_timeout_ms);
    PQclear(PQexec(c, sql));
    PQclear(PQexec(c, "SET TIME ZONE 'UTC'"));
    PQclear(PQexec(c, "SET jit = off")); /* never worth its compile time here (oi/pg.h) */
    atomic_store(&p->last_ok_ms, oi_clock_now_ms());
    return c;
}

static void deadline_in(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* An idle connection should have nothing to read. One whose server went away (restart,
 * failover, admin shutdown) has its FATAL message and EOF waiting: it is dropped, so the caller
 * gets a fresh connection instead of a failed statement. */
static bool idle_alive(PGconn *c)
{
    if (PQstatus(c) != CONNECTION_OK)
        return false;
    struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN | POLLRDHUP};
    return poll(&pfd, 1, 0) == 0;
}

static oi_status_t take(oi_pg_pool_t *p, int timeout_ms, PGconn **out, oi_error_t *err)
{
    struct timespec deadline;
    deadline_in(&deadline, timeout_ms);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->n_idle > 0) {
            PGconn *c = p->idle[--p->n_idle];
            publish_in_use(p);
            pthread_mutex_unlock(&p->mu);
            if (idle_alive(c)) {
                *out = c;
                return OI_OK;
            }
            PQfinish(c); /* the server went away while it idled (restart): open a fresh one */
            pthread_mutex_lock(&p->mu);
            p->n_open--;
            continue;
        }
        if (p->n_open < p->size) {
            p->n_open++;
            publish_in_use(p);
            pthread_mutex_unlock(&p->mu);
            PGconn *c = connect_one(p, err);
            if (!c) {
                pthread_mutex_lock(&p->mu);
                p->n_open--;
                publish_in_use(p);
                pthread_cond_signal(&p->cv);
                pthread_mutex_unlock(&p->mu);
                return OI_DB_UNAVAILABLE;
            }
            *out = c;
            return OI_OK;
        }
        if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&p->mu);
            if (p->labels[0])
                oi_metric_inc("oi_pg_pool_exhausted_total", p->labels, 1);
            return oi_error_set(err, OI_DB_UNAVAILABLE, "database pool exhausted");
        }
    }
}

oi_status_t oi_pg_pool_acquire(oi_pg_pool_t *p, int timeout_ms, PGconn **out, oi_error_t *err)
{
    uint64_t t0 = oi_clock_mono_ns();
    oi_status_t rc = take(p, timeout_ms, out, err);
    if (p->labels[0])
        oi_metric_observe("oi_pg_pool_acquire_wait_seconds", p->labels, (double)(oi_clock_mono_ns() - t0) / 1e9);
    return rc;
}

void oi_pg_pool_release(oi_pg_pool_t *p, PGconn **cp)
{
    if (!cp || !*cp)
        return;
    PGconn *c = *cp;
    *cp = NULL;
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
        PQclear(PQexec(c, "ROLLBACK"));
    bool healthy = PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE;
    pthread_mutex_lock(&p->mu);
    if (healthy) {
        p->idle[p->n_idle++] = c;
    } else {
        p->n_open--;
        PQfinish(c); /* a broken connection is replaced by a fresh one on the next acquire */
    }
    publish_in_use(p);
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

bool oi_pg_pool_healthy(oi_pg_pool_t *p)
{
    long long ok = atomic_load(&p->last_ok_ms), fail = atomic_load(&p->last_fail_ms);
    return fail == 0 || ok > fail;
}

void oi_pg_pool_stats(oi_pg_pool_t *p, int *size, int *in_use, long *queries)
{
    pthread_mutex_lock(&p->mu);
    if (size)
        *size = p->size;
    if (in_use)
        *in_use = p->n_open - p->n_idle;
    pthread_mutex_unlock(&p->mu);
    if (queries)
        *queries = atomic_load(&p->queries);
}

/* The one place where SQLSTATEs become our statuses (the pipeline uses it too). */
oi_status_t oi_pg__translate(PGconn *c, const PGresult *res, oi_error_t *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(c) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0)
        return oi_error_set(err, OI_DB_UNAVAILABLE, "database unavailable");
    if (strcmp(state, "23505") == 0) {
        const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        oi_status_t s = oi_error_set(err, OI_CONFLICT, "duplicate key");
        if (err && constraint)
            oi_error_set_loc(err, constraint);
        return s;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return oi_error_set(err, OI_CONFLICT, "concurrent update, retry");
    if (strcmp(state, "57014") == 0)
        return oi_error_set(err, OI_TIMEOUT, "database statement timed out");
    if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)
        return oi_error_set(err, OI_BAD_REQUEST, "invalid data (SQLSTATE %s)", state);
    oi_log_error(&(oi_log_ctx_t){.action = "running SQL"}, "SQLSTATE %s: %s", state,
                 res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "");
    return oi_error_set(err, OI_INTERNAL, "database error");
}

oi_status_t oi_pg_exec(PGconn *c, const char *sql, int nparams, const char *const *params, PGresult **out,
                       oi_error_t *err)
{
    if (out)
        *out = NULL;
    PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (out)
            *out = res;
        else
            PQclear(res);
        return OI_OK;
    }
    oi_status_t rc = oi_pg__translate(c, res, err);
    PQclear(res);
    return rc;
}

oi_status_t oi_pg_begin(PGconn *c, oi_error_t *err) { return oi_pg_exec(c, "BEGIN", 0, NULL, NULL, err); }
oi_status_t oi_pg_commit(PGconn *c, oi_error_t *err) { return oi_pg_exec(c, "COMMIT", 0, NULL, NULL, err); }

void oi_pg_rollback(PGconn *c)
{
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
        PQclear(PQexec(c, "ROLLBACK"));
}

/* PQfnumber(res, col) without its copy and case folding of col (a malloc per lookup, and rows
 * are read a column name at a time): a name without capitals or quotes folds to itself, so the
 * first column of exactly that name is PQfnumber's answer (or the hinted one of that name). */
int oi_pg_field(const PGresult *res, const char *col, int hint)
{
    for (const char *p = col; *p; p++)
        if ((*p >= 'A' && *p <= 'Z') || *p == '"')
            return PQfnumber(res, col);
    int n = PQnfields(res);
    if (hint >= 0 && hint < n && strcmp(PQfname(res, hint), col) == 0)
        return hint;
    for (int i = 0; i < n; i++)
        if (strcmp(PQfname(res, i), col) == 0)
            return i;
    return -1;
}

const char *oi_pg_get(const PGresult *res, int row, const char *col)
{
    int i = oi_pg_field(res, col, -1);
    if (i < 0 || row >= PQntuples(res) || PQgetisnull(res, row, i))
        return NULL;
    return PQgetvalue(res, row, i);
}

char *oi_pg_dup(const PGresult *res, int row, const char *col) { return oi_xstrdup(oi_pg_get(res, row, col)); }

bool oi_pg_bool(const PGresult *res, int row, const char *col)
{
    const char *v = oi_pg_get(res, row, col);
    return v && strcmp(v, "t") == 0;
}

/* --- migrations ------------------------------------------------------------------------------ */

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool is_migration(const char *name)
{
    size_t n = strlen(name);
    return n > 7 && name[0] >= '0' && name[0] <= '9' && strcmp(name + n - 4, ".sql") == 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0) {
        fclose(f);
        return NULL;
    }
    char *s = oi_xmalloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = '\0';
    return s;
}

static oi_status_t apply_one(PGconn *c, const char *schema, const char *dir, const char *name, oi_error_t *err)
{
    PGresult *res = NULL;
    char *q = oi_xasprintf("SELECT 1 FROM \"%s\".schema_migrations WHERE name = $1", schema);
    const char *params[] = {name};
    oi_status_t rc = oi_pg_exec(c, q, 1, params, &res, err);
    free(q);
    if (rc)
        return rc;
    bool done = PQntuples(res) > 0;
    PQclear(res);
    if (done)
        return OI_OK;
    char *path = oi_xasprintf("%s/%s", dir, name);
    char *sql = read_file(path);
    free(path);
    if (!sql)
        return oi_error_set(err, OI_INTERNAL, "cannot read migration %s", name);
    char *set_path = oi_xasprintf("SET LOCAL search_path TO \"%s\", public", schema);
    rc = oi_pg_begin(c, err);
    if (!rc)
        rc = oi_pg_exec(c, set_path, 0, NULL, NULL, err);
    if (!rc) {
        PGresult *r = PQexec(c, sql); /* multi-statement file */
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
            oi_log_error(&(oi_log_ctx_t){.action = "applying migration"}, "%s: %s", name,
                         PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
            rc = oi_error_set(err, OI_INTERNAL, "migration %s failed", name);
        }
        PQclear(r);
    }
    if (!rc) {
        char *ins = oi_xasprintf("INSERT INTO \"%s\".schema_migrations(name) VALUES ($1)", schema);
        rc = oi_pg_exec(c, ins, 1, params, NULL, err);
        free(ins);
    }
    if (!rc)
        rc = oi_pg_commit(c, err);
    else
        oi_pg_rollback(c);
    if (!rc)
        oi_log_info(&(oi_log_ctx_t){.action = "applying migration"}, "%s.%s applied", schema, name);
    free(set_path);
    free(sql);
    return rc;
}

static oi_status_t list_migrations(const char *dir, char ***names, size_t *n, oi_error_t *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return oi_error_set(err, OI_INTERNAL, "cannot open migrations directory %s", dir);
    size_t cap = 16;
    *names = oi_xcalloc(cap, sizeof(char *));
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_migration(e->d_name))
            continue;
        if (*n == cap) {
            cap *= 2;
            *names = oi_xrealloc(*names, cap * sizeof(char *));
        }
        (*names)[(*n)++] = oi_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(*names, *n, sizeof(char *), cmp_names);
    return OI_OK;
}

oi_status_t oi_pg_migrate(oi_pg_pool_t *p, const char *schema, const char *dir, oi_error_t *err)
{
    PGconn *c = NULL;
    char **names = NULL;
    size_t n = 0;
    oi_status_t rc = oi_pg_pool_acquire(p, 10000, &c, err);
    if (rc)
        return rc;
    rc = list_migrations(dir, &names, &n, err);
    /* one migrator at a time across replicas: a session advisory lock keyed by the schema name */
    const char *lock_params[] = {schema};
    if (!rc)
        rc = oi_pg_exec(c, "SELECT pg_advisory_lock(hashtext($1))", 1, lock_params, NULL, err);
    if (!rc) {
        char *ddl = oi_xasprintf("CREATE SCHEMA IF NOT EXISTS \"%s\"; CREATE TABLE IF NOT EXISTS "
                                 "\"%s\".schema_migrations (name text PRIMARY KEY, applied_at timestamptz "
                                 "NOT NULL DEFAULT now())", schema, schema);
        PGresult *r = PQexec(c, ddl);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = oi_error_set(err, OI_DB_UNAVAILABLE, "cannot create schema %s", schema);
        PQclear(r);
        free(ddl);
        for (size_t i = 0; !rc && i < n; i++)
            rc = apply_one(c, schema, dir, names[i], err);
        oi_pg_exec(c, "SELECT pg_advisory_unlock(hashtext($1))", 1, lock_params, NULL, NULL);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    oi_pg_pool_release(p, &c);
    return rc;
}
