// OOM kills from kube-state-metrics: a rise of kube_pod_container_status_restarts_total while
// kube_pod_container_status_last_terminated_reason says OOMKilled is stored as OOM kills in the
// hour of the rise; a restart for another reason is not.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <string>

#include "ingest/folder.h"
#include "pricing/catalog.h"
#include "pricing/pricer.h"
#include "source/snapshot/openmetrics.h"
#include "store/dimensions.h"

namespace trimtab::ingest {
namespace {

constexpr std::int64_t kT0 = 1767225600;  // 2026-01-01T00:00:00Z, an hour boundary

// Two containers scraped every 5 minutes for three hours. "leaky" restarts at 01:10 and twice
// (one scrape) at 02:20, each time OOMKilled; "crashy" restarts at 01:30 for another reason.
std::string metrics() {
  std::string om = "# TYPE kube_pod_container_status_running gauge\n";
  auto each = [&](auto&& fn) {
    for (std::int64_t t = kT0; t < kT0 + 3 * 3600; t += 300) fn(t);
  };
  for (const char* c : {"leaky", "crashy"}) {
    each([&](std::int64_t t) {
      om += fmt::format(
          "kube_pod_container_status_running{{namespace=\"a\",pod=\"p\",container=\"{}\"}} 1 {}\n",
          c, t);
    });
  }
  om += "# TYPE kube_pod_info gauge\n";
  om += fmt::format("kube_pod_info{{namespace=\"a\",pod=\"p\",uid=\"u\",node=\"n1\"}} 1 {}\n", kT0);
  om += "# TYPE kube_pod_container_status_restarts counter\n";
  each([&](std::int64_t t) {
    const int leaky = (t >= kT0 + 4200) + 2 * (t >= kT0 + 8400);
    const int crashy = t >= kT0 + 5400;
    om += fmt::format(
        "kube_pod_container_status_restarts_total{{namespace=\"a\",pod=\"p\",container=\"leaky\"}} "
        "{} {}\n",
        leaky, t);
    om += fmt::format(
        "kube_pod_container_status_restarts_total{{namespace=\"a\",pod=\"p\",container=\"crashy\"}} "
        "{} {}\n",
        crashy, t);
  });
  om += "# TYPE kube_pod_container_status_last_terminated_reason gauge\n";
  each([&](std::int64_t t) {
    if (t >= kT0 + 4200) {
      om += fmt::format(
          "kube_pod_container_status_last_terminated_reason{{namespace=\"a\",pod=\"p\","
          "container=\"leaky\",reason=\"OOMKilled\"}} 1 {}\n",
          t);
    }
    if (t >= kT0 + 5400) {
      om += fmt::format(
          "kube_pod_container_status_last_terminated_reason{{namespace=\"a\",pod=\"p\","
          "container=\"crashy\",reason=\"Error\"}} 1 {}\n",
          t);
    }
  });
  om += "# EOF\n";
  return om;
}

TEST(OomKills, RestartsWhileOomKilledAreCountedInTheirHour) {
  const pricing::Pricer pricer(pricing::Catalog::builtin(), std::nullopt);
  Folder folder("c", nullptr, pricer);
  const std::string om = metrics();
  ASSERT_TRUE(source::parseOpenMetrics(om, "m.om", folder.inventorySink()));
  folder.finishInventory();
  ASSERT_TRUE(source::parseOpenMetrics(om, "m.om", folder.usageSink()));
  store::Dimensions dims;
  const auto blocks = folder.buildBlocks(dims);
  std::map<std::string, std::map<std::int64_t, double>> kills;  // container -> hour -> kills
  for (const auto& b : blocks) {
    if (b.start < kT0) continue;  // the first sample's running interval reaches back a little
    for (std::size_t i = 0; i < b.containers.size(); ++i) {
      const store::ContainerDim& d = dims.container(b.containers.container_id[i]);
      kills[std::string(dims.str(d.container))][(b.start - kT0) / 3600] +=
          b.containers.oom_kills[i];
    }
  }
  EXPECT_EQ(kills["leaky"], (std::map<std::int64_t, double>{{0, 0}, {1, 1}, {2, 2}}));
  EXPECT_EQ(kills["crashy"], (std::map<std::int64_t, double>{{0, 0}, {1, 0}, {2, 0}}))
      << "a restart for another reason is not an OOM kill";
}

}  // namespace
}  // namespace trimtab::ingest
