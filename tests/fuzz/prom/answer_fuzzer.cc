// Fuzzes the PromQL answer decoder and the label-matcher parser: any bytes give a value or a
// clear error, never a crash or a read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "prom/query.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  std::size_t points = 0;
  (void)trimtab::prom::decodeAnswer(body, "fuzz",
                                    [&](const trimtab::prom::Series& s) { points += s.point_count; }, nullptr);
  (void)trimtab::prom::parseMatchers(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
