#include "pricing/catalog.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "pricing/detect.h"
#include "test_nodes.h"

namespace trimtab::pricing {
namespace {

using testing::kGiB;
using testing::NodeBuilder;

const InstanceType& find(std::optional<Provider> provider, std::string_view type,
                         std::string_view region, bool expect_fallback = false) {
  auto match = Catalog::builtin().lookup(provider, type, region);
  EXPECT_TRUE(match.has_value()) << type;
  if (!match) {
    static const InstanceType kEmpty{};
    return kEmpty;
  }
  EXPECT_EQ(match->region_fallback, expect_fallback) << type << " in " << region;
  return *match->row;
}

TEST(PricingCatalog, BuiltinHasEveryRowOfTheSourceTable) {
  const Catalog& catalog = Catalog::builtin();
  EXPECT_EQ(catalog.size(), 1938u);
  EXPECT_EQ(catalog.all().size(), 1938u);
  EXPECT_EQ(catalog.byProvider(Provider::kAws).size(), 1367u);
  EXPECT_EQ(catalog.byProvider(Provider::kGcp).size(), 516u);
  EXPECT_EQ(catalog.byProvider(Provider::kAzure).size(), 55u);
  for (const InstanceType* row : catalog.all()) {
    EXPECT_GT(row->ondemand_hourly, 0) << row->instance_type;
  }
  EXPECT_EQ(internal::builtinProvenance().instance_prices_sha256.substr(0, 16), "a5b3cd53210736e7");
  EXPECT_EQ(internal::builtinProvenance().gcp_unit_rates_sha256.substr(0, 16), "ebc9bf3b6960c6c2");
}

TEST(PricingCatalog, AwsM5Large) {
  const InstanceType& row = find(Provider::kAws, "m5.large", "us-east-1");
  EXPECT_EQ(row.vcpu, 2);
  EXPECT_EQ(row.memory_gib, 8);
  EXPECT_EQ(row.gpu, 0);
  EXPECT_DOUBLE_EQ(row.ondemand_hourly, 0.096);
  EXPECT_LT(row.spot_hourly, 0);
  EXPECT_EQ(row.alloc_cpu_milli, 1930);
  EXPECT_EQ(row.alloc_memory_mib, 6903);
  EXPECT_EQ(row.max_pods, 29);
  EXPECT_EQ(row.arch, "amd64");
}

TEST(PricingCatalog, AwsGpuTypes) {
  const InstanceType& g5 = find(Provider::kAws, "g5.xlarge", "us-east-1");
  EXPECT_EQ(g5.vcpu, 4);
  EXPECT_EQ(g5.gpu, 1);
  EXPECT_EQ(g5.gpu_model, "a10g");
  EXPECT_DOUBLE_EQ(g5.ondemand_hourly, 1.006);

  const InstanceType& p4d = find(std::nullopt, "p4d.24xlarge", "us-east-1");
  EXPECT_EQ(p4d.provider, Provider::kAws);
  EXPECT_EQ(p4d.vcpu, 96);
  EXPECT_EQ(p4d.gpu, 8);
  EXPECT_EQ(p4d.gpu_model, "a100");
  EXPECT_DOUBLE_EQ(p4d.ondemand_hourly, 21.957642);
}

TEST(PricingCatalog, GcpA2HighGpuHasSpotPrice) {
  const InstanceType& row = find(Provider::kGcp, "a2-highgpu-1g", "us-central1");
  EXPECT_EQ(row.gpu, 1);
  EXPECT_EQ(row.gpu_model, "nvidia-tesla-a100");
  EXPECT_DOUBLE_EQ(row.ondemand_hourly, 3.673385);
  EXPECT_DOUBLE_EQ(row.spot_hourly, 1.92802);
}

TEST(PricingCatalog, AzureNc6sV3PerRegionAndWithoutStandardPrefix) {
  EXPECT_DOUBLE_EQ(find(Provider::kAzure, "Standard_NC6s_v3", "eastus").ondemand_hourly, 3.06);
  EXPECT_DOUBLE_EQ(find(Provider::kAzure, "NC6s_v3", "southcentralus").ondemand_hourly, 3.366);
  EXPECT_DOUBLE_EQ(find(std::nullopt, "standard_nc6s_v3", "EastUS").ondemand_hourly, 3.06);
  const InstanceType& row = find(Provider::kAzure, "Standard_NC6s_v3", "westeurope", true);
  EXPECT_EQ(row.region, "eastus");
  EXPECT_EQ(row.gpu, 1);
  EXPECT_EQ(row.gpu_model, "V100");
}

TEST(PricingCatalog, RegionFallbackUsesTheProviderCatalogRegion) {
  const InstanceType& row = find(Provider::kAws, "m5.large", "eu-west-1", true);
  EXPECT_EQ(row.region, "us-east-1");
  const InstanceType& gcp = find(Provider::kGcp, "n1-standard-4", "", true);
  EXPECT_EQ(gcp.region, "us-central1");
}

TEST(PricingCatalog, UnknownTypeOrWrongProviderIsNotFound) {
  EXPECT_FALSE(Catalog::builtin().lookup(std::nullopt, "m99.huge", "us-east-1"));
  EXPECT_FALSE(Catalog::builtin().lookup(Provider::kGcp, "m5.large", "us-east-1"));
  EXPECT_FALSE(Catalog::builtin().lookup(std::nullopt, "", "us-east-1"));
}

TEST(PricingCatalog, GcpUnitRates) {
  const Catalog& c = Catalog::builtin();
  EXPECT_EQ(c.gcpUnitRate(GcpRateKind::kCpuPerVcpu, "n1"), 0.031611);
  EXPECT_EQ(c.gcpUnitRate(GcpRateKind::kMemoryPerGb, "n1"), 0.004237);
  EXPECT_EQ(c.gcpUnitRate(GcpRateKind::kGpuPerDevice, "nvidia-tesla-t4"), 0.35);
  EXPECT_EQ(c.gcpUnitRate(GcpRateKind::kGpuPerDevice, "nvidia-tesla-t4", true), 0.11);
  EXPECT_EQ(c.gcpUnitRate(GcpRateKind::kGpuPerDevice, "nvidia-tesla-v100"), 2.48);
  EXPECT_FALSE(c.gcpUnitRate(GcpRateKind::kCpuPerVcpu, "n1", true));  // no preemptible column
  EXPECT_EQ(c.gcpUnitRate(GcpRateKind::kInstance, "a2-highgpu-1g"), 3.673385);
  EXPECT_FALSE(c.gcpUnitRate(GcpRateKind::kCpuPerVcpu, "zz9"));
}

TEST(PricingCatalog, ProviderNames) {
  EXPECT_EQ(providerName(Provider::kAws), "aws");
  EXPECT_EQ(parseProvider("GKE"), Provider::kGcp);
  EXPECT_EQ(parseProvider("azure"), Provider::kAzure);
  EXPECT_FALSE(parseProvider("oracle"));
}

// The committed catalog_data.cc must equal what the generator makes from ../shared today.
TEST(PricingCatalog, GeneratedFileIsUpToDate) {
  namespace fs = std::filesystem;
  fs::path shared = TRIMTAB_SHARED_DIR;
  if (!fs::exists(shared / "data" / "pricing" / "instance_prices.csv")) {
    GTEST_SKIP() << "shared data not found at " << shared << "; cannot regenerate the catalog";
  }
  if (std::system("python3 --version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 not available; cannot run scripts/gen_pricing_catalog";
  }
  fs::path source = TRIMTAB_SOURCE_DIR;
  fs::path out = fs::temp_directory_path() /
                 ("trimtab_catalog_data_" + std::to_string(::getpid()) + ".cc");
  std::string command = "python3 '" + (source / "scripts" / "gen_pricing_catalog").string() +
                        "' --shared '" + shared.string() + "' --out '" + out.string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  std::string fresh = slurp(out);
  std::string committed = slurp(source / "src" / "pricing" / "catalog_data.cc");
  fs::remove(out);
  ASSERT_FALSE(fresh.empty());
  EXPECT_TRUE(fresh == committed)
      << "src/pricing/catalog_data.cc is stale; run scripts/gen_pricing_catalog";
}

// --- detection ---

TEST(PricingDetect, ProviderFromProviderId) {
  EXPECT_EQ(detectProvider(NodeBuilder("a").providerId("aws:///us-east-1a/i-0abc").build()),
            Provider::kAws);
  EXPECT_EQ(detectProvider(NodeBuilder("g").providerId("gce://proj/us-central1-a/gke-x").build()),
            Provider::kGcp);
  EXPECT_EQ(detectProvider(NodeBuilder("z").providerId("azure:///subscriptions/x").build()),
            Provider::kAzure);
  EXPECT_EQ(detectProvider(NodeBuilder("k").providerId("kind://docker/kind/kind").build()),
            Provider::kUnknown);
}

TEST(PricingDetect, ProviderFromLabels) {
  EXPECT_EQ(detectProvider(NodeBuilder("a").label("eks.amazonaws.com/nodegroup", "ng").build()),
            Provider::kAws);
  EXPECT_EQ(detectProvider(NodeBuilder("g").label("cloud.google.com/gke-nodepool", "p").build()),
            Provider::kGcp);
  EXPECT_EQ(detectProvider(NodeBuilder("z").label("kubernetes.azure.com/agentpool", "p").build()),
            Provider::kAzure);
}

TEST(PricingDetect, ProviderFromInstanceTypeShape) {
  EXPECT_EQ(detectProvider(NodeBuilder("a").instanceType("m5.large").build()), Provider::kAws);
  EXPECT_EQ(detectProvider(NodeBuilder("a").instanceType("c7gn.metal").build()), Provider::kAws);
  EXPECT_EQ(detectProvider(NodeBuilder("g").instanceType("n1-standard-4").build()), Provider::kGcp);
  EXPECT_EQ(detectProvider(NodeBuilder("g").instanceType("e2-medium").build()), Provider::kGcp);
  EXPECT_EQ(detectProvider(NodeBuilder("z").instanceType("Standard_D2s_v3").build()),
            Provider::kAzure);
  EXPECT_EQ(detectProvider(NodeBuilder("x").instanceType("bare-metal").build()), Provider::kUnknown);
  EXPECT_EQ(detectProvider(NodeBuilder("x").build()), Provider::kUnknown);
}

TEST(PricingDetect, SpotLabelsPerProvider) {
  auto spot = [](std::string key, std::string value) {
    return isSpotNode(NodeBuilder("n").label(std::move(key), std::move(value)).build());
  };
  EXPECT_TRUE(spot("karpenter.sh/capacity-type", "spot"));
  EXPECT_FALSE(spot("karpenter.sh/capacity-type", "on-demand"));
  EXPECT_TRUE(spot("eks.amazonaws.com/capacityType", "SPOT"));
  EXPECT_FALSE(spot("eks.amazonaws.com/capacityType", "ON_DEMAND"));
  EXPECT_TRUE(spot("cloud.google.com/gke-spot", "true"));
  EXPECT_TRUE(spot("cloud.google.com/gke-preemptible", "true"));
  EXPECT_FALSE(spot("cloud.google.com/gke-preemptible", "false"));
  EXPECT_TRUE(spot("kubernetes.azure.com/scalesetpriority", "spot"));
  EXPECT_FALSE(spot("kubernetes.azure.com/scalesetpriority", "regular"));
  EXPECT_FALSE(isSpotNode(NodeBuilder("n").build()));
}

TEST(PricingDetect, ConfiguredSpotLabel) {
  model::Node node = NodeBuilder("n").label("example.com/pool", "Cheap").build();
  EXPECT_FALSE(isSpotNode(node));
  EXPECT_TRUE(isSpotNode(node, SpotLabel{"example.com/pool", "cheap"}));
  EXPECT_FALSE(isSpotNode(node, SpotLabel{"example.com/pool", "dear"}));
  EXPECT_TRUE(isSpotNode(node, SpotLabel{"example.com/pool", ""}));
}

TEST(PricingDetect, GpuModelFromLabels) {
  EXPECT_EQ(nodeGpuModel(NodeBuilder("n").label("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB")
                             .build()),
            "NVIDIA-A100-SXM4-40GB");
  EXPECT_EQ(nodeGpuModel(NodeBuilder("n").label("cloud.google.com/gke-accelerator",
                                                "nvidia-tesla-t4").build()),
            "nvidia-tesla-t4");
  EXPECT_EQ(nodeGpuModel(NodeBuilder("n").capacity(1000, kGiB).build()), "");
}

}  // namespace
}  // namespace trimtab::pricing
