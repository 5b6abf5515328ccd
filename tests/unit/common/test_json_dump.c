/* test_json_dump.c: oi_json_dump writes what json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) writes. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oi/json_dump.h"

TestSuite(json_dump);

static void same_as_jansson(const json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *got = oi_json_dump(v);
    cr_assert_not_null(want);
    cr_assert_not_null(got, "refused what jansson writes: %s", want);
    cr_assert_str_eq(got, want);
    free(want);
    free(got);
}

Test(json_dump, scalars_containers_and_order)
{
    json_t *o = json_object();
    json_object_set_new(o, "null", json_null());
    json_object_set_new(o, "t", json_true());
    json_object_set_new(o, "f", json_false());
    json_object_set_new(o, "max", json_integer(INT64_MAX));
    json_object_set_new(o, "min", json_integer(INT64_MIN));
    json_object_set_new(o, "zero", json_integer(0));
    json_object_set_new(o, "empty_array", json_array());
    json_object_set_new(o, "empty_object", json_object());
    json_object_set_new(o, "mixed", json_pack("[is[n]]", 1, "two"));
    json_object_set_new(o, "deep", json_pack("{s{ss}}", "a", "b", "c"));
    json_object_del(o, "t");
    json_object_set_new(o, "t", json_true()); /* re-added: now last, as jansson keeps it */
    same_as_jansson(o);
    json_decref(o);
    json_t *top[] = {json_null(), json_true(), json_integer(-7), json_string("alone"), json_array()};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
        same_as_jansson(top[i]);
        json_decref(top[i]);
    }
}

Test(json_dump, every_control_byte_quote_backslash_slash_and_utf8)
{
    char s[64];
    size_t n = 0;
    for (int c = 1; c < 0x20; c++)
        s[n++] = (char)c;
    memcpy(s + n, "\"\\/\x7f caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x93\x9e", 20);
    n += 20;
    json_t *v = json_stringn(s, n);
    cr_assert_not_null(v);
    same_as_jansson(v);
    json_t *o = json_object();
    json_object_set_new(o, s + 24, json_string("key with UTF-8")); /* "caf\xc3\xa9 …" */
    json_object_set_new(o, "quote\"d\nkey", v);
    same_as_jansson(o);
    json_decref(o);
    json_t *nul = json_stringn("a\0b", 3);
    same_as_jansson(nul);
    json_decref(nul);
}

Test(json_dump, reals_as_jansson_writes_them)
{
    double reals[] = {0.0, 1.5, -0.1, 1e300, 123456789.125, 3.0};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        json_t *v = json_pack("[f]", reals[i]);
        same_as_jansson(v);
        json_decref(v);
    }
}

/* Documents of every shape from a fixed seed: the two writers never differ. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned next(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static json_t *random_value(int depth)
{
    static const char *const texts[] = {"", "plain", "tab\there", "\"q\"", "back\\slash", "\xc3\xbc\xc3\x9f",
                                        "line\r\n", "\x01\x1f", "+442079460000", "{\"not\":\"json\"}"};
    unsigned kind = depth > 5 ? next(5) : next(7);
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(next(2));
    case 2: return json_integer((json_int_t)next(1000000) - 500000);
    case 3: return json_string(texts[next(sizeof texts / sizeof texts[0])]);
    case 4: return json_real((double)next(100000) / 64.0);
    case 5: {
        json_t *a = json_array();
        for (unsigned i = next(5); i > 0; i--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (unsigned i = next(6); i > 0; i--) {
            char key[16];
            snprintf(key, sizeof key, "%s%u", next(4) ? "k" : "k\"\n", next(50));
            json_object_set_new(o, key, random_value(depth + 1));
        }
        return o;
    }
    }
}

Test(json_dump, random_documents_match_jansson)
{
    for (int i = 0; i < 2000; i++) {
        json_t *v = random_value(0);
        same_as_jansson(v);
        json_decref(v);
    }
}

Test(json_dump, nothing_null_or_too_deep)
{
    cr_expect_null(oi_json_dump(NULL));
    json_t *root = json_array(), *at = root;
    for (int i = 0; i <= OI_JSON_DUMP_DEPTH_MAX; i++) {
        json_t *inner = json_array();
        json_array_append_new(at, inner);
        at = inner;
    }
    cr_expect_null(oi_json_dump(root), "deeper than the bound: refused, no crash");
    json_decref(root);
    oi_buf_t b;
    oi_buf_init(&b, 8);
    json_t *big = json_string("longer than eight bytes");
    cr_expect_eq(oi_json_dump_into(&b, big), OI_PAYLOAD_TOO_LARGE);
    oi_buf_cleanup(&b);
    json_decref(big);
}
