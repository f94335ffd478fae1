#include "cost/window.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

namespace trimtab::cost {

namespace {

constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kWeek = 7 * kDay;
// Largest N accepted in "Nd" etc.: keeps arithmetic far from overflow (≈ 31 000 years in days).
constexpr std::int64_t kMaxCount = 100000000;

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Parses all of `s` as a decimal integer ≤ limit.
std::optional<std::int64_t> parseCount(std::string_view s, std::int64_t limit) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > limit) return std::nullopt;
  return v;
}

std::optional<std::int64_t> unitSeconds(char u) {
  switch (u) {
    case 'm':
      return kMinute;
    case 'h':
      return kHour;
    case 'd':
      return kDay;
    case 'w':
      return kWeek;
    default:
      return std::nullopt;
  }
}

// "<digits><unit>" with unit m/h/d/w.
struct CountUnit {
  std::int64_t count;
  char unit;
};
std::optional<CountUnit> parseCountUnit(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  char u = s.back();
  if (!unitSeconds(u)) return std::nullopt;
  auto n = parseCount(s.substr(0, s.size() - 1), kMaxCount);
  if (!n) return std::nullopt;
  return CountUnit{*n, u};
}

std::optional<UnixSeconds> parseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SSZ
  if (s.size() != 20) return std::nullopt;
  const char* pattern = "dddd-dd-ddTdd:dd:ddZ";
  for (size_t i = 0; i < 20; ++i) {
    if (pattern[i] == 'd') {
      if (!isDigit(s[i])) return std::nullopt;
    } else if (s[i] != pattern[i]) {
      return std::nullopt;
    }
  }
  auto num = [&](size_t at, size_t len) {
    int v = 0;
    for (size_t i = at; i < at + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  int year = num(0, 4);
  int month = num(5, 2), day = num(8, 2), hour = num(11, 2), minute = num(14, 2),
      second = num(17, 2);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max_day = kDays[month - 1] - (month == 2 && !leap ? 1 : 0);
  if (day > max_day) return std::nullopt;
  std::int64_t days =
      daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * kDay + hour * kHour + minute * kMinute + second;
}

tl::unexpected<Error> illegal(std::string_view text, std::string_view why) {
  return fail(ErrorCode::kInvalidArgument, fmt::format("window \"{}\": {}", text, why));
}

}  // namespace

std::int64_t daysFromCivil(int year, unsigned month, unsigned day) {
  // Howard Hinnant's days_from_civil algorithm.
  std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  std::int64_t yoe = y - era * 400;
  std::int64_t mp = (static_cast<std::int64_t>(month) + 9) % 12;
  std::int64_t doy = (153 * mp + 2) / 5 + static_cast<std::int64_t>(day) - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civilFromDays(std::int64_t z, int& year, unsigned& month, unsigned& day) {
  z += 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  year = static_cast<int>(y + (month <= 2 ? 1 : 0));
}

std::string formatRfc3339(double unix_seconds) {
  if (!std::isfinite(unix_seconds) || std::fabs(unix_seconds) > 1e15) return "";
  auto t = static_cast<std::int64_t>(std::llround(unix_seconds));
  std::int64_t days = floorDiv(t, kDay);
  std::int64_t rem = t - days * kDay;
  int y;
  unsigned m, d;
  civilFromDays(days, y, m, d);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", y, m, d, rem / kHour,
                     (rem % kHour) / kMinute, rem % kMinute);
}

Result<int> parseUtcOffset(std::string_view s) {
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || !isDigit(s[1]) || !isDigit(s[2]) ||
      s[3] != ':' || !isDigit(s[4]) || !isDigit(s[5])) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("UTC offset \"{}\": expected [+-]HH:MM", s));
  }
  int h = (s[1] - '0') * 10 + (s[2] - '0');
  int m = (s[4] - '0') * 10 + (s[5] - '0');
  if (h > 23 || m > 59) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("UTC offset \"{}\": hours must be ≤ 23 and minutes ≤ 59", s));
  }
  int v = h * 3600 + m * 60;
  return s[0] == '-' ? -v : v;
}

