#include "model/time_format.h"

#include <gtest/gtest.h>

namespace trimtab::model {
namespace {

TEST(ModelTimeFormatTest, Parses) {
  EXPECT_EQ(*parseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parseRfc3339("2024-01-02T03:04:05Z"), 1704164645);
  EXPECT_EQ(*parseRfc3339("2024-01-02T03:04:05.999999Z"), 1704164645);
  EXPECT_EQ(*parseRfc3339("2024-01-02T05:04:05+02:00"), 1704164645);
  EXPECT_EQ(*parseRfc3339("2024-01-01T22:04:05-05:00"), 1704164645);
  EXPECT_EQ(*parseRfc3339("2024-01-02t03:04:05z"), 1704164645);
  EXPECT_EQ(*parseRfc3339("2024-02-29T00:00:00Z"), 1709164800);
  EXPECT_EQ(*parseRfc3339("1969-12-31T23:59:59Z"), -1);
  EXPECT_EQ(*parseRfc3339("2000-03-01T00:00:00Z"), 951868800);
  EXPECT_EQ(*parseRfc3339("9999-12-31T23:59:59Z"), 253402300799);
}

TEST(ModelTimeFormatTest, Rejects) {
  for (const char* text :
       {"", "2024-01-02", "2024-01-02T03:04:05", "2024-01-02 03:04:05Z", "2024-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z", "2024-01-32T00:00:00Z", "2024-01-02T24:00:00Z",
        "2024-01-02T03:60:00Z", "2024-01-02T03:04:60Z", "2024-01-02T03:04:05.Z",
        "2024-01-02T03:04:05+0200", "2024-01-02T03:04:05Zjunk", "24-01-02T03:04:05Z",
        "2024-01-02T03:04:05+02:00x", "+024-01-02T03:04:05Z", "2024-00-10T00:00:00Z"}) {
    SCOPED_TRACE(text);
    auto t = parseRfc3339(text);
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().message, "\"" + std::string(text) +
                                     "\": not an RFC 3339 timestamp (expected e.g. "
                                     "2024-01-02T03:04:05Z)");
  }
}

TEST(ModelTimeFormatTest, Formats) {
  EXPECT_EQ(formatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339(1704164645), "2024-01-02T03:04:05Z");
  EXPECT_EQ(formatRfc3339(-1), "1969-12-31T23:59:59Z");
}

TEST(ModelTimeFormatTest, RoundTrips) {
  for (UnixSeconds t = -86400LL * 365 * 300; t < 86400LL * 365 * 400; t += 86400 * 17 + 3607) {
    auto parsed = parseRfc3339(formatRfc3339(t));
    ASSERT_TRUE(parsed.has_value()) << formatRfc3339(t);
    ASSERT_EQ(*parsed, t);
  }
  EXPECT_EQ(formatRfc3339(*parseRfc3339("2038-01-19T03:14:08Z")), "2038-01-19T03:14:08Z");
}

TEST(ModelTimeFormatTest, ExtremeValuesDoNotCrash) {
  EXPECT_FALSE(formatRfc3339(INT64_MAX).empty());
  EXPECT_FALSE(formatRfc3339(INT64_MIN).empty());
}

}  // namespace
}  // namespace trimtab::model
