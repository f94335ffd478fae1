// libFuzzer target: parseCustomPricing must never crash, hang or throw on any input, and a
// successful parse must price a node to finite, non-negative numbers.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "pricing/custom.h"
#include "pricing/pricer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = trimtab::pricing::parseCustomPricing(text, "fuzz.yaml");
  if (!result) {
    if (result.error().message.rfind("fuzz.yaml", 0) != 0) std::abort();  // must name the file
    return 0;
  }
  trimtab::pricing::Pricer pricer(trimtab::pricing::Catalog::builtin(), std::move(*result));
  trimtab::model::Node node;
  node.meta.name = "lab-1";
  node.meta.labels = {{"karpenter.sh/capacity-type", "spot"},
                      {"node.kubernetes.io/instance-type", "m5.large"},
                      {"pool", "gpu-a"}};
  node.capacity.cpu_millicores = 2000;
  node.capacity.memory_bytes = std::int64_t{8} << 30;
  node.capacity.gpus = 1;
  auto price = pricer.priceNode(node);
  for (double v : {price.cpu_per_core_hour, price.ram_per_gib_hour, price.gpu_per_gpu_hour,
                   price.total_per_hour, pricer.storagePerGiBHour("gp3"),
                   pricer.loadBalancerPerHour()}) {
    if (!std::isfinite(v) || v < 0) std::abort();
  }
  return 0;
}
