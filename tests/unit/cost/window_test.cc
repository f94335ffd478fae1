#include "cost/window.h"

#include <gtest/gtest.h>

namespace trimtab::cost {
namespace {

constexpr UnixSeconds kNow = 1710428966;       // 2024-03-14T15:09:26Z, a Thursday
constexpr UnixSeconds kMidnight = 1710374400;  // 2024-03-14T00:00:00Z
constexpr UnixSeconds kDay = 86400;

Window must(std::string_view text, int offset = 0) {
  auto w = parseWindow(text, kNow, offset);
  EXPECT_TRUE(w.has_value()) << text << ": " << (w ? "" : w.error().message);
  return w ? *w : Window{};
}

void expectWindow(std::string_view text, UnixSeconds start, UnixSeconds end, int offset = 0) {
  Window w = must(text, offset);
  EXPECT_EQ(w.start, start) << text;
  EXPECT_EQ(w.end, end) << text;
}

TEST(Window, NamedWindows) {
  expectWindow("today", kMidnight, kMidnight + kDay);
  expectWindow("yesterday", kMidnight - kDay, kMidnight);
  expectWindow("week", kMidnight - 4 * kDay, kNow);  // Sunday 2024-03-10
  expectWindow("lastweek", kMidnight - 11 * kDay, kMidnight - 4 * kDay);
  expectWindow("month", 1709251200, kNow);           // 2024-03-01
  expectWindow("lastmonth", 1706745600, 1709251200);  // 2024-02-01 .. 2024-03-01
}

TEST(Window, LastMonthAcrossYear) {
  auto w = parseWindow("lastmonth", 1704153600, 0);  // 2024-01-02
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->start, 1701388800);  // 2023-12-01
  EXPECT_EQ(w->end, 1704067200);    // 2024-01-01
}

TEST(Window, NamedWindowsUseUtcOffset) {
  // +02:00: local time 17:09 on the 14th; local midnight is 22:00 UTC on the 13th.
  expectWindow("today", kMidnight - 7200, kMidnight - 7200 + kDay, 7200);
  // -05:00: local 10:09 on the 14th.
  expectWindow("yesterday", kMidnight + 18000 - kDay, kMidnight + 18000, -18000);
  // -16:00: local time is still the 13th.
  expectWindow("today", kMidnight - kDay + 57600, kMidnight + 57600, -57600);
}

TEST(Window, Durations) {
  expectWindow("7d", kMidnight + kDay - 7 * kDay, kMidnight + kDay);
  expectWindow("1d", kMidnight, kMidnight + kDay);
  expectWindow("24h", 1710432000 - kDay, 1710432000);  // end 16:00
  expectWindow("30m", 1710429000 - 1800, 1710429000);  // end 15:10
  expectWindow("2w", 1709251200, kMidnight + kDay);     // (now − 14d) → 02-29, +1 day
  // Duration windows stay UTC-aligned regardless of the offset (Go Time.Truncate).
  expectWindow("7d", kMidnight + kDay - 7 * kDay, kMidnight + kDay, 7200);
}

TEST(Window, Offset) {
  expectWindow("3h offset 2h", kNow - 7200 - 10800, kNow - 7200);
  expectWindow("1d offset 30m", kNow - 1800 - kDay, kNow - 1800);
  // Regression: upstream multiplies an offset in weeks by 24 weeks.
  expectWindow("1d offset 1w", kNow - 7 * kDay - kDay, kNow - 7 * kDay);
}

TEST(Window, Pairs) {
  expectWindow("1700000000,1700086400", 1700000000, 1700086400);
  expectWindow("1700000000-1700086400", 1700000000, 1700086400);
  expectWindow("2023-01-18T11:38:45Z,2023-01-20T11:38:45Z", 1674041925, 1674214725);
}

TEST(Window, Errors) {
  for (const char* bad : {"", "7x", "abc", "d", "7", "5,", ",5", "7d offset", "7d offset 2y",
                          "2023-01-18T11:38:45Z,bad", "2023-02-30T00:00:00Z,2023-03-01T00:00:00Z",
                          "1700086400,1700000000", "99999999999999999999d", "Today"}) {
    auto w = parseWindow(bad, kNow);
    EXPECT_FALSE(w.has_value()) << bad;
    if (!w) {
      EXPECT_EQ(w.error().code, ErrorCode::kInvalidArgument);
      EXPECT_NE(w.error().message.find("window \""), std::string::npos) << w.error().message;
    }
  }
  auto w = parseWindow("7x", kNow);
  EXPECT_NE(w.error().message.find("illegal window"), std::string::npos);
  auto r = parseWindow("2023-01-18T11:38:45Z,bad", kNow);
  EXPECT_NE(r.error().message.find("\"bad\" is not RFC3339"), std::string::npos)
      << r.error().message;
}

TEST(Window, UtcOffsetParsing) {
  EXPECT_EQ(*parseUtcOffset("+02:00"), 7200);
  EXPECT_EQ(*parseUtcOffset("-05:30"), -19800);
  EXPECT_FALSE(parseUtcOffset("02:00").has_value());
  EXPECT_FALSE(parseUtcOffset("+2:00").has_value());
  EXPECT_FALSE(parseUtcOffset("+24:00").has_value());
}

TEST(Duration, Valid) {
  EXPECT_DOUBLE_EQ(*parseDuration("1h"), 3600);
  EXPECT_DOUBLE_EQ(*parseDuration("30m"), 1800);
  EXPECT_DOUBLE_EQ(*parseDuration("1d"), 86400);
  EXPECT_DOUBLE_EQ(*parseDuration("1w"), 604800);
  EXPECT_DOUBLE_EQ(*parseDuration("1h30m"), 5400);
  EXPECT_DOUBLE_EQ(*parseDuration("1.5h"), 5400);
  EXPECT_DOUBLE_EQ(*parseDuration("300s"), 300);
}

TEST(Duration, Invalid) {
  for (const char* bad : {"", "h", "5", "5x", "0h", "1h5", "-1h", ".h"}) {
    auto d = parseDuration(bad);
    EXPECT_FALSE(d.has_value()) << bad;
    if (!d) {
      EXPECT_NE(d.error().message.find("duration \""), std::string::npos);
    }
  }
  EXPECT_NE(parseDuration("5x").error().message.find("unknown unit 'x'"), std::string::npos);
}

TEST(Time, Rfc3339Format) {
  EXPECT_EQ(formatRfc3339(1674041925), "2023-01-18T11:38:45Z");
  EXPECT_EQ(formatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(formatRfc3339(-1), "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace trimtab::cost
