#include "model/quantity.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace trimtab::model {
namespace {

struct Case {
  const char* text;
  std::int64_t milli;
  std::int64_t value;
};

TEST(ModelQuantityTest, ValidQuantities) {
  const Case cases[] = {
      {"100m", 100, 1},
      {"0.5", 500, 1},
      {"0.1", 100, 1},
      {"1", 1000, 1},
      {"250m", 250, 1},
      {"1e3", 1000000, 1000},
      {"1E-3", 1, 1},
      {"1e+3", 1000000, 1000},
      {"1.5e3", 1500000, 1500},
      {"1Ki", 1024000, 1024},
      {"1.5Gi", 1610612736000, 1610612736},
      {"512Mi", 536870912000, 536870912},
      {"1k", 1000000, 1000},
      {"1M", 1000000000, 1000000},
      {"1G", 1000000000000, 1000000000},
      {"1T", 1000000000000000, 1000000000000},
      {"1P", 1000000000000000000, 1000000000000000},
      {"5n", 1, 1},
      {"1u", 1, 1},
      {"1500u", 2, 1},
      {"+1", 1000, 1},
      {"-1", -1000, -1},
      {"-1.5", -1500, -2},
      {"0", 0, 0},
      {"0.0", 0, 0},
      {"000.000m", 0, 0},
      {"0e999", 0, 0},
      {"1.", 1000, 1},
      {".5", 500, 1},
      {"007", 7000, 7},
      {"31792180Ki", 32555192320000, 32555192320},
      {"7910m", 7910, 8},
      {"2G", 2000000000000, 2000000000},
      {"0.000000000000000000000000000001", 1, 1},
      {"123456789012345678901234567890e-20", 1234567890124, 1234567891},
      {"9223372036854775807", -1, 9223372036854775807LL},
      {"9223372036854775807m", 9223372036854775807LL, 9223372036854775807LL / 1000 + 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const std::string text = c.text;
    auto v = parseQuantity(text);
    ASSERT_TRUE(v.has_value()) << v.error().message;
    EXPECT_EQ(*v, c.value);
    auto m = parseQuantityMilli(text);
    if (c.milli == -1) {
      EXPECT_FALSE(m.has_value());
    } else {
      ASSERT_TRUE(m.has_value()) << m.error().message;
      EXPECT_EQ(*m, c.milli);
    }
  }
}

TEST(ModelQuantityTest, LargeSuffixesInBytes) {
  EXPECT_EQ(*parseQuantity("1E"), 1000000000000000000LL);
  EXPECT_EQ(*parseQuantity("1Ei"), 1152921504606846976LL);
  EXPECT_EQ(*parseQuantity("7Ei"), 7 * 1152921504606846976LL);
  EXPECT_EQ(*parseQuantity("1Pi"), 1125899906842624LL);
  EXPECT_EQ(*parseQuantity("1Ti"), 1099511627776LL);
  EXPECT_EQ(*parseQuantity("9.2E"), 9200000000000000000LL);
}

TEST(ModelQuantityTest, Invalid) {
  for (const char* text : {"1.5.5", "12x", "", " ", " 1", "1 ", "--1", "1Kib", ".", "+", "-",
                           "e3", "1e", "1e+", "1ki", "1KI", "1mi", "1b", "0x10", "1,5", "1e3.5",
                           "1 Gi", "Gi", "1e99999999999", "1.5e", "++1", "1Ki3", "\t1"}) {
    SCOPED_TRACE(text);
    auto v = parseQuantity(text);
    ASSERT_FALSE(v.has_value());
    EXPECT_EQ(v.error().code, ErrorCode::kParse);
    EXPECT_EQ(v.error().message,
              "\"" + std::string(text) + "\": not a quantity (expected e.g. 100m, 0.5, 1Gi)");
    EXPECT_FALSE(parseQuantityMilli(text).has_value());
  }
}

TEST(ModelQuantityTest, OutOfRange) {
  for (const char* text : {"9999999999999999999", "100Ei", "8Ei", "9223372036854775808",
                           "1e19", "10E", "1e2147483647", "-9999999999999999999"}) {
    SCOPED_TRACE(text);
    auto v = parseQuantity(text);
    ASSERT_FALSE(v.has_value());
    EXPECT_EQ(v.error().message, "\"" + std::string(text) + "\": quantity out of range");
  }
  auto m = parseQuantityMilli("9223372036854776");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().message, "\"9223372036854776\": quantity out of range");
  EXPECT_EQ(*parseQuantityMilli("9223372036854775"), 9223372036854775000LL);
}

TEST(ModelQuantityTest, FastAndSlowPathsAgree) {
  for (const char* text : {"100m", "0.5", "1.5Gi", "5n", "1E-3", "123.456789Ki", "3.3333333Mi",
                           "0.000001Ei", "999999999999999999n", "1e-30", "-2.5Ki"}) {
    SCOPED_TRACE(text);
    for (int extra : {0, 3}) {
      auto fast = extra == 3 ? parseQuantityMilli(text) : parseQuantity(text);
      auto slow = internal::parseQuantitySlow(text, extra);
      ASSERT_EQ(fast.has_value(), slow.has_value());
      if (fast) {
        EXPECT_EQ(*fast, *slow);
      }
    }
  }
}

TEST(ModelQuantityTest, LongInputIsShortenedInMessage) {
  const std::string text(200, '1');
  auto v = parseQuantity(text + "x");
  ASSERT_FALSE(v.has_value());
  EXPECT_LT(v.error().message.size(), 140u);
}

TEST(ModelQuantityTest, FormatCpu) {
  EXPECT_EQ(formatCpuMillicores(250), "250m");
  EXPECT_EQ(formatCpuMillicores(2000), "2");
  EXPECT_EQ(formatCpuMillicores(0), "0");
  EXPECT_EQ(formatCpuMillicores(1500), "1500m");
  EXPECT_EQ(formatCpuMillicores(-500), "-500m");
}

TEST(ModelQuantityTest, FormatBytes) {
  EXPECT_EQ(formatBytes(512LL << 20), "512Mi");
  EXPECT_EQ(formatBytes(1LL << 30), "1Gi");
  EXPECT_EQ(formatBytes(1536LL << 10), "1536Ki");
  EXPECT_EQ(formatBytes(1000), "1000");
  EXPECT_EQ(formatBytes(0), "0");
  EXPECT_EQ(formatBytes(1LL << 60), "1Ei");
  EXPECT_EQ(formatBytes(-(1LL << 20)), "-1Mi");
  EXPECT_EQ(formatBytes(INT64_MIN), "-8Ei");
}

TEST(ModelQuantityTest, FormatRoundTrips) {
  for (std::int64_t v : {0LL, 1LL, 1023LL, 1024LL, 123456789LL, 1LL << 40, 3LL << 50}) {
    EXPECT_EQ(*parseQuantity(formatBytes(v)), v);
  }
  for (std::int64_t v : {0LL, 1LL, 999LL, 1000LL, 250LL, 123456LL}) {
    EXPECT_EQ(*parseQuantityMilli(formatCpuMillicores(v)), v);
  }
}

}  // namespace
}  // namespace trimtab::model
