// OpenCost window grammar (shared/reference/opencost-semantics.md §5.3) and durations.
//
// Windows are half-open [start, end) in Unix seconds, resolved against an explicit `now` (no
// clock reads here) and a UTC offset in seconds (OpenCost's UTC_OFFSET, e.g. +02:00 = 7200):
//   today, yesterday, week, lastweek, month, lastmonth   local-midnight aligned (offset applies)
//   Nm | Nh | Nd      end = now truncated (UTC-aligned) to the unit + 1 unit; start = end − N units
//   Nw                end = tomorrow 00:00 UTC; start = (now − N weeks) truncated to day + 1 day
//   <dur> offset <dur>  end = now − offset (no truncation), start = end − dur; units m/h/d/w.
//                       Trimtab fix: offset unit `w` is 7 days (upstream multiplies by 24 weeks).
//   a,b | a-b         Unix seconds pair
//   RFC3339,RFC3339   "2023-01-18T11:38:45Z,2023-01-20T11:38:45Z"
// Errors are kInvalidArgument and say which form was expected, e.g.
//   window "7x": illegal window: expected today, yesterday, week, lastweek, month, lastmonth, ...
#pragma once

#include <string>
#include <string_view>

#include "model/clock.h"
#include "model/error.h"

namespace trimtab::cost {

struct Window {
  UnixSeconds start = 0;
  UnixSeconds end = 0;
  double hours() const { return static_cast<double>(end - start) / 3600.0; }
};

Result<Window> parseWindow(std::string_view text, UnixSeconds now, int utc_offset_seconds = 0);

// "+02:00" / "-05:30" → seconds. Anything else is an error.
Result<int> parseUtcOffset(std::string_view text);

// Durations for `step`, `resolution` and `offset`: one or more <number><unit> with units
// s, m, h, d, w (w = 7 days), e.g. "1h", "30m", "1d", "1w", "1h30m", "1.5h". Returns seconds > 0.
Result<double> parseDuration(std::string_view text);

// Calendar helpers (proleptic Gregorian, UTC).
std::int64_t daysFromCivil(int year, unsigned month, unsigned day);
void civilFromDays(std::int64_t days, int& year, unsigned& month, unsigned& day);

// "2023-01-18T11:38:45Z" for Unix seconds; seconds are rounded to the nearest second.
std::string formatRfc3339(double unix_seconds);

}  // namespace trimtab::cost
