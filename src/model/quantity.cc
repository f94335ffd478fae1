#include "model/quantity.h"

#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include <fmt/format.h>

namespace trimtab::model {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

constexpr std::array<std::int64_t, 19> kPow10 = {
    1LL,
    10LL,
    100LL,
    1000LL,
    10000LL,
    100000LL,
    1000000LL,
    10000000LL,
    100000000LL,
    1000000000LL,
    10000000000LL,
    100000000000LL,
    1000000000000LL,
    10000000000000LL,
    100000000000000LL,
    1000000000000000LL,
    10000000000000000LL,
    100000000000000000LL,
    1000000000000000000LL,
};

// Quotes the text for an error message; very long inputs are shortened.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  if (text.size() > kMaxShown) return fmt::format("\"{}...\"", text.substr(0, kMaxShown));
  return fmt::format("\"{}\"", text);
}

tl::unexpected<Error> notAQuantity(std::string_view text) {
  return fail(ErrorCode::kParse,
              quoted(text) + ": not a quantity (expected e.g. 100m, 0.5, 1Gi)");
}

tl::unexpected<Error> outOfRange(std::string_view text) {
  return fail(ErrorCode::kParse, quoted(text) + ": quantity out of range");
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// A quantity split into its parts. value = ±0.<digits> ... expressed as
// (int_digits . frac_digits) × 10^exp10 × 2^exp2.
struct Lexed {
  bool negative = false;
  std::string_view int_digits;
  std::string_view frac_digits;
  std::int64_t exp10 = 0;
  int exp2 = 0;
};

bool parseSuffix(std::string_view s, Lexed& out) {
  if (s.empty()) return true;
  if (s.size() == 1) {
    switch (s[0]) {
      case 'n': out.exp10 = -9; return true;
      case 'u': out.exp10 = -6; return true;
      case 'm': out.exp10 = -3; return true;
      case 'k': out.exp10 = 3; return true;
      case 'M': out.exp10 = 6; return true;
      case 'G': out.exp10 = 9; return true;
      case 'T': out.exp10 = 12; return true;
      case 'P': out.exp10 = 15; return true;
      case 'E': out.exp10 = 18; return true;
      default: return false;
    }
  }
  if (s.size() == 2 && s[1] == 'i') {
    switch (s[0]) {
      case 'K': out.exp2 = 10; return true;
      case 'M': out.exp2 = 20; return true;
      case 'G': out.exp2 = 30; return true;
      case 'T': out.exp2 = 40; return true;
      case 'P': out.exp2 = 50; return true;
      case 'E': out.exp2 = 60; return true;
      default: break;
    }
  }
  if (s[0] != 'e' && s[0] != 'E') return false;
  std::size_t pos = 1;
  bool negative = false;
  if (s[pos] == '+' || s[pos] == '-') {
    negative = s[pos] == '-';
    ++pos;
  }
  if (pos == s.size()) return false;
  // The apiserver parses the exponent as an int32; anything larger is not a quantity.
  std::int64_t exponent = 0;
  for (; pos < s.size(); ++pos) {
    if (!isDigit(s[pos])) return false;
    exponent = exponent * 10 + (s[pos] - '0');
    if (exponent > (std::int64_t{1} << 31)) return false;
  }
  if (negative) exponent = -exponent;
  if (exponent > std::numeric_limits<std::int32_t>::max() ||
      exponent < std::numeric_limits<std::int32_t>::min()) {
    return false;
  }
  out.exp10 = exponent;
  return true;
}

bool lex(std::string_view text, Lexed& out) {
  std::size_t pos = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    out.negative = text[pos] == '-';
    ++pos;
  }
  std::size_t start = pos;
  while (pos < text.size() && isDigit(text[pos])) ++pos;
  out.int_digits = text.substr(start, pos - start);
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    start = pos;
    while (pos < text.size() && isDigit(text[pos])) ++pos;
    out.frac_digits = text.substr(start, pos - start);
  }
  if (out.int_digits.empty() && out.frac_digits.empty()) return false;
  return parseSuffix(text.substr(pos), out);
}

// The significant digits of a lexed number: value = digits × 10^exp10 (sign and exp2 aside).
// digits has no leading or trailing zeros; empty means zero.
struct Significand {
  std::string_view int_part;   // leading zeros removed
  std::string_view frac_part;  // trailing zeros removed
  std::int64_t exp10 = 0;      // exponent applying to int_part+frac_part read as an integer
  // When int_part is empty, frac_part may have leading zeros; skip them.
};

Significand significand(const Lexed& lexed, int extra_exp10) {
  Significand s;
  std::string_view ip = lexed.int_digits;
  std::string_view fp = lexed.frac_digits;
  while (!ip.empty() && ip.front() == '0') ip.remove_prefix(1);
  while (!fp.empty() && fp.back() == '0') fp.remove_suffix(1);
  std::int64_t exp10 = lexed.exp10 + extra_exp10 - static_cast<std::int64_t>(fp.size());
  if (ip.empty()) {
    while (!fp.empty() && fp.front() == '0') fp.remove_prefix(1);
  }
  if (fp.empty()) {
    // Trailing zeros of the integer part move into the exponent.
    while (!ip.empty() && ip.back() == '0') {
      ip.remove_suffix(1);
      ++exp10;
    }
  }
  s.int_part = ip;
  s.frac_part = fp;
  s.exp10 = exp10;
  return s;
}

Result<std::int64_t> applySign(bool negative, std::int64_t magnitude) {
  return negative ? -magnitude : magnitude;
}

