// Fuzzes the HTTP API's query-string and parameter parsers: any bytes must give a value or an
// error, never a crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/params.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  auto params = trimtab::server::Params::parse(query);
  if (!params) return 0;
  constexpr trimtab::UnixSeconds kNow = 1767225600;
  (void)trimtab::server::parseAllocationParams(*params, kNow, {});
  (void)trimtab::server::parseAssetParams(*params, kNow, {});
  (void)params->boolean("includeIdle", false);
  (void)params->integer("limit", 0, 0, 1000);
  return 0;
}
