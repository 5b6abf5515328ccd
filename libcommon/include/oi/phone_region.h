/* oi/phone_region.h: the country of a phone number, from libphonenumber's metadata.
 *
 * Region codes are ISO 3166-1 alpha-2 as libphonenumber uses them, which includes a few
 * territories with their own numbering (GG, JE, IM share +44 with GB; +44 7911 1… is a
 * Guernsey range, so it answers "GG", not "GB"). Implemented in C++ (phone_region.cc); no C++
 * exception ever leaves these functions. Thread-safe; they keep nothing between calls.
 *
 * Cost (measured, Release, one x86 core): libphonenumber parses and validates with regular
 * expressions, about 40-50 µs per oi_phone_region. The first call of either function in the
 * process loads all metadata (about 10 ms, ~1.5 MB kept for the process lifetime): a service that
 * needs them calls oi_phone_region_known once at start-up so no caller pays that. */
#ifndef OI_PHONE_REGION_H
#define OI_PHONE_REGION_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the region of e164 ("+14155550100" → "US") and its NUL into out. false, with out set
 * to "", when e164 is NULL or not ^\+[1-9]\d{1,14}$ (oi_e164_valid), libphonenumber cannot
 * parse it or does not hold it a valid number, or it has no region (non-geographic codes such
 * as +800, +882). A NULL out gives false. */
bool oi_phone_region(const char *e164, char out[3]);

/* true when iso2 is exactly two upper-case ASCII letters and a region libphonenumber has
 * numbering metadata for ("GB" yes; "gb", "ZZ", "XX", "GBR" no). */
bool oi_phone_region_known(const char *iso2);

/* The country calling code of a region ("GB" → 44, "US" → 1), 0 for anything
 * oi_phone_region_known refuses. Every number oi_phone_region places in a region starts with
 * "+" and that code. */
int oi_phone_country_code(const char *iso2);

#ifdef __cplusplus
}
#endif

#endif
