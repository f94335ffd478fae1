// Fuzzes the remote-write decoder: raw protobuf bytes (the common case after snappy) and, when
// the first byte is odd, the same bytes as a snappy body. Any input must give a result or an
// error: no crash, no read out of bounds, no unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "remote/write_request.h"

namespace {
class CountingSink final : public trimtab::source::SampleSink {
 public:
  void onSample(const trimtab::source::Sample& s) override {
    n += s.label_count + s.metric.size();
    for (std::size_t i = 0; i < s.label_count; ++i) n += s.labels[i].name.size() + s.labels[i].value.size();
  }
  std::size_t n = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CountingSink sink;
  (void)trimtab::remote::decodeWriteRequest(bytes, &sink);
  if (size > 0 && (data[0] & 1) != 0) {
    auto raw = trimtab::remote::snappyUncompress(bytes.substr(1), 1u << 20);
    if (raw) (void)trimtab::remote::decodeWriteRequest(*raw, &sink);
  }
  return 0;
}
