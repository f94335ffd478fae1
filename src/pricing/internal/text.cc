#include "pricing/internal/text.h"

#include <cstddef>

namespace trimtab::pricing::internal {
namespace {

char lowerChar(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string firstLabel(const model::Node& node, std::string_view key, std::string_view beta) {
  if (const std::string* v = labelValue(node.meta.labels, key); v != nullptr && !v->empty()) {
    return *v;
  }
  if (const std::string* v = labelValue(node.meta.labels, beta); v != nullptr) return *v;
  return {};
}

}  // namespace

std::string toLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lowerChar(c);
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lowerChar(a[i]) != lowerChar(b[i])) return false;
  }
  return true;
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool globMatch(std::string_view pattern, std::string_view text) {
  // Classic two-pointer wildcard match: on mismatch, retry from the last '*' one character
  // further. O(|pattern|·|text|) worst case, no recursion.
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || (pattern[p] != '*' && lowerChar(pattern[p]) == lowerChar(text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

const std::string* labelValue(const model::StringMap& labels, std::string_view key) {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string nodeInstanceType(const model::Node& node) {
  return firstLabel(node, "node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type");
}

std::string nodeRegion(const model::Node& node) {
  return firstLabel(node, "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region");
}

}  // namespace trimtab::pricing::internal
