// Fuzzes the kubeconfig parser and context resolution. Must never crash (yaml-cpp exceptions
// become errors).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kube/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = trimtab::kube::Kubeconfig::parse(text, "fuzz.yaml", "/nonexistent");
  if (!config) return 0;
  (void)trimtab::kube::restConfigFromKubeconfig(*config, "");
  for (const auto& c : config->contexts)
    (void)trimtab::kube::restConfigFromKubeconfig(*config, c.name);
  (void)trimtab::kube::decodeBase64(text);
  return 0;
}
