// Fuzzes the openb CSV readers: node list first, then the input as a pod list against the
// models the node list defined. Must never crash, hang or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plan/openb.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cluster = trimtab::plan::parseOpenbNodes(text, "fuzz-nodes.csv");
  trimtab::plan::GpuModels models;
  (void)models.intern("T4");
  (void)models.intern("P100");
  (void)trimtab::plan::parseOpenbPods(text, "fuzz-pods.csv",
                                      cluster ? cluster->gpu_models : models);
  return 0;
}
