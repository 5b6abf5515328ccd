/* test_metrics.c: the Prometheus registry: values, text format, histograms, threads. */
#include <criterion/criterion.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "oi/metrics.h"

TestSuite(metrics);

Test(metrics, counts_and_sets_per_label_set)
{
    oi_metric_inc("oi_req_total", "code=\"200\"", 1);
    oi_metric_inc("oi_req_total", "code=\"200\"", 2);
    oi_metric_inc("oi_req_total", "code=\"500\"", 1);
    oi_metric_set("oi_inflight", NULL, 7);
    oi_metric_set("oi_inflight", "", 5);
    cr_assert_float_eq(oi_metric_get("oi_req_total", "code=\"200\""), 3, 1e-9);
    cr_assert_float_eq(oi_metric_get("oi_req_total", "code=\"500\""), 1, 1e-9);
    cr_assert_float_eq(oi_metric_get("oi_inflight", NULL), 5, 1e-9);
    cr_assert_float_eq(oi_metric_get("oi_unknown", NULL), 0, 1e-9);
}

Test(metrics, renders_help_type_and_series)
{
    oi_metric_help("oi_req_total", "counter", "Requests served.");
    oi_metric_inc("oi_req_total", "route=\"/x\",code=\"200\"", 4);
    oi_metric_set("oi_temp", NULL, 1.5);
    char *text = oi_metrics_render();
    cr_assert_str_eq(text, "# HELP oi_req_total Requests served.\n"
                           "# TYPE oi_req_total counter\n"
                           "oi_req_total{route=\"/x\",code=\"200\"} 4\n"
                           "oi_temp 1.5\n");
    free(text);
}

Test(metrics, renders_histogram_buckets_cumulatively)
{
    oi_metric_help("oi_lat_seconds", "histogram", "Latency.");
    oi_metric_observe("oi_lat_seconds", "route=\"/a\"", 0.0004);
    oi_metric_observe("oi_lat_seconds", "route=\"/a\"", 0.003);
    oi_metric_observe("oi_lat_seconds", "route=\"/a\"", 0.3);
    oi_metric_observe("oi_lat_seconds", "route=\"/a\"", 99);
    char *text = oi_metrics_render();
    cr_assert(strstr(text, "# TYPE oi_lat_seconds histogram\n"));
    cr_assert(strstr(text, "oi_lat_seconds_bucket{route=\"/a\",le=\"0.0005\"} 1\n"));
    cr_assert(strstr(text, "oi_lat_seconds_bucket{route=\"/a\",le=\"0.0025\"} 1\n"));
    cr_assert(strstr(text, "oi_lat_seconds_bucket{route=\"/a\",le=\"0.005\"} 2\n"));
    cr_assert(strstr(text, "oi_lat_seconds_bucket{route=\"/a\",le=\"0.5\"} 3\n"));
    cr_assert(strstr(text, "oi_lat_seconds_bucket{route=\"/a\",le=\"10\"} 3\n"));
    cr_assert(strstr(text, "oi_lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"));
    cr_assert(strstr(text, "oi_lat_seconds_sum{route=\"/a\"} 99.3034"));
    cr_assert(strstr(text, "oi_lat_seconds_count{route=\"/a\"} 4\n"));
    free(text);
}

Test(metrics, unlabelled_histogram_uses_only_le)
{
    oi_metric_observe("oi_plain_seconds", NULL, 0.01);
    char *text = oi_metrics_render();
    cr_assert(strstr(text, "oi_plain_seconds_bucket{le=\"0.01\"} 1\n"));
    cr_assert(strstr(text, "oi_plain_seconds_sum 0.01\n"));
    cr_assert(strstr(text, "oi_plain_seconds_count 1\n"));
    cr_assert_null(strstr(text, "# TYPE")); /* no help given */
    free(text);
}

Test(metrics, ignores_bad_names_labels_and_kind_mismatch)
{
    oi_metric_inc("9bad", NULL, 1);
    oi_metric_inc("bad name", NULL, 1);
    oi_metric_inc("oi_ok_total", "a=\"1\"\n# evil", 1);
    oi_metric_inc("oi_ok_total", NULL, 1);
    oi_metric_observe("oi_ok_total", NULL, 1); /* counter: observe ignored */
    oi_metric_observe("oi_h_seconds", NULL, 1);
    oi_metric_inc("oi_h_seconds", NULL, 1);    /* histogram: inc ignored */
    char *text = oi_metrics_render();
    cr_assert_null(strstr(text, "evil"));
    cr_assert_null(strstr(text, "bad"));
    cr_assert(strstr(text, "oi_ok_total 1\n"));
    cr_assert_null(strstr(text, "oi_ok_total_bucket"));
    cr_assert(strstr(text, "oi_h_seconds_count 1\n"));
    free(text);
    cr_assert_float_eq(oi_metric_get("oi_h_seconds", NULL), 1, 1e-9);
}

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        oi_metric_inc("oi_par_total", (i & 1) ? "t=\"odd\"" : "t=\"even\"", 1);
        oi_metric_observe("oi_par_seconds", NULL, 0.001);
        if (i % 1000 == 0)
            free(oi_metrics_render());
    }
    return NULL;
}

Test(metrics, is_safe_across_threads)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    cr_assert_float_eq(oi_metric_get("oi_par_total", "t=\"odd\""), 40000, 1e-9);
    cr_assert_float_eq(oi_metric_get("oi_par_total", "t=\"even\""), 40000, 1e-9);
    cr_assert_float_eq(oi_metric_get("oi_par_seconds", NULL), 80000, 1e-9);
}

/* A series held by its caller counts into the same series as the name and labels do, renders
 * the same, and a name that is invalid or of another kind gives no series (counting it: nothing). */
Test(metrics, held_series_count_like_named_ones)
{
    oi_metric_series_t *c = oi_metric_counter("oi_held_total", "code=\"200\"");
    cr_assert_not_null(c);
    cr_expect_eq(oi_metric_counter("oi_held_total", "code=\"200\""), c, "one series per name and labels");
    oi_metric_series_inc(c, 2);
    oi_metric_inc("oi_held_total", "code=\"200\"", 1);
    cr_expect_float_eq(oi_metric_get("oi_held_total", "code=\"200\""), 3, 1e-9);
    oi_metric_series_t *h = oi_metric_histogram("oi_held_seconds", "route=\"x\"");
    cr_assert_not_null(h);
    oi_metric_series_observe(h, 0.0007);
    oi_metric_observe("oi_held_seconds", "route=\"x\"", 20);
    oi_metric_series_observe(h, NAN); /* not observed */
    char *text = oi_metrics_render();
    cr_expect(strstr(text, "oi_held_seconds_bucket{route=\"x\",le=\"0.001\"} 1\n") != NULL, "%s", text);
    cr_expect(strstr(text, "oi_held_seconds_count{route=\"x\"} 2\n") != NULL, "%s", text);
    free(text);
    cr_expect_null(oi_metric_histogram("oi_held_total", "code=\"200\""), "a counter already");
    cr_expect_null(oi_metric_counter("bad name", ""));
    cr_expect_null(oi_metric_counter("oi_held_total", "code=\"2\"}\n"));
    oi_metric_series_inc(NULL, 1);
    oi_metric_series_observe(NULL, 1);
}
