/* oi/e164.h: E.164 numbers, exactly the seeds' pattern ^\+[1-9]\d{1,14}$. */
#ifndef OI_E164_H
#define OI_E164_H

#include <stdbool.h>

bool oi_e164_valid(const char *s);
/* ISO country of a valid E.164 number when cheaply known ("US" for +1 NANP, …) or NULL. */
const char *oi_e164_country(const char *s);

#endif
