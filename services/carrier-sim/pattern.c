/* pattern.c: compile and match Twilio Contains patterns (a tiny anchored glob). */
#include "pattern.h"

#include <ctype.h>
#include <string.h>

char sim_pattern_keypad(char c)
{
    static const char map[] = "22233344455566677778889999"; /* A..Z on an ITU E.161 keypad */
    int u = toupper((unsigned char)c);
    if (u < 'A' || u > 'Z')
        return 0;
    return map[u - 'A'];
}

bool sim_pattern_compile(const char *text, sim_pattern_t *p)
{
    if (!text)
        return false;
    size_t len = strlen(text);
    bool start = len > 0 && text[0] == '+';
    bool end = len > (size_t)start && text[len - 1] == '$';
    size_t from = start ? 1 : 0, to = end ? len - 1 : len;
    if (to < from || to - from < 2 || to - from > SIM_PATTERN_MAX)
        return false;
    size_t literals = 0;
    bool wild = false;
    sim_pattern_t out = {.anchor_start = start, .anchor_end = end};
    for (size_t i = from; i < to; i++) {
        char c = text[i];
        char d = isdigit((unsigned char)c) ? c : sim_pattern_keypad(c);
        if (c == '*' || c == '%') {
            wild = true;
            d = c;
        } else if (!d) {
            return false;
        } else {
            literals++;
        }
        out.tok[out.n++] = d;
    }
    out.tok[out.n] = '\0';
    if (wild && literals < 2)
        return false;
    *p = out;
    return true;
}

/* Does tok[i..] match s[j..]? With anchor_end the whole rest of s must be used. */
static bool glob_at(const sim_pattern_t *p, size_t i, const char *s, bool anchor_end)
{
    for (; i < p->n; i++, s++) {
        char t = p->tok[i];
        if (t == '%') {
            for (const char *k = s;; k++) {
                if (glob_at(p, i + 1, k, anchor_end))
                    return true;
                if (!*k)
                    return false;
            }
        }
        if (!*s || !isdigit((unsigned char)*s))
            return false;
        if (t != '*' && t != *s)
            return false;
    }
    return !anchor_end || !*s;
}

bool sim_pattern_match(const sim_pattern_t *p, const char *digits)
{
    if (!p || !digits || p->n == 0)
        return false;
    if (p->anchor_start)
        return glob_at(p, 0, digits, p->anchor_end);
    for (const char *s = digits; *s; s++)
        if (glob_at(p, 0, s, p->anchor_end))
            return true;
    return false;
}