Result<std::int64_t> computeSlow(std::string_view text, const Lexed& lexed, int extra_exp10) {
  const Significand sig = significand(lexed, extra_exp10);
  std::string digits;
  digits.reserve(sig.int_part.size() + sig.frac_part.size() + 20);
  digits.append(sig.int_part);
  digits.append(sig.frac_part);
  if (digits.empty()) return 0;
  // Multiply the decimal digit string by 2^exp2, 2^10 at a time.
  for (int i = 0; i < lexed.exp2 / 10; ++i) {
    int carry = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      int v = (*it - '0') * 1024 + carry;
      *it = static_cast<char>('0' + v % 10);
      carry = v / 10;
    }
    std::string prefix;
    while (carry > 0) {
      prefix.insert(prefix.begin(), static_cast<char>('0' + carry % 10));
      carry /= 10;
    }
    digits.insert(0, prefix);
  }
  const auto len = static_cast<std::int64_t>(digits.size());
  std::string_view integer_digits;
  bool fraction = false;
  std::int64_t trailing_zeros = 0;
  if (sig.exp10 >= 0) {
    if (len + sig.exp10 > 19) return outOfRange(text);
    integer_digits = digits;
    trailing_zeros = sig.exp10;
  } else {
    const std::int64_t int_len = len + sig.exp10;
    std::string_view all = digits;
    if (int_len <= 0) {
      fraction = true;  // digits is non-zero
    } else {
      integer_digits = all.substr(0, static_cast<std::size_t>(int_len));
      for (char c : all.substr(static_cast<std::size_t>(int_len))) fraction |= (c != '0');
    }
    if (int_len > 19) return outOfRange(text);
  }
  std::uint64_t value = 0;
  for (char c : integer_digits) value = value * 10 + static_cast<std::uint64_t>(c - '0');
  for (std::int64_t i = 0; i < trailing_zeros; ++i) value *= 10;
  if (value > static_cast<std::uint64_t>(kMax)) return outOfRange(text);
  if (fraction) {
    if (value == static_cast<std::uint64_t>(kMax)) return outOfRange(text);
    ++value;
  }
  return applySign(lexed.negative, static_cast<std::int64_t>(value));
}

Result<std::int64_t> parseScaled(std::string_view text, int extra_exp10) {
  Lexed lexed;
  if (!lex(text, lexed)) return notAQuantity(text);
  const Significand sig = significand(lexed, extra_exp10);
  const std::size_t n = sig.int_part.size() + sig.frac_part.size();
  if (n == 0) return 0;
  if (n > 18) return computeSlow(text, lexed, extra_exp10);
  std::int64_t d = 0;
  for (char c : sig.int_part) d = d * 10 + (c - '0');
  for (char c : sig.frac_part) d = d * 10 + (c - '0');
  const std::int64_t pow2 = std::int64_t{1} << lexed.exp2;
  if (sig.exp10 >= 0) {
    if (sig.exp10 > 18) return outOfRange(text);
    std::int64_t v = 0;
    if (__builtin_mul_overflow(d, kPow10[static_cast<std::size_t>(sig.exp10)], &v) ||
        __builtin_mul_overflow(v, pow2, &v)) {
      return outOfRange(text);
    }
    return applySign(lexed.negative, v);
  }
  std::int64_t numerator = 0;
  if (__builtin_mul_overflow(d, pow2, &numerator)) return computeSlow(text, lexed, extra_exp10);
  const std::int64_t m = -sig.exp10;
  if (m > 18) return applySign(lexed.negative, 1);  // 0 < value < 1
  const std::int64_t divisor = kPow10[static_cast<std::size_t>(m)];
  const std::int64_t q = numerator / divisor;
  return applySign(lexed.negative, q + (numerator % divisor != 0 ? 1 : 0));
}

// Magnitude as unsigned so that INT64_MIN formats correctly.
std::string signedText(std::int64_t v, std::uint64_t magnitude_scaled, std::string_view suffix) {
  return fmt::format("{}{}{}", v < 0 ? "-" : "", magnitude_scaled, suffix);
}

std::uint64_t magnitude(std::int64_t v) {
  return v < 0 ? static_cast<std::uint64_t>(0) - static_cast<std::uint64_t>(v)
               : static_cast<std::uint64_t>(v);
}

}  // namespace

Result<std::int64_t> parseQuantityMilli(std::string_view text) { return parseScaled(text, 3); }

Result<std::int64_t> parseQuantity(std::string_view text) { return parseScaled(text, 0); }

std::string formatCpuMillicores(std::int64_t millicores) {
  const std::uint64_t m = magnitude(millicores);
  if (m % 1000 == 0) return signedText(millicores, m / 1000, "");
  return signedText(millicores, m, "m");
}

std::string formatBytes(std::int64_t bytes) {
  const std::uint64_t m = magnitude(bytes);
  if (m == 0) return "0";
  static constexpr std::array<std::string_view, 6> kSuffixes = {"Ki", "Mi", "Gi",
                                                                "Ti", "Pi", "Ei"};
  for (int i = 5; i >= 0; --i) {
    const int shift = 10 * (i + 1);
    const std::uint64_t unit = std::uint64_t{1} << shift;
    if (m % unit == 0) {
      return signedText(bytes, m >> shift, kSuffixes[static_cast<std::size_t>(i)]);
    }
  }
  return signedText(bytes, m, "");
}

namespace internal {

Result<std::int64_t> parseQuantitySlow(std::string_view text, int extra_decimal_exponent) {
  Lexed lexed;
  if (!lex(text, lexed)) return notAQuantity(text);
  return computeSlow(text, lexed, extra_decimal_exponent);
}

}  // namespace internal

}  // namespace trimtab::model
