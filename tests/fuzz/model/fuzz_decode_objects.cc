// Fuzzes the Kubernetes JSON decoder: any input must give objects or an error, never a crash.
// Successful results are also run through the inventory indexes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/decode.h"
#include "model/inventory.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto result = trimtab::model::decodeObjects(json, "fuzz.json");
  if (!result) return 0;
  auto inventory = trimtab::model::Inventory::build(std::move(result->objects));
  for (const auto& pod : inventory.objects().pods) {
    (void)inventory.controllerOf(pod);
    (void)inventory.servicesOf(pod);
    (void)pod.effectiveRequests();
  }
  return 0;
}
