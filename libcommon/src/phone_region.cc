// phone_region.cc: the C face of libphonenumber, the one C++ file in libcommon.
//
// libphonenumber has no C API. Everything it throws (std::bad_alloc from its strings, anything
// else in future versions) is caught in the two extern "C" functions below: an exception
// unwinding through C frames is undefined behaviour, so it becomes a plain false instead.
// PhoneNumberUtil::GetInstance() is a process-wide singleton, built once under a lock, whose
// const methods used here are thread-safe; it logs nothing by default (a null logger).
#include "oi/phone_region.h"

#include <phonenumbers/phonenumberutil.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

#include "oi/hash.h"

extern "C" {
#include "oi/e164.h" // a C header without its own extern "C" block
}

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

bool is_upper_iso2(const char *s)
{
    return s && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] == '\0';
}

// A number libphonenumber does not hold valid has no trustworthy region: for codes shared by
// several regions (+1, +44, +7) the region comes from the number's valid ranges, and for
// the others an invalid number is more likely a misdial ("+4155550100" is not Swiss).
bool region_of(const char *e164, char out[3])
{
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    // "ZZ": no default region, so only numbers with their own "+<country code>" parse
    if (util->Parse(e164, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR)
        return false;
    std::string region;
    util->GetRegionCodeForNumber(number, &region);
    // "001" marks non-geographic numbers, "ZZ" unknown
    if (!is_upper_iso2(region.c_str()) || region == "ZZ")
        return false;
    // what IsValidNumber does, without finding the region a second time (each costs regexes)
    if (!util->IsValidNumberForRegion(number, region))
        return false;
    std::memcpy(out, region.c_str(), 3);
    return true;
}

// A lookup costs 40-50 us of regexes, more than the rest of a routing decision: answers are
// kept in a direct-mapped table (the newest wins a slot), so a caller seen before costs a hash
// and a lock. Bounded: kSlots entries of 20 bytes.
constexpr size_t kSlots = 4096;
struct Memo {
    char e164[OI_E164_MAX + 1];
    char region[3];
    bool found;
};
Memo memo[kSlots];
std::mutex memo_lock;

size_t slot_of(const char *e164)
{
    return static_cast<size_t>(oi_fnv1a_str(OI_FNV1A_SEED, e164) % kSlots);
}

bool memo_get(const char *e164, char out[3], bool *found)
{
    std::lock_guard<std::mutex> g(memo_lock);
    const Memo &m = memo[slot_of(e164)];
    if (std::strcmp(m.e164, e164) != 0)
        return false;
    std::memcpy(out, m.region, 3);
    *found = m.found;
    return true;
}

void memo_put(const char *e164, const char region[3], bool found)
{
    std::lock_guard<std::mutex> g(memo_lock);
    Memo &m = memo[slot_of(e164)];
    std::memcpy(m.e164, e164, std::strlen(e164) + 1);
    std::memcpy(m.region, region, 3);
    m.found = found;
}

} // namespace

extern "C" bool oi_phone_region(const char *e164, char out[3])
{
    if (!out)
        return false;
    out[0] = '\0';
    // libphonenumber's Parse is lenient ("tel:", spaces, letters, "(0)"): E.164 syntax first
    if (!oi_e164_valid(e164))
        return false;
    bool found = false;
    try {
        if (memo_get(e164, out, &found))
            return found;
        found = region_of(e164, out);
        if (!found)
            out[0] = '\0';
        memo_put(e164, out, found);
        return found;
    } catch (...) {
    }
    out[0] = '\0';
    return false;
}

extern "C" int oi_phone_country_code(const char *iso2)
{
    if (!is_upper_iso2(iso2))
        return 0;
    try {
        // 0 for a region without metadata ("ZZ", "XX"): one map lookup, where
        // GetSupportedRegions would copy the whole set on every call
        return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(iso2);
    } catch (...) {
        return 0;
    }
}

extern "C" bool oi_phone_region_known(const char *iso2) { return oi_phone_country_code(iso2) != 0; }
