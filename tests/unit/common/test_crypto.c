#include <criterion/criterion.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "oi/crypto.h"

#define KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

TestSuite(crypto, .init = (void (*)(void))oi_crypto_global_init);

Test(crypto, seal_then_open_round_trips_without_plaintext_in_ciphertext)
{
    oi_crypto_t *c = oi_crypto_new(KEY, NULL);
    cr_assert_not_null(c);
    char *sealed = oi_crypto_seal(c, "s3cr3t-sip-password");
    cr_assert_null(strstr(sealed, "s3cr3t"));
    cr_assert_eq(strncmp(sealed, "v1:", 3), 0);
    char *plain = oi_crypto_open(c, sealed);
    cr_assert_str_eq(plain, "s3cr3t-sip-password");
    oi_crypto_free_secret(plain);
    free(sealed);
    oi_crypto_destroy(&c);
    cr_assert_null(c);
}

Test(crypto, tampered_or_foreign_ciphertext_is_refused)
{
    oi_crypto_t *c = oi_crypto_new(KEY, NULL);
    char *sealed = oi_crypto_seal(c, "x");
    sealed[strlen(sealed) - 3] ^= 1;
    cr_assert_null(oi_crypto_open(c, sealed));
    cr_assert_null(oi_crypto_open(c, "v1:!!!"));
    cr_assert_null(oi_crypto_open(c, "plain"));
    cr_assert_null(oi_crypto_open(c, NULL));
    free(sealed);
    oi_crypto_destroy(&c);
}

Test(crypto, bad_keys_are_rejected_with_an_error)
{
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_null(oi_crypto_new("abc", &err));
    cr_assert_eq(err.status, OI_INVALID);
    cr_assert_null(oi_crypto_new("zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", NULL));
    cr_assert_null(oi_crypto_new(NULL, NULL));
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
        cr_assert_null(oi_crypto_new(weak[i], &err), "%s", weak[i]);
        cr_assert(strstr(err.message, "weak") != NULL, "%s", err.message);
    }
    setenv("OI_ALLOW_WEAK_SECRET_KEY", "true", 1);
    oi_crypto_t *dev = oi_crypto_new(weak[1], NULL);
    cr_assert_not_null(dev);
    oi_crypto_destroy(&dev);
    unsetenv("OI_ALLOW_WEAK_SECRET_KEY");
    for (int i = 0; i < 50; i++) { /* what a generator makes is never weak */
        char *hex = oi_random_token("", 32);
        oi_crypto_t *c = oi_crypto_new(hex, NULL);
        cr_assert_not_null(c, "%s", hex);
        oi_crypto_destroy(&c);
        free(hex);
    }
}
