// The wasm module reader and the ABI v1 check on arbitrary bytes: errors, never crashes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "plugin/abi.h"
#include "plugin/wasm_module.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace trimtab::plugin;
  auto info = parseWasmModule(std::span<const std::uint8_t>(data, size));
  if (info) {
    auto report = checkAbiV1(*info, Limits{});
    for (const auto& e : info->exports) {
      if (const FuncType* t = info->exportedFunctionType(e.name)) (void)formatFuncType(*t);
    }
    (void)report;
  }
  return 0;
}
