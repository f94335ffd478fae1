// Fuzzes the incremental list splitter (ListStreamDecoder) with data-driven chunking.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kube/stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using namespace trimtab::kube;
  Kind kind = kKinds[data[0] % kKindCount].kind;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t objects = 0;
  ListStreamDecoder decoder(
      kind, "fuzz",
      [&](trimtab::model::DecodeResult&& r) -> trimtab::Status {
        objects += r.objects.size();
        return {};
      },
      /*batch_bytes=*/1 + (data[0] >> 3) * 16);
  std::size_t chunk = 1 + (data[0] >> 4);
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    if (!decoder.feed(input.substr(i, chunk))) return 0;
  }
  (void)decoder.finish();
  return 0;
}
