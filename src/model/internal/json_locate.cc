#include "model/internal/json_locate.h"

namespace trimtab::model::internal {
namespace {

constexpr int kMaxDepth = 1024;

class Locator {
 public:
  explicit Locator(std::string_view text) : s_(text) {}

  std::optional<std::size_t> run() {
    skipSpace();
    if (!value(1)) return pos_;
    skipSpace();
    if (pos_ != s_.size()) return pos_;
    return std::nullopt;
  }

 private:
  bool atEnd() const { return pos_ >= s_.size(); }
  unsigned char peek() const { return static_cast<unsigned char>(s_[pos_]); }

  void skipSpace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++pos_;
    }
  }

  bool value(int depth) {
    if (atEnd()) return false;
    switch (peek()) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  bool object(int depth) {
    if (depth > kMaxDepth) return false;
    ++pos_;
    skipSpace();
    if (!atEnd() && peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skipSpace();
      if (atEnd() || peek() != '"' || !string()) return false;
      skipSpace();
      if (atEnd() || peek() != ':') return false;
      ++pos_;
      skipSpace();
      if (!value(depth + 1)) return false;
      skipSpace();
      if (atEnd()) return false;
      if (peek() == '}') {
        ++pos_;
        return true;
      }
      if (peek() != ',') return false;
      ++pos_;
    }
  }

  bool array(int depth) {
    if (depth > kMaxDepth) return false;
    ++pos_;
    skipSpace();
    if (!atEnd() && peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      skipSpace();
      if (!value(depth + 1)) return false;
      skipSpace();
      if (atEnd()) return false;
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      if (peek() != ',') return false;
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool digits() {
    const std::size_t start = pos_;
    while (!atEnd() && peek() >= '0' && peek() <= '9') ++pos_;
    return pos_ > start;
  }

  bool number() {
    if (!atEnd() && peek() == '-') ++pos_;
    if (atEnd()) return false;
    if (peek() == '0') {
      ++pos_;
    } else if (!digits()) {
      return false;
    }
    if (!atEnd() && peek() == '.') {
      ++pos_;
      if (!digits()) return false;
    }
    if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!atEnd() && (peek() == '+' || peek() == '-')) ++pos_;
      if (!digits()) return false;
    }
    return true;
  }

  bool isContinuation(std::size_t at, unsigned char lo = 0x80, unsigned char hi = 0xBF) const {
    if (at >= s_.size()) return false;
    const auto c = static_cast<unsigned char>(s_[at]);
    return c >= lo && c <= hi;
  }

  // Validates one UTF-8 sequence at pos_ (whose first byte is >= 0x80) and steps over it.
  bool utf8() {
    const unsigned char c = peek();
    std::size_t n = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      n = isContinuation(pos_ + 1) ? 2 : 0;
    } else if (c == 0xE0) {
      n = isContinuation(pos_ + 1, 0xA0, 0xBF) && isContinuation(pos_ + 2) ? 3 : 0;
    } else if (c == 0xED) {
      n = isContinuation(pos_ + 1, 0x80, 0x9F) && isContinuation(pos_ + 2) ? 3 : 0;
    } else if (c >= 0xE1 && c <= 0xEF) {
      n = isContinuation(pos_ + 1) && isContinuation(pos_ + 2) ? 3 : 0;
    } else if (c == 0xF0) {
      n = isContinuation(pos_ + 1, 0x90, 0xBF) && isContinuation(pos_ + 2) &&
                  isContinuation(pos_ + 3)
              ? 4
              : 0;
    } else if (c >= 0xF1 && c <= 0xF3) {
      n = isContinuation(pos_ + 1) && isContinuation(pos_ + 2) && isContinuation(pos_ + 3) ? 4
                                                                                           : 0;
    } else if (c == 0xF4) {
      n = isContinuation(pos_ + 1, 0x80, 0x8F) && isContinuation(pos_ + 2) &&
                  isContinuation(pos_ + 3)
              ? 4
              : 0;
    }
    if (n == 0) return false;
    pos_ += n;
    return true;
  }

  bool string() {
    ++pos_;  // opening quote
    while (!atEnd()) {
      const unsigned char c = peek();
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++pos_;
        if (atEnd()) return false;
        const unsigned char e = peek();
        if (e == 'u') {
          ++pos_;
          for (int i = 0; i < 4; ++i) {
            if (atEnd()) return false;
            const unsigned char h = peek();
            const bool hex = (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
                             (h >= 'A' && h <= 'F');
            if (!hex) return false;
            ++pos_;
          }
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
            e != 't') {
          return false;
        }
        ++pos_;
        continue;
      }
      if (c >= 0x80) {
        if (!utf8()) return false;
        continue;
      }
      ++pos_;
    }
    return false;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::size_t> locateJsonError(std::string_view text) { return Locator(text).run(); }

}  // namespace trimtab::model::internal
