#include "model/runtime_class.h"

#include <array>
#include <string>
#include <utility>

namespace trimtab::model {

namespace {

constexpr std::array<std::string_view, 7> kWasmRuntimes = {"wasmtime", "wasmedge", "wasmer", "spin",
                                                           "slight",   "lunatic",  "wws"};

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool allDigits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// `word` (lowercase) is `name`, optionally followed by a version: digits or 'v' and digits.
bool wordIs(std::string_view word, std::string_view name) {
  if (!word.starts_with(name)) return false;
  std::string_view rest = word.substr(name.size());
  if (rest.empty()) return true;
  if (rest.front() == 'v') rest.remove_prefix(1);
  return !rest.empty() && allDigits(rest);
}

// Calls fn(word) for each lowercase run of letters and digits; stops when fn returns true.
template <typename F>
bool anyWord(std::string_view text, F&& fn) {
  std::string word;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && isAlnum(text[i])) {
      word += lower(text[i]);
      continue;
    }
    if (!word.empty() && fn(std::string_view(word))) return true;
    word.clear();
  }
  return false;
}

}  // namespace

bool isWasmRuntime(std::string_view runtime_class, std::string_view wasm_variant) {
  if (anyWord(runtime_class, [](std::string_view w) {
        for (std::string_view name : kWasmRuntimes)
          if (wordIs(w, name)) return true;
        return false;
      })) {
    return true;
  }
  if (wasm_variant != "compat" && wasm_variant != "compat-smart") return false;
  return anyWord(runtime_class, [](std::string_view w) { return wordIs(w, "crun"); });
}

bool isWasmRuntime(std::string_view runtime_class, const StringMap& annotations) {
  // Linear: annotation maps are small and callers' maps may come unsorted from outside input.
  std::string_view variant;
  for (const auto& [k, v] : annotations) {
    if (k == kWasmVariantAnnotation) {
      variant = v;
      break;
    }
    if (k == kWasmVariantAnnotationSanitized) variant = v;
  }
  return isWasmRuntime(runtime_class, variant);
}

bool isWasmPod(const Pod& pod) {
  return isWasmRuntime(pod.runtime_class_name, pod.meta.annotations);
}

}  // namespace trimtab::model
