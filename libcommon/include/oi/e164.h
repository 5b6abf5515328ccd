/* oi/e164.h: E.164 numbers, exactly the seeds' pattern ^\+[1-9]\d{1,14}$. */
#ifndef OI_E164_H
#define OI_E164_H

#include <stdbool.h>

#define OI_E164_MAX 16 /* "+" and 15 digits */

bool oi_e164_valid(const char *s);
/* The one normaliser every comparison of numbers uses: s without the visual separators people
 * write (spaces, '-', '.', '(', ')'), and a leading "00" as "+", into out when the result is
 * valid E.164. false otherwise (out then holds ""). */
bool oi_e164_normalize(const char *s, char out[OI_E164_MAX + 1]);

#endif
