// RFC 3339 timestamps as the Kubernetes API prints them ("2024-01-02T03:04:05Z"), converted with
// pure arithmetic (proleptic Gregorian calendar, no locale, no time-zone database).
// Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

#include "model/clock.h"
#include "model/error.h"

namespace trimtab::model {

// Accepts YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM); 'T' and 'Z' may be lower case. Fractional
// seconds are truncated toward the earlier second. Leap seconds (:60) are rejected, as Go's
// time.Parse does. Error (ErrorCode::kParse): "<text>": not an RFC 3339 timestamp (expected
// e.g. 2024-01-02T03:04:05Z)
Result<UnixSeconds> parseRfc3339(std::string_view text);

// "YYYY-MM-DDTHH:MM:SSZ" in UTC. Years outside 0000..9999 are printed with as many digits as
// needed (and a '-' sign before year 0), which parseRfc3339 does not accept.
std::string formatRfc3339(UnixSeconds seconds);

}  // namespace trimtab::model
