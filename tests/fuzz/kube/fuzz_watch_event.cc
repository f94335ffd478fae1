// Fuzzes the watch stream: bytes are split into chunks at data-driven points and fed to
// WatchStreamDecoder (which calls decodeWatchEvent per line). Must never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kube/stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using namespace trimtab::kube;
  Kind kind = kKinds[data[0] % kKindCount].kind;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t events = 0;
  WatchStreamDecoder decoder(kind, "fuzz", [&](WatchEvent&& e) -> trimtab::Status {
    events += e.object.size() + 1;
    return {};
  });
  std::size_t chunk = 1 + (data[0] >> 4);
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    if (!decoder.feed(input.substr(i, chunk))) return 0;
  }
  (void)decoder.finish();
  // Whole input as one event as well.
  (void)decodeWatchEvent(input, kind, "fuzz");
  return 0;
}
