// OpenMetrics parser and writer throughput on typical cAdvisor / kube-state-metrics lines.
// Usage: openmetrics_bench [series=20000] [samples_per_series=100]
// Prints a table; build with -DCMAKE_BUILD_TYPE=Release for meaningful numbers.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/clock.h"
#include "source/snapshot/openmetrics.h"

namespace {

using trimtab::source::Label;
using trimtab::source::OpenMetricsWriter;

class CountingSink final : public trimtab::source::SampleSink {
 public:
  void onSample(const trimtab::source::Sample& s) override {
    ++samples;
    labels += s.label_count;
    sum += s.value;
  }
  std::size_t samples = 0, labels = 0;
  double sum = 0;
};

double seconds(std::int64_t a, std::int64_t b) { return static_cast<double>(b - a) / 1e9; }

}  // namespace

int main(int argc, char** argv) {
  const int series = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int per_series = argc > 2 ? std::atoi(argv[2]) : 100;
  const auto& clock = trimtab::SystemClock::instance();

  std::vector<std::string> prefixes;
  prefixes.reserve(static_cast<std::size_t>(series));
  for (int i = 0; i < series; ++i) {
    std::string pod = "checkout-7d9f8b6c5-" + std::to_string(10000 + i);
    std::string node = "ip-10-0-" + std::to_string(i % 250) + "-17.ec2.internal";
    Label labels[] = {{"container", "web"},  {"cpu", "total"}, {"instance", node},
                      {"namespace", "shop"}, {"node", node},   {"pod", pod}};
    prefixes.push_back(OpenMetricsWriter::seriesText("container_cpu_usage_seconds_total", labels));
  }
  auto write_all = [&](OpenMetricsWriter& w) {
    w.family("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.");
    for (int i = 0; i < series; ++i) {
      double counter = 0;
      for (int k = 0; k < per_series; ++k) {
        counter += 0.0123 * (1 + (k % 7));
        w.sample(prefixes[static_cast<std::size_t>(i)], counter, 1714521600000LL + k * 60000LL);
      }
    }
    (void)w.finish();
  };

  // The writer is timed writing to /dev/null (its 64 KiB buffer is reused, as when writing a
  // file); the text for the parser is then written into memory, untimed.
  std::FILE* devnull = std::fopen("/dev/null", "w");
  if (devnull == nullptr) return 1;
  const std::int64_t w0 = clock.monotonicNanos();
  {
    OpenMetricsWriter w(devnull);
    write_all(w);
  }
  const std::int64_t w1 = clock.monotonicNanos();
  std::fclose(devnull);
  std::string text;
  {
    OpenMetricsWriter w(&text);
    write_all(w);
  }

  CountingSink sink;
  const int rounds = 3;
  double best = 1e30;
  for (int r = 0; r < rounds; ++r) {
    CountingSink s;
    const std::int64_t p0 = clock.monotonicNanos();
    auto st = trimtab::source::parseOpenMetrics(text, "bench.om", s);
    const std::int64_t p1 = clock.monotonicNanos();
    if (!st) {
      std::fprintf(stderr, "%s\n", st.error().message.c_str());
      return 1;
    }
    if (seconds(p0, p1) < best) best = seconds(p0, p1);
    sink = s;
  }

  const double n = static_cast<double>(sink.samples);
  const double mb = static_cast<double>(text.size()) / 1e6;
  const double wsec = seconds(w0, w1);
  std::printf("OpenMetrics, cAdvisor container_cpu_usage_seconds_total lines (6 labels, %.0f B/line)\n",
              static_cast<double>(text.size()) / n);
  std::printf("%-8s %12s %10s %10s %14s %10s\n", "step", "samples", "MB", "seconds", "samples/s", "MB/s");
  std::printf("%-8s %12.0f %10.1f %10.3f %14.0f %10.1f\n", "write", n, mb, wsec, n / wsec, mb / wsec);
  std::printf("%-8s %12.0f %10.1f %10.3f %14.0f %10.1f\n", "parse", n, mb, best, n / best, mb / best);
  return 0;
}
