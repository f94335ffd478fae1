#include "pricing/pricer.h"

#include <string>

#include <gtest/gtest.h>

#include "pricing/defaults.h"
#include "pricing/split.h"
#include "test_nodes.h"

namespace trimtab::pricing {
namespace {

using testing::kGiB;
using testing::NodeBuilder;

CustomPricing parse(std::string_view yaml) {
  auto result = parseCustomPricing(yaml, "pricing.yaml");
  EXPECT_TRUE(result) << result.error().message;
  return result ? *result : CustomPricing{};
}

model::Node m5Large() {
  return NodeBuilder("ip-10-0-0-1")
      .providerId("aws:///us-east-1a/i-0123")
      .instanceType("m5.large")
      .region("us-east-1")
      .capacity(2000, 8 * kGiB)
      .build();
}

// --- split formulas ---

TEST(PricingSplit, OpenCostWorkedExampleM5Large) {
  ResourceRates r = splitOpenCost(0.096, {2, 8, 0}, kDefaultCpuPerCoreHour / kDefaultRamPerGiBHour,
                                  kDefaultGpuPerGpuHour / kDefaultRamPerGiBHour, std::nullopt);
  EXPECT_NEAR(r.ram_per_gib_hour, 0.004188, 5e-7);
  EXPECT_NEAR(r.cpu_per_core_hour, 0.031247, 5e-7);
  EXPECT_EQ(r.gpu_per_gpu_hour, 0);
  EXPECT_NEAR(r.totalPerHour({2, 8, 0}), 0.096, 1e-12);
}

TEST(PricingSplit, OpenCostWithGpus) {
  double c2r = kDefaultCpuPerCoreHour / kDefaultRamPerGiBHour;
  double g2r = kDefaultGpuPerGpuHour / kDefaultRamPerGiBHour;
  NodeShape g5{4, 16, 1};
  ResourceRates r = splitOpenCost(1.006, g5, c2r, g2r, std::nullopt);
  EXPECT_NEAR(r.totalPerHour(g5), 1.006, 1e-12);
  EXPECT_NEAR(r.gpu_per_gpu_hour / r.ram_per_gib_hour, g2r, 1e-9);
  // Known GPU price is subtracted first.
  ResourceRates known = splitOpenCost(1.0, g5, c2r, g2r, 0.35);
  EXPECT_DOUBLE_EQ(known.gpu_per_gpu_hour, 0.35);
  EXPECT_NEAR(known.totalPerHour(g5), 1.0, 1e-12);
  // A GPU price above the node total: the GPUs take everything.
  ResourceRates over = splitOpenCost(0.2, g5, c2r, g2r, 0.35);
  EXPECT_DOUBLE_EQ(over.gpu_per_gpu_hour, 0.2);
  EXPECT_EQ(over.cpu_per_core_hour, 0);
  // A node without a size cannot be split.
  ResourceRates none = splitOpenCost(1.0, {0, 0, 0}, c2r, g2r, std::nullopt);
  EXPECT_EQ(none.totalPerHour({0, 0, 0}), 0);
}

TEST(PricingSplit, Aws9To1WorkedExampleM5Xlarge) {
  ResourceRates r = splitAws9To1(1.0, {4, 16, 0});
  EXPECT_NEAR(r.cpu_per_core_hour, 0.1731, 5e-5);
  EXPECT_NEAR(r.ram_per_gib_hour, 0.0192, 5e-5);
  EXPECT_NEAR(r.cpu_per_core_hour, 9 * r.ram_per_gib_hour, 1e-12);
  EXPECT_NEAR(r.totalPerHour({4, 16, 0}), 1.0, 1e-12);
}

TEST(PricingSplit, Aws9To1GpusTakeNinetyPercent) {
  NodeShape p4d{96, 1152, 8};
  ResourceRates r = splitAws9To1(21.957642, p4d);
  EXPECT_NEAR(r.gpu_per_gpu_hour * 8, 0.9 * 21.957642, 1e-9);
  EXPECT_NEAR(r.totalPerHour(p4d), 21.957642, 1e-9);
}

TEST(PricingSplit, AppendixANormalisation) {
  auto r = normalizeToTotal(35, {1, 1, 1}, {30, 10, 30});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->gpu_per_gpu_hour, 15);
  EXPECT_DOUBLE_EQ(r->cpu_per_core_hour, 15);
  EXPECT_DOUBLE_EQ(r->ram_per_gib_hour, 5);
  EXPECT_FALSE(normalizeToTotal(35, {0, 0, 0}, {30, 10, 30}));
}

// --- catalog pricing ---

TEST(PricingPricer, CatalogM5LargeOpenCostSplit) {
  Pricer pricer(Catalog::builtin(), std::nullopt);
  NodePrice p = pricer.priceNode(m5Large());
  EXPECT_EQ(p.source, "catalog:aws:m5.large:us-east-1:on-demand");
  EXPECT_EQ(p.provider, "aws");
  EXPECT_EQ(p.instance_type, "m5.large");
  EXPECT_EQ(p.region, "us-east-1");
  EXPECT_FALSE(p.spot);
  EXPECT_NEAR(p.ram_per_gib_hour, 0.004188, 5e-7);
  EXPECT_NEAR(p.cpu_per_core_hour, 0.031247, 5e-7);
  EXPECT_DOUBLE_EQ(p.total_per_hour, 0.096);
}

TEST(PricingPricer, CatalogAws9To1Policy) {
  Pricer pricer(Catalog::builtin(), parse("split: aws-9to1\n"));
  model::Node node = NodeBuilder("n")
                         .instanceType("m5.xlarge")
                         .region("us-east-1")
                         .capacity(4000, 16 * kGiB)
                         .build();
  NodePrice p = pricer.priceNode(node);
  EXPECT_EQ(p.source, "catalog:aws:m5.xlarge:us-east-1:on-demand");
  EXPECT_NEAR(p.cpu_per_core_hour, 0.192 * 9 / 52, 1e-12);
  EXPECT_NEAR(p.ram_per_gib_hour, 0.192 / 52, 1e-12);
}

TEST(PricingPricer, RuleTotalWithAws9To1MatchesAwsExample) {
  Pricer pricer(Catalog::builtin(), parse(R"(
rules:
  - match: {instanceType: "m5.xlarge"}
    nodePerHour: 1
    split: aws-9to1
)"));
  NodePrice p = pricer.priceNode(
      NodeBuilder("n").instanceType("m5.xlarge").capacity(4000, 16 * kGiB).build());
  EXPECT_EQ(p.source, "custom:rules[0]");
  EXPECT_NEAR(p.cpu_per_core_hour, 0.1731, 5e-5);
  EXPECT_NEAR(p.ram_per_gib_hour, 0.0192, 5e-5);
  EXPECT_DOUBLE_EQ(p.total_per_hour, 1.0);
}

TEST(PricingPricer, RegionFallbackIsReported) {
  Pricer pricer(Catalog::builtin(), std::nullopt);
  model::Node node = NodeBuilder("n").instanceType("m5.large").region("eu-west-1")
                         .capacity(2000, 8 * kGiB).build();
  NodePrice p = pricer.priceNode(node);
  EXPECT_EQ(p.source, "catalog:aws:m5.large:us-east-1:on-demand:region-fallback-from=eu-west-1");
  EXPECT_EQ(p.region, "eu-west-1");
  EXPECT_DOUBLE_EQ(p.total_per_hour, 0.096);
}

TEST(PricingPricer, AzureRegionalPrice) {
  Pricer pricer(Catalog::builtin(), std::nullopt);
  model::Node node = NodeBuilder("aks-gpu-0")
                         .providerId("azure:///subscriptions/s/resourceGroups/r")
                         .instanceType("Standard_NC6s_v3")
                         .region("southcentralus")
                         .capacity(6000, 112 * kGiB, 1)
                         .build();
  NodePrice p = pricer.priceNode(node);
  EXPECT_EQ(p.source, "catalog:azure:Standard_NC6s_v3:southcentralus:on-demand");
  EXPECT_DOUBLE_EQ(p.total_per_hour, 3.366);
  EXPECT_GT(p.gpu_per_gpu_hour, 0);
}

TEST(PricingPricer, GcpSpotUsesCatalogSpotPrice) {
  Pricer pricer(Catalog::builtin(), std::nullopt);
  model::Node node = NodeBuilder("gke-a2")
                         .providerId("gce://proj/us-central1-a/gke-a2")
                         .label("cloud.google.com/gke-spot", "true")
                         .instanceType("a2-highgpu-1g")
                         .region("us-central1")
                         .capacity(12000, 85 * kGiB, 1)
                         .build();
  NodePrice p = pricer.priceNode(node);
  EXPECT_TRUE(p.spot);
  EXPECT_EQ(p.source, "catalog:gcp:a2-highgpu-1g:us-central1:spot");
  EXPECT_DOUBLE_EQ(p.total_per_hour, 1.92802);
  // The price includes the A100: the GPU gets its OpenCost share, not an extra unit price.
  EXPECT_NEAR(p.cpu_per_core_hour * 12 + p.ram_per_gib_hour * 85 + p.gpu_per_gpu_hour, 1.92802,
              1e-9);
}

TEST(PricingPricer, GcpN1WithT4AddsAcceleratorPrice) {
  Pricer pricer(Catalog::builtin(), std::nullopt);
  model::Node node = NodeBuilder("gke-t4")
                         .label("cloud.google.com/gke-accelerator", "nvidia-tesla-t4")
                         .label("cloud.google.com/gke-nodepool", "t4")
                         .instanceType("n1-standard-4")
                         .region("us-central1")
                         .capacity(4000, 15 * kGiB, 1)
                         .build();
  NodePrice p = pricer.priceNode(node);
  EXPECT_EQ(p.source, "catalog:gcp:n1-standard-4:us-central1:on-demand");
  EXPECT_DOUBLE_EQ(p.gpu_per_gpu_hour, 0.35);
  EXPECT_NEAR(p.total_per_hour, 0.189999 + 0.35, 1e-12);
  EXPECT_NEAR(p.cpu_per_core_hour / p.ram_per_gib_hour, 0.031611 / 0.004237, 1e-9);
}

TEST(PricingPricer, AwsSpotWithoutSpotPriceIsEstimated) {
  Pricer pricer(Catalog::builtin(), std::nullopt);
  model::Node node = NodeBuilder("n")
                         .label("karpenter.sh/capacity-type", "spot")
                         .instanceType("m5.large")
                         .region("us-east-1")
                         .capacity(2000, 8 * kGiB)
                         .build();
  NodePrice p = pricer.priceNode(node);
  EXPECT_TRUE(p.spot);
  EXPECT_EQ(p.source, "catalog:aws:m5.large:us-east-1:spot-estimated");
  EXPECT_NEAR(p.total_per_hour, 0.096 * kDefaultSpotToOnDemandRatio, 1e-12);

  Pricer custom_ratio(Catalog::builtin(), parse("defaults: {spotToOnDemandRatio: 0.35}\n"));
  EXPECT_NEAR(custom_ratio.priceNode(node).total_per_hour, 0.096 * 0.35, 1e-12);
}

TEST(PricingPricer, DefaultFallback) {
  Pricer pricer(Catalog::builtin(), std::nullopt);
  model::Node node = NodeBuilder("kind-control-plane")
                         .providerId("kind://docker/kind/kind-control-plane")
                         .capacity(4000, 16 * kGiB)
                         .build();
  NodePrice p = pricer.priceNode(node);
  EXPECT_EQ(p.source, "default:opencost");
  EXPECT_EQ(p.provider, "");
  EXPECT_DOUBLE_EQ(p.cpu_per_core_hour, 0.031611);
  EXPECT_DOUBLE_EQ(p.ram_per_gib_hour, 0.004237);
  EXPECT_DOUBLE_EQ(p.gpu_per_gpu_hour, 0.95);
  EXPECT_NEAR(p.total_per_hour, 4 * 0.031611 + 16 * 0.004237, 1e-12);

  model::Node spot = NodeBuilder("s").label("node.kubernetes.io/lifecycle", "spot")
                         .capacity(1000, kGiB).build();
  NodePrice sp = pricer.priceNode(spot);
  EXPECT_EQ(sp.source, "default:opencost:spot");
  EXPECT_DOUBLE_EQ(sp.cpu_per_core_hour, 0.006655);
  EXPECT_DOUBLE_EQ(sp.ram_per_gib_hour, 0.000892);

  // Unknown instance type falls through the catalog too.
  EXPECT_EQ(pricer.priceNode(NodeBuilder("x").instanceType("m99.huge").capacity(1000, kGiB).build())
                .source,
            "default:opencost");
}

TEST(PricingPricer, CustomDefaultsAndUseCatalogFalse) {
  Pricer pricer(Catalog::builtin(), parse("useCatalog: false\ndefaults: {cpuPerCoreHour: 0.05}\n"));
  NodePrice p = pricer.priceNode(m5Large());
  EXPECT_EQ(p.source, "custom:defaults");
  EXPECT_DOUBLE_EQ(p.cpu_per_core_hour, 0.05);
  EXPECT_DOUBLE_EQ(p.ram_per_gib_hour, kDefaultRamPerGiBHour);
  EXPECT_EQ(p.provider, "aws");
}

TEST(PricingPricer, DiscountsApplyToCpuAndRamOnly) {
  Pricer pricer(Catalog::builtin(), parse("discount: 0.1\nnegotiatedDiscount: 0.05\n"));
  model::Node node = NodeBuilder("n").instanceType("m5.large").capacity(2000, 8 * kGiB).build();
  NodePrice p = pricer.priceNode(node);
  double keep = 0.9 * 0.95;
  EXPECT_NEAR(p.cpu_per_core_hour, 0.031247 * keep, 1e-6);
  EXPECT_NEAR(p.ram_per_gib_hour, 0.004188 * keep, 1e-6);
  EXPECT_NEAR(p.total_per_hour, 0.096 * keep, 1e-12);

  model::Node gpu = NodeBuilder("g").capacity(1000, kGiB, 1).build();
  NodePrice g = pricer.priceNode(gpu);
  EXPECT_DOUBLE_EQ(g.gpu_per_gpu_hour, 0.95);
  EXPECT_NEAR(g.cpu_per_core_hour, 0.031611 * keep, 1e-12);
}

// --- custom rules ---

constexpr std::string_view kRules = R"(
rules:
  - name: lab
    match: {nodeName: "lab-*"}
    cpuPerCoreHour: 0.02
    ramPerGiBHour: 0.003
    spot: {cpuPerCoreHour: 0.008, ramPerGiBHour: 0.001}
  - name: gpu-pool
    match:
      labels: {pool: "gpu-*"}
      gpuModel: "*a100*"
    nodePerHour: 12
    applyDiscount: false
  - name: all-m5
    match: {instanceType: "M5.*", provider: aws}
    nodePerHour: 0.05
  - name: appendix-a
    match: {labels: {appendix: "a"}}
    nodePerHour: 35
    cpuPerCoreHour: 30
    ramPerGiBHour: 10
    gpuPerGpuHour: 30
discount: 0.5
)";

TEST(PricingPricer, FirstMatchingRuleWins) {
  Pricer pricer(Catalog::builtin(), parse(kRules));
  // Matches rule 0 (name) and rule 2 (m5.*): rule 0 wins, rates as given, then 50 % discount.
  model::Node lab = NodeBuilder("lab-1").instanceType("m5.large").capacity(2000, 8 * kGiB).build();
  NodePrice p = pricer.priceNode(lab);
  EXPECT_EQ(p.source, "custom:rules[0]");
  EXPECT_DOUBLE_EQ(p.cpu_per_core_hour, 0.01);
  EXPECT_DOUBLE_EQ(p.ram_per_gib_hour, 0.0015);
  EXPECT_NEAR(p.total_per_hour, 2 * 0.01 + 8 * 0.0015, 1e-12);

  // Rule 2 takes precedence over the catalog.
  NodePrice m5 = pricer.priceNode(m5Large());
  EXPECT_EQ(m5.source, "custom:rules[2]");
  EXPECT_NEAR(m5.total_per_hour, 0.025, 1e-12);

  // Not matched by any rule: catalog.
  NodePrice c5 = pricer.priceNode(
      NodeBuilder("n").instanceType("c5.large").region("us-east-1").capacity(2000, 4 * kGiB).build());
  EXPECT_EQ(c5.source, "catalog:aws:c5.large:us-east-1:on-demand");
}

TEST(PricingPricer, RuleSpotPrices) {
  Pricer pricer(Catalog::builtin(), parse(kRules));
  model::Node lab = NodeBuilder("lab-2")
                        .label("karpenter.sh/capacity-type", "spot")
                        .capacity(1000, kGiB)
                        .build();
  NodePrice p = pricer.priceNode(lab);
  EXPECT_EQ(p.source, "custom:rules[0]:spot");
  EXPECT_DOUBLE_EQ(p.cpu_per_core_hour, 0.004);
  EXPECT_DOUBLE_EQ(p.ram_per_gib_hour, 0.0005);
}

TEST(PricingPricer, RuleByLabelAndGpuModelWithoutDiscount) {
  Pricer pricer(Catalog::builtin(), parse(kRules));
  model::Node node = NodeBuilder("gpu-node")
                         .label("pool", "gpu-a")
                         .label("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB")
                         .capacity(8000, 64 * kGiB, 1)
                         .build();
  NodePrice p = pricer.priceNode(node);
  EXPECT_EQ(p.source, "custom:rules[1]");
  EXPECT_DOUBLE_EQ(p.total_per_hour, 12);
  EXPECT_NEAR(p.cpu_per_core_hour * 8 + p.ram_per_gib_hour * 64 + p.gpu_per_gpu_hour, 12, 1e-9);

  // Same pool, different GPU: not this rule.
  model::Node t4 = NodeBuilder("gpu-node").label("pool", "gpu-a")
                       .label("nvidia.com/gpu.product", "Tesla-T4").capacity(8000, 64 * kGiB, 1)
                       .build();
  EXPECT_EQ(pricer.priceNode(t4).source, "default:opencost");
}

TEST(PricingPricer, RuleWithTotalAndRatesNormalises) {
  Pricer pricer(Catalog::builtin(), parse(kRules));
  model::Node node = NodeBuilder("n").label("appendix", "a").capacity(1000, kGiB, 1).build();
  NodePrice p = pricer.priceNode(node);
  EXPECT_EQ(p.source, "custom:rules[3]");
  // 15 / 15 / 5 before the file's 50 % CPU/RAM discount.
  EXPECT_DOUBLE_EQ(p.gpu_per_gpu_hour, 15);
  EXPECT_DOUBLE_EQ(p.cpu_per_core_hour, 7.5);
  EXPECT_DOUBLE_EQ(p.ram_per_gib_hour, 2.5);
  EXPECT_DOUBLE_EQ(p.total_per_hour, 25);
}

TEST(PricingPricer, ConfiguredSpotLabel) {
  Pricer pricer(Catalog::builtin(),
                parse("spotLabel: example.com/market\nspotLabelValue: spot\n"));
  model::Node node = NodeBuilder("n").label("example.com/market", "Spot").capacity(1000, kGiB).build();
  EXPECT_TRUE(pricer.priceNode(node).spot);
}

// --- storage, load balancers, network ---

TEST(PricingPricer, StorageLoadBalancerNetworkDefaults) {
  Pricer pricer(Catalog::builtin(), std::nullopt);
  EXPECT_DOUBLE_EQ(pricer.storagePerGiBHour("gp3"), 0.00005479452);
  EXPECT_DOUBLE_EQ(pricer.loadBalancerPerHour(), 0.025);
  NetworkRates n = pricer.networkRates();
  EXPECT_DOUBLE_EQ(n.zone_egress_per_gib, 0.01);
  EXPECT_DOUBLE_EQ(n.region_egress_per_gib, 0.01);
  EXPECT_DOUBLE_EQ(n.internet_egress_per_gib, 0.12);
}

TEST(PricingPricer, StorageLoadBalancerNetworkCustom) {
  Pricer pricer(Catalog::builtin(), parse(R"(
defaults: {storagePerGiBHour: 0.0001}
storageClasses:
  - {name: gp3, perGiBMonth: 0.073}
  - {name: "premium-*", perGiBHour: 0.0003}
loadBalancer: {perHour: 0.03}
network: {internetEgressPerGiB: 0.09}
)"));
  EXPECT_NEAR(pricer.storagePerGiBHour("gp3"), 0.0001, 1e-15);
  EXPECT_DOUBLE_EQ(pricer.storagePerGiBHour("Premium-LRS"), 0.0003);
  EXPECT_DOUBLE_EQ(pricer.storagePerGiBHour("standard"), 0.0001);
  EXPECT_DOUBLE_EQ(pricer.loadBalancerPerHour(), 0.03);
  EXPECT_DOUBLE_EQ(pricer.networkRates().internet_egress_per_gib, 0.09);
  EXPECT_DOUBLE_EQ(pricer.networkRates().zone_egress_per_gib, 0.01);
}

TEST(PricingPricer, NodeWithoutCapacityUsesCatalogSpecs) {
  Pricer pricer(Catalog::builtin(), std::nullopt);
  NodePrice p = pricer.priceNode(NodeBuilder("n").instanceType("g5.xlarge").build());
  EXPECT_EQ(p.source, "catalog:aws:g5.xlarge:us-east-1:on-demand:region-fallback-from=unknown");
  EXPECT_NEAR(p.cpu_per_core_hour * 4 + p.ram_per_gib_hour * 16 + p.gpu_per_gpu_hour, 1.006, 1e-9);
}

}  // namespace
}  // namespace trimtab::pricing
