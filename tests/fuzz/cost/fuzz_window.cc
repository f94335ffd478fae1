// libFuzzer: parseWindow (fixed now, several UTC offsets) and parseDuration must never crash,
// and a parsed window is never inverted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cost/window.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr trimtab::UnixSeconds kNow = 1710428966;  // 2024-03-14T15:09:26Z
  for (int offset : {0, 7200, -18000}) {
    auto w = trimtab::cost::parseWindow(text, kNow, offset);
    if (w && w->start > w->end) std::abort();
  }
  auto d = trimtab::cost::parseDuration(text);
  if (d && !(*d > 0)) std::abort();
  (void)trimtab::cost::parseUtcOffset(text);
  return 0;
}
