/* pattern.h: Twilio's `Contains` search pattern (carriers.md §2).
 *
 * Text is 2-16 characters of [0-9A-Za-z*%] after the optional anchors: a leading '+' anchors
 * the pattern at the start of the number's E.164 digits (country code included), a trailing '$'
 * at its end; without anchors the pattern may match anywhere. '*' matches exactly one digit,
 * '%' any run of digits (possibly empty). Letters are keypad letters (vanity: "STORM" =
 * 78676). A pattern with wildcards needs at least two literal digits. Pure; no allocation. */
#ifndef SIM_PATTERN_H
#define SIM_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define SIM_PATTERN_MAX 16

typedef struct {
    char tok[SIM_PATTERN_MAX + 1]; /* digits, '*' and '%', NUL-terminated */
    size_t n;
    bool anchor_start;
    bool anchor_end;
} sim_pattern_t;

/* false (p untouched in meaning) when the text breaks the rules above. */
bool sim_pattern_compile(const char *text, sim_pattern_t *p);
/* digits: the number without '+' ("14155550142"). */
bool sim_pattern_match(const sim_pattern_t *p, const char *digits);
/* Keypad digit of a letter ('A'..'Z', any case); 0 when not a letter. */
char sim_pattern_keypad(char c);

#endif
