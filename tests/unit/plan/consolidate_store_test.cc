// End to end on the demo store: `trimtab demo` writes and ingests a small cluster, the store
// reader builds the description, and the plan's saving is the removed node prices minus the
// added ones; the CLI prints the same plan.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "plan/consolidate.h"
#include "plan/from_store.h"
#include "pricing/catalog.h"
#include "store/store.h"

namespace trimtab::plan {
namespace {

namespace fs = std::filesystem;

constexpr long long kEnd = 1767225600;  // 2026-01-01T00:00:00Z

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

CliRun trimtab(const std::string& args) {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / fmt::format("trimtab-plan-{}-{}", ::getpid(), counter++);
  fs::create_directories(dir);
  const std::string cmd = fmt::format("{} {} >{} 2>{} </dev/null", TRIMTAB_BINARY, args,
                                      (dir / "out").string(), (dir / "err").string());
  CliRun r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  fs::remove_all(dir);
  return r;
}

class ConsolidateDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / fmt::format("trimtab-plan-demo-{}", ::getpid())).string();
    fs::remove_all(dir_);
    const CliRun r = trimtab(fmt::format("demo --nodes 12 --days 1 --seed 7 --end {} --out {}", kEnd, dir_));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string store() { return dir_ + "/store.db"; }
  static std::string window() { return fmt::format("{},{}", kEnd - 86400, kEnd); }
  static inline std::string dir_;
};

TEST_F(ConsolidateDemo, SavingIsRemovedMinusAddedPrices) {
  auto s = store::openSqliteStore(store(), store::OpenMode::kReadOnly);
  ASSERT_TRUE(s) << s.error().message;
  StoreClusterOptions o;
  o.window_start = kEnd - 86400;
  o.window_end = kEnd;
  auto sc = readStoreCluster(**s, pricing::Catalog::builtin(), o);
  ASSERT_TRUE(sc) << sc.error().message;
  const ClusterDescription& c = sc->description;
  EXPECT_EQ(c.cluster, "demo");
  EXPECT_EQ(sc->hour_start, kEnd - 3600);
  EXPECT_EQ(sc->provider, pricing::Provider::kAws);
  ASSERT_GE(c.nodes.size(), 10U);
  std::size_t ds = 0;
  for (const auto& p : c.pods) ds += p.role == PodRole::kDaemonSet ? 1 : 0;
  EXPECT_GE(ds, c.nodes.size());  // kube-proxy and friends on every node
  for (const auto& n : c.nodes) {
    EXPECT_GT(n.hourly_usd, 0) << n.spec.name;
    EXPECT_GT(n.spec.cpu_milli, 0) << n.spec.name;
  }
  EXPECT_FALSE(c.pdbs_known);

  // Replacement types as the CLI picks them: the cluster's provider, region and architecture.
  SizingOptions sizing;
  sizing.target_utilization = 1.0;
  sizing.region = sc->region;
  EXPECT_EQ(sc->arch, "amd64");
  if (!sc->arch.empty()) sizing.architectures = {sc->arch};
  auto replacements = catalogOptions(pricing::Catalog::builtin(), sizing);
  ASSERT_TRUE(replacements);
  ConsolidateOptions opts;
  opts.replacements = *replacements;
  opts.deadline_ms = 60000;
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p) << p.error().message;
  auto ok = verifyPlan(c, *p, opts);
  EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
  double expected = 0;
  for (const auto& a : p->actions) {
    for (int n : a.removed) expected += c.nodes[static_cast<std::size_t>(n)].hourly_usd;
    for (const auto& added : a.added) expected -= added.option.hourly_usd;
  }
  EXPECT_NEAR(p->monthly_saving_usd, expected * kHoursPerMonth, 1e-6);
  EXPECT_GE(p->monthly_saving_usd, 0);
  ASSERT_EQ(p->verdicts.size(), c.nodes.size());
  for (const auto& v : p->verdicts) EXPECT_FALSE(v.reason.empty());

  // The CLI: the same saving in JSON, and the table states the PDB gap and the threshold.
  const CliRun json = trimtab(fmt::format("plan consolidate --store {} --window {} --format json --deadline 60s",
                                       store(), window()));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find(fmt::format("\"monthly_saving_usd\":{:.2f},\"evicted\":{}",
                                      p->monthly_saving_usd, p->evicted)),
            std::string::npos)
      << json.out.substr(0, 600);
  EXPECT_NE(json.out.find("\"pdbs\":\"not in store\""), std::string::npos);
  const CliRun table = trimtab(fmt::format("plan consolidate --store {} --window {} --max-disruption 3",
                                        store(), window()));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("PDBs: not in store"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("per disruption unit"), std::string::npos);
  EXPECT_NE(table.out.find("karpenter single-node"), std::string::npos);
  EXPECT_NE(table.out.find("max disruption: 3 pods"), std::string::npos);
}

TEST_F(ConsolidateDemo, CliErrorsNameTheProblem) {
  CliRun r = trimtab(fmt::format("plan consolidate --store {} --window 2020-01-01T00:00:00Z,2020-01-02T00:00:00Z",
                              store()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("holds no stored hour"), std::string::npos) << r.err;
  r = trimtab(fmt::format("plan consolidate --store {} --deadline soon", store()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--deadline"), std::string::npos) << r.err;
  r = trimtab("plan consolidate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--store"), std::string::npos);
}

TEST_F(ConsolidateDemo, SizeFromStore) {
  const CliRun r = trimtab(fmt::format("plan size --store {} --window {} --format json", store(), window()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"mix_hourly_usd\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\"pods_sized\":0,"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace trimtab::plan
