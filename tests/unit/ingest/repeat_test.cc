// A sample delivered twice (a remote-write batch sent again after its acknowledgement was lost
// in a crash) is folded once: memory, CPU, GPU and running time are not counted twice.
#include <gtest/gtest.h>

#include <string>

#include "ingest/folder.h"
#include "pricing/catalog.h"
#include "pricing/pricer.h"
#include "source/snapshot/openmetrics.h"
#include "store/dimensions.h"

namespace trimtab::ingest {
namespace {

// One container running 10:00-11:00 scraped every 60 s, with requests, CPU, memory and GPU use.
std::string metrics(bool repeat) {
  std::string kube = "# TYPE kube_pod_container_status_running gauge\n";
  std::string req = "# TYPE kube_pod_container_resource_requests gauge\n";
  std::string cpu = "# TYPE container_cpu_usage_seconds_total counter\n";
  std::string mem = "# TYPE container_memory_working_set_bytes gauge\n";
  std::string gpu = "# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n";
  const std::string id = R"(namespace="ns",pod="p",container="c")";
  for (int i = 0; i <= 60; ++i) {
    const long t = 1767225600 + i * 60;
    const int times = repeat && i % 7 == 3 ? 2 : 1;  // every 7th scrape delivered twice
    for (int k = 0; k < times; ++k) {
      kube += "kube_pod_container_status_running{" + id + "} 1 " + std::to_string(t) + "\n";
      req += "kube_pod_container_resource_requests{" + id + R"(,node="n",resource="memory",unit="byte"} 1000 )" +
             std::to_string(t) + "\n";
      cpu += "container_cpu_usage_seconds_total{" + id + "} " + std::to_string(i * 30.0) + " " + std::to_string(t) + "\n";
      mem += "container_memory_working_set_bytes{" + id + "} " + std::to_string(5000 + i) + " " + std::to_string(t) + "\n";
      gpu += "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"G\"," + id + "} 50 " + std::to_string(t) + "\n";
    }
  }
  return kube + req + cpu + mem + gpu + "# EOF\n";
}

store::ContainerRows fold(bool repeat) {
  const pricing::Pricer pricer(pricing::Catalog::builtin(), std::nullopt);
  Folder folder("c", nullptr, pricer);
  const std::string text = metrics(repeat);
  EXPECT_TRUE(source::parseOpenMetrics(text, "m.om", folder.inventorySink()));
  folder.finishInventory();
  EXPECT_TRUE(source::parseOpenMetrics(text, "m.om", folder.usageSink()));
  store::Dimensions dims;
  auto blocks = folder.buildBlocks(dims);
  store::ContainerRows all;
  for (auto& b : blocks) {
    for (std::size_t i = 0; i < b.containers.size(); ++i) {
      all.ram_byte_hours.push_back(b.containers.ram_byte_hours[i]);
      all.ram_usage_byte_hours.push_back(b.containers.ram_usage_byte_hours[i]);
      all.cpu_core_hours.push_back(b.containers.cpu_core_hours[i]);
      all.cpu_usage_core_hours.push_back(b.containers.cpu_usage_core_hours[i]);
      all.gpu_usage_hours.push_back(b.containers.gpu_usage_hours[i]);
    }
  }
  return all;
}

TEST(FolderRepeats, RepeatedSamplesAreFoldedOnce) {
  const store::ContainerRows once = fold(false), twice = fold(true);
  ASSERT_EQ(once.ram_byte_hours.size(), twice.ram_byte_hours.size());
  ASSERT_FALSE(once.ram_byte_hours.empty());
  double ram = 0;
  for (std::size_t i = 0; i < once.ram_byte_hours.size(); ++i) {
    EXPECT_DOUBLE_EQ(twice.ram_byte_hours[i], once.ram_byte_hours[i]) << i;
    EXPECT_DOUBLE_EQ(twice.ram_usage_byte_hours[i], once.ram_usage_byte_hours[i]) << i;
    EXPECT_DOUBLE_EQ(twice.cpu_core_hours[i], once.cpu_core_hours[i]) << i;
    EXPECT_DOUBLE_EQ(twice.cpu_usage_core_hours[i], once.cpu_usage_core_hours[i]) << i;
    EXPECT_DOUBLE_EQ(twice.gpu_usage_hours[i], once.gpu_usage_hours[i]) << i;
    ram += once.ram_usage_byte_hours[i];
  }
  EXPECT_GT(ram, 0);
}

}  // namespace
}  // namespace trimtab::ingest
