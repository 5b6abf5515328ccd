#include <criterion/criterion.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <stdio.h>

#include "oi/crypto.h"

#define KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

TestSuite(crypto, .init = (void (*)(void))oi_crypto_global_init);

#define KEY2 "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff"
#define TRUNK "0190a4b2-0000-7000-8000-000000000001"

Test(crypto, seal_then_open_round_trips_without_plaintext_in_ciphertext)
{
    oi_crypto_t *c = oi_crypto_new(KEY, NULL, NULL);
    cr_assert_not_null(c);
    char *sealed = oi_crypto_seal(c, OI_SEAL_OUTBOUND_TRUNK, TRUNK, "s3cr3t-sip-password");
    cr_assert_null(strstr(sealed, "s3cr3t"));
    char head[16];
    snprintf(head, sizeof head, "v2:%s:", oi_crypto_key_id(c));
    cr_assert_eq(strncmp(sealed, head, strlen(head)), 0, "%s", sealed);
    cr_assert(oi_crypto_sealed_current(c, sealed));
    char *plain = oi_crypto_open(c, OI_SEAL_OUTBOUND_TRUNK, TRUNK, sealed);
    cr_assert_str_eq(plain, "s3cr3t-sip-password");
    oi_crypto_free_secret(plain);
    free(sealed);
    oi_crypto_destroy(&c);
    cr_assert_null(c);
}

Test(crypto, a_sealed_value_opens_only_for_its_purpose_and_row)
{
    oi_crypto_t *c = oi_crypto_new(KEY, NULL, NULL);
    char *sealed = oi_crypto_seal(c, OI_SEAL_NUMBER_TRUNK, "number-a", "pw");
    cr_expect_null(oi_crypto_open(c, OI_SEAL_NUMBER_TRUNK, "number-b", sealed)); /* copied to another row */
    cr_expect_null(oi_crypto_open(c, OI_SEAL_OUTBOUND_TRUNK, "number-a", sealed)); /* another purpose's subkey */
    cr_expect_null(oi_crypto_open(c, OI_SEAL_NUMBER_TRUNK, NULL, sealed));
    char *ok = oi_crypto_open(c, OI_SEAL_NUMBER_TRUNK, "number-a", sealed);
    cr_expect_str_eq(ok, "pw");
    oi_crypto_free_secret(ok);
    cr_expect_null(oi_crypto_seal(c, 0, "x", "pw"));
    cr_expect_null(oi_crypto_seal(c, OI_SEAL__PURPOSES, "x", "pw"));
    free(sealed);
    oi_crypto_destroy(&c);
}

Test(crypto, tampered_or_foreign_ciphertext_is_refused)
{
    oi_crypto_t *c = oi_crypto_new(KEY, NULL, NULL);
    char *sealed = oi_crypto_seal(c, OI_SEAL_JOB, "j/request", "x");
    sealed[strlen(sealed) - 3] ^= 1;
    cr_assert_null(oi_crypto_open(c, OI_SEAL_JOB, "j/request", sealed));
    cr_assert_null(oi_crypto_open(c, OI_SEAL_JOB, "j/request", "v1:!!!"));
    cr_assert_null(oi_crypto_open(c, OI_SEAL_JOB, "j/request", "v2:0000:AAAA"));
    cr_assert_null(oi_crypto_open(c, OI_SEAL_JOB, "j/request", "v2:"));
    cr_assert_null(oi_crypto_open(c, OI_SEAL_JOB, "j/request", "plain"));
    cr_assert_null(oi_crypto_open(c, OI_SEAL_JOB, "j/request", NULL));
    free(sealed);
    oi_crypto_destroy(&c);
}

/* A value of the first format: secretbox under the master key itself, "v1:" + base64. */
static char *sealed_v1(const char *key_hex, const char *plain)
{
    unsigned char key[32], box[256];
    sodium_hex2bin(key, sizeof key, key_hex, 64, NULL, NULL, NULL);
    size_t m = strlen(plain);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, m, box, key);
    size_t n = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + m;
    char *out = malloc(3 + sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL));
    memcpy(out, "v1:", 3);
    sodium_bin2base64(out + 3, sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), box, n,
                      sodium_base64_VARIANT_ORIGINAL);
    return out;
}