Result<Window> parseWindow(std::string_view text, UnixSeconds now, int utc_offset_seconds) {
  if (utc_offset_seconds <= -86400 || utc_offset_seconds >= 86400) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("window: UTC offset {} s is out of range (−24 h, +24 h)",
                            utc_offset_seconds));
  }
  // Local-calendar helpers for the named windows.
  const std::int64_t off = utc_offset_seconds;
  const std::int64_t local_day = floorDiv(now + off, kDay);  // days since epoch, local
  auto localMidnight = [&](std::int64_t day) -> UnixSeconds { return day * kDay - off; };

  if (text == "today") return Window{localMidnight(local_day), localMidnight(local_day + 1)};
  if (text == "yesterday") return Window{localMidnight(local_day - 1), localMidnight(local_day)};
  if (text == "week" || text == "lastweek") {
    std::int64_t weekday = ((local_day + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; Sunday=0
    std::int64_t sunday = local_day - weekday;
    if (text == "week") return Window{localMidnight(sunday), now};
    return Window{localMidnight(sunday - 7), localMidnight(sunday)};
  }
  if (text == "month" || text == "lastmonth") {
    int y;
    unsigned m, d;
    civilFromDays(local_day, y, m, d);
    std::int64_t first = daysFromCivil(y, m, 1);
    if (text == "month") return Window{localMidnight(first), now};
    int py = m == 1 ? y - 1 : y;
    unsigned pm = m == 1 ? 12 : m - 1;
    return Window{localMidnight(daysFromCivil(py, pm, 1)), localMidnight(first)};
  }

  // "<dur> offset <dur>"
  if (size_t sp = text.find(" offset "); sp != std::string_view::npos) {
    auto dur = parseCountUnit(text.substr(0, sp));
    auto offs = parseCountUnit(text.substr(sp + 8));
    if (!dur || !offs) {
      return illegal(text, "illegal window: expected \"<N><m|h|d|w> offset <N><m|h|d|w>\"");
    }
    UnixSeconds end = now - offs->count * *unitSeconds(offs->unit);
    return Window{end - dur->count * *unitSeconds(dur->unit), end};
  }

  if (auto cu = parseCountUnit(text)) {
    std::int64_t u = *unitSeconds(cu->unit);
    if (cu->unit == 'w') {
      UnixSeconds end = floorDiv(now, kDay) * kDay + kDay;
      UnixSeconds start = floorDiv(now - cu->count * kWeek, kDay) * kDay + kDay;
      return Window{start, end};
    }
    UnixSeconds end = floorDiv(now, u) * u + u;
    return Window{end - cu->count * u, end};
  }

  // Pairs: unix seconds "a,b" (or a-b, a|b) and RFC3339 "a,b".
  if (size_t comma = text.find(','); comma != std::string_view::npos) {
    std::string_view a = text.substr(0, comma), b = text.substr(comma + 1);
    if (auto ra = parseRfc3339(a)) {
      auto rb = parseRfc3339(b);
      if (!rb) {
        return illegal(text, fmt::format("second time \"{}\" is not RFC3339 "
                                         "(YYYY-MM-DDTHH:MM:SSZ)",
                                         b));
      }
      if (*ra > *rb) return illegal(text, "start is after end");
      return Window{*ra, *rb};
    }
  }
  for (char sep : {',', '-', '|'}) {
    size_t at = text.find(sep);
    if (at == std::string_view::npos) continue;
    auto a = parseCount(text.substr(0, at), 1000000000000LL);
    auto b = parseCount(text.substr(at + 1), 1000000000000LL);
    if (a && b) {
      if (*a > *b) return illegal(text, "start is after end");
      return Window{*a, *b};
    }
  }
  return illegal(text,
                 "illegal window: expected today, yesterday, week, lastweek, month, lastmonth, "
                 "<N><m|h|d|w>, \"<N><unit> offset <N><unit>\", a unix-seconds pair \"a,b\" or an "
                 "RFC3339 pair");
}

Result<double> parseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("duration \"{}\": {}", text, why));
  };
  if (text.empty()) return bad("empty; expected e.g. 1h, 30m, 1d, 1w");
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && isDigit(text[i])) ++i;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && isDigit(text[i])) ++i;
    }
    std::string_view num = text.substr(start, i - start);
    if (num.empty() || num == "." || num.size() > 15) {
      return bad(fmt::format("at offset {}: expected a number", start));
    }
    if (i >= text.size()) {
      return bad(fmt::format("at offset {}: expected a unit (s, m, h, d, w) after \"{}\"", i, num));
    }
    double unit = 0;
    switch (text[i]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = kMinute;
        break;
      case 'h':
        unit = kHour;
        break;
      case 'd':
        unit = kDay;
        break;
      case 'w':
        unit = kWeek;
        break;
      default:
        return bad(fmt::format("at offset {}: unknown unit '{}'; expected s, m, h, d or w", i,
                               text[i]));
    }
    ++i;
    total += std::stod(std::string(num)) * unit;
  }
  if (!(total > 0)) return bad("must be greater than zero");
  if (total > 1e12) return bad("too large");
  return total;
}

}  // namespace trimtab::cost
