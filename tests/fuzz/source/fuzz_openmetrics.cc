// libFuzzer target for the OpenMetrics parser. Every input must parse or fail cleanly; what
// parses must survive a writer -> parser round trip unchanged.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "source/snapshot/openmetrics.h"

namespace {

using trimtab::source::Label;
using trimtab::source::Sample;

struct Owned {
  std::string metric;
  std::vector<std::pair<std::string, std::string>> labels;
  double value;
  std::int64_t timestamp_ms;
};

class Collect : public trimtab::source::SampleSink {
 public:
  void onSample(const Sample& s) override {
    if (!s.has_timestamp) return;
    Owned o{std::string(s.metric), {}, s.value, s.timestamp_ms};
    for (std::size_t i = 0; i < s.label_count; ++i) {
      o.labels.emplace_back(std::string(s.labels[i].name), std::string(s.labels[i].value));
    }
    samples.push_back(std::move(o));
  }
  std::vector<Owned> samples;
};

bool sameValue(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Collect first;
  if (!trimtab::source::parseOpenMetrics(text, "fuzz.om", first)) return 0;

  std::string out;
  {
    trimtab::source::OpenMetricsWriter w(&out);
    for (const Owned& o : first.samples) {
      std::vector<Label> labels;
      for (const auto& [n, v] : o.labels) labels.push_back({n, v});
      w.sample(o.metric, labels, o.value, o.timestamp_ms);
    }
    if (!w.finish()) std::abort();
  }
  Collect second;
  if (!trimtab::source::parseOpenMetrics(out, "roundtrip.om", second)) std::abort();
  if (second.samples.size() != first.samples.size()) std::abort();
  for (std::size_t i = 0; i < first.samples.size(); ++i) {
    const Owned& a = first.samples[i];
    const Owned& b = second.samples[i];
    if (a.metric != b.metric || a.labels != b.labels || !sameValue(a.value, b.value) ||
        a.timestamp_ms != b.timestamp_ms) {
      std::abort();
    }
  }
  return 0;
}