Test(crypto, the_previous_key_and_the_first_format_still_open_and_reseal_to_the_current_key)
{
    oi_crypto_t *old = oi_crypto_new(KEY, NULL, NULL);
    char *by_old = oi_crypto_seal(old, OI_SEAL_INTEGRATION, "i/sip_password_sealed", "old-pw");
    char *v1 = sealed_v1(KEY, "legacy-pw");
    oi_crypto_t *now = oi_crypto_new(KEY2, KEY, NULL); /* rotated: KEY2 current, KEY previous */
    cr_assert_str_neq(oi_crypto_key_id(now), oi_crypto_key_id(old));
    cr_expect_not(oi_crypto_sealed_current(now, by_old));
    cr_expect_not(oi_crypto_sealed_current(now, v1));
    char *p = oi_crypto_open(now, OI_SEAL_INTEGRATION, "i/sip_password_sealed", by_old);
    cr_expect_str_eq(p, "old-pw");
    oi_crypto_free_secret(p);
    p = oi_crypto_open(now, OI_SEAL_INTEGRATION, "anything", v1); /* v1 was bound to nothing */
    cr_expect_str_eq(p, "legacy-pw");
    oi_crypto_free_secret(p);
    char *moved = oi_crypto_reseal(now, OI_SEAL_INTEGRATION, "i/sip_password_sealed", by_old);
    cr_assert_not_null(moved);
    cr_expect(oi_crypto_sealed_current(now, moved));
    oi_crypto_t *only_new = oi_crypto_new(KEY2, NULL, NULL); /* the previous key removed */
    cr_expect_null(oi_crypto_open(only_new, OI_SEAL_INTEGRATION, "i/sip_password_sealed", by_old));
    p = oi_crypto_open(only_new, OI_SEAL_INTEGRATION, "i/sip_password_sealed", moved);
    cr_expect_str_eq(p, "old-pw");
    oi_crypto_free_secret(p);
    cr_expect_null(oi_crypto_reseal(only_new, OI_SEAL_INTEGRATION, "i/sip_password_sealed", by_old));
    free(moved);
    free(v1);
    free(by_old);
    oi_crypto_destroy(&only_new);
    oi_crypto_destroy(&now);
    oi_crypto_destroy(&old);
}

Test(crypto, a_weak_previous_key_is_refused_too)
{
    oi_error_t err;
    oi_error_init(&err);
    unsetenv("OI_ALLOW_WEAK_SECRET_KEY");
    cr_expect_null(oi_crypto_new(KEY, "0000000000000000000000000000000000000000000000000000000000000000", &err));
    cr_expect(strstr(err.message, "OI_SECRET_KEY_PREVIOUS") != NULL, "%s", err.message);
    oi_crypto_t *c = oi_crypto_new(KEY, "", NULL); /* empty: no previous key */
    cr_expect_not_null(c);
    oi_crypto_destroy(&c);
}

Test(crypto, bad_keys_are_rejected_with_an_error)
{
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_null(oi_crypto_new("abc", NULL, &err));
    cr_assert_eq(err.status, OI_INVALID);
    cr_assert_null(oi_crypto_new("zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", NULL, NULL));
    cr_assert_null(oi_crypto_new(NULL, NULL, NULL));
}

Test(crypto, sha256_matches_known_vector)
{
    char out[65];
    oi_sha256_hex("abc", 3, out);
    cr_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(crypto, tokens_have_prefix_and_length)
{
    char *t = oi_random_token("oi_sk_", 24);
    cr_assert_eq(strlen(t), 6 + 48);
    cr_assert(oi_secure_streq(t, t));
    cr_assert_not(oi_secure_streq(t, "oi_sk_"));
    free(t);
}

Test(crypto, random_password_meets_the_carriers_rules)
{
    char *first = oi_random_password(24);
    for (int i = 0; i < 200; i++) {
        char *p = oi_random_password(24);
        cr_assert_eq(strlen(p), 24);
        bool upper = false, lower = false, digit = false;
        for (const char *c = p; *c; c++) {
            cr_assert(isalnum((unsigned char)*c), "%s", p);
            upper |= isupper((unsigned char)*c) != 0;
            lower |= islower((unsigned char)*c) != 0;
            digit |= isdigit((unsigned char)*c) != 0;
        }
        cr_assert(upper && lower && digit, "%s", p);
        cr_assert_str_neq(p, first);
        oi_crypto_free_secret(p);
    }
    oi_crypto_free_secret(first);
    char *tiny = oi_random_password(1); /* too short for the rule: made long enough */
    cr_assert_eq(strlen(tiny), 3);
    oi_crypto_free_secret(tiny);
}

Test(crypto, weak_keys_are_refused_unless_allowed)
{
    const char *weak[] = {"0000000000000000000000000000000000000000000000000000000000000000",
                          "dec0dedec0dedec0dedec0dedec0dedec0dedec0dedec0dedec0dedec0dedec0",
                          "0102030405060708010203040506070801020304050607080102030405060708",
                          "00000000000000000000000000000000000000000000000000000000000000ff"};
    unsetenv("OI_ALLOW_WEAK_SECRET_KEY");
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
        oi_error_t err;
        oi_error_init(&err);
        cr_assert_null(oi_crypto_new(weak[i], NULL, &err), "%s", weak[i]);
        cr_assert(strstr(err.message, "weak") != NULL, "%s", err.message);
    }
    setenv("OI_ALLOW_WEAK_SECRET_KEY", "true", 1);
    oi_crypto_t *dev = oi_crypto_new(weak[1], NULL, NULL);
    cr_assert_not_null(dev);
    oi_crypto_destroy(&dev);
    unsetenv("OI_ALLOW_WEAK_SECRET_KEY");
    for (int i = 0; i < 50; i++) { /* what a generator makes is never weak */
        char *hex = oi_random_token("", 32);
        oi_crypto_t *c = oi_crypto_new(hex, NULL, NULL);
        cr_assert_not_null(c, "%s", hex);
        oi_crypto_destroy(&c);
        free(hex);
    }
}
