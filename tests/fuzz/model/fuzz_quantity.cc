// Fuzzes the quantity parser: no crash, no UB, and the fast path agrees with the exact slow path;
// formatted values parse back to themselves.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/quantity.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (int extra : {0, 3}) {
    auto fast = extra == 3 ? trimtab::model::parseQuantityMilli(text)
                           : trimtab::model::parseQuantity(text);
    auto slow = trimtab::model::internal::parseQuantitySlow(text, extra);
    if (fast.has_value() != slow.has_value()) std::abort();
    if (fast.has_value() && *fast != *slow) std::abort();
    if (!fast.has_value() && fast.error().message != slow.error().message) std::abort();
    if (fast.has_value()) {
      if (extra == 0) {
        auto back = trimtab::model::parseQuantity(trimtab::model::formatBytes(*fast));
        if (!back || *back != *fast) std::abort();
      } else {
        auto back =
            trimtab::model::parseQuantityMilli(trimtab::model::formatCpuMillicores(*fast));
        if (!back || *back != *fast) std::abort();
      }
    }
  }
  return 0;
}
