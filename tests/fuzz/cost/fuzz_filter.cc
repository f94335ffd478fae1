// libFuzzer: parseAllocationFilter / parseAssetFilter must never crash; a parsed filter's
// canonical text must parse again to the same canonical text, and evaluation must not crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cost/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = trimtab::cost::parseAllocationFilter(text);
  if (f) {
    std::string canon = f->toString();
    auto g = trimtab::cost::parseAllocationFilter(canon);
    if (!g || g->toString() != canon) std::abort();
    trimtab::cost::AllocationProperties p;
    p.namespace_name = "kubecost";
    p.labels = {{"app", "x"}};
    p.services = {"svc"};
    if (f->matches(p) != g->matches(p)) std::abort();
    if (f->matches(p) == trimtab::cost::Filter::negate(*f).matches(p)) std::abort();
  }
  (void)trimtab::cost::parseAssetFilter(text);
  return 0;
}
