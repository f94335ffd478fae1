// The trimtab binary: `plugin check` and `plugin run` with each example plugin end to end, each
// hostile plugin (exit 1, failure-policy output on stdout, exactly one failure line on stderr),
// and the sha256 pin.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

class PluginCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TRIMTAB_PLUGIN_HAS_V8)
      GTEST_SKIP() << "built without libnode (V8); run scripts/bootstrap and reconfigure";
    if (!TRIMTAB_PLUGIN_C_TOOLCHAIN)
      GTEST_SKIP() << "clang-14 with wasm32-wasi (wasi-libc) not found; plugins not built";
    dir_ =
        fs::temp_directory_path() / fmt::format("trimtab-plugin-cli-{}-{}", ::getpid(), counter_++);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::string file(const std::string& name, const std::string& content) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << content;
    return p.string();
  }
  static std::string wasm(const std::string& name) {
    return (fs::path(TRIMTAB_PLUGIN_WASM_DIR) / (name + ".wasm")).string();
  }

  CommandResult trimtab(const std::string& args) {
    const std::string cmd = fmt::format("{} {} >{} 2>{} </dev/null", TRIMTAB_BINARY, args,
                                        (dir_ / "out").string(), (dir_ / "err").string());
    CommandResult r;
    const int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    auto slurp = [](const fs::path& p) {
      std::ifstream in(p);
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    };
    r.out = slurp(dir_ / "out");
    r.err = slurp(dir_ / "err");
    return r;
  }

  static std::size_t lines(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
    return n;
  }

  fs::path dir_;
  static inline int counter_ = 0;
};

const char* kRows = R"([
  {"name":"c/n/shop/checkout-1/app","properties":{"namespace":"shop","labels":{"app":"checkout"}},"totalCost":1.5},
  {"name":"c/n/shop/web-1/app","properties":{"namespace":"shop","labels":{"app":"web"}},"totalCost":2},
  {"name":"c/n/kube-system/dns/app","properties":{"namespace":"kube-system"},"totalCost":0.25}
])";

const char* kRecs = R"([
  {"namespace":"shop","controller":"orders","container":"app","image":"eclipse-temurin:17-jre","memoryRequestBytes":94371840},
  {"namespace":"payments","controller":"api","container":"app","spot":true,"memoryRequestBytes":536870912}
])";

TEST_F(PluginCli, CheckReportsAbiHooksAndEngine) {
  auto r = trimtab("plugin check " + wasm("label_team"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("abi:      trimtab_abi_v1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hooks:    allocation (trimtab_allocation_rule)"), std::string::npos);
  EXPECT_NE(r.out.find("engine:   V8 10.2"), std::string::npos);
  EXPECT_NE(r.out.find("result:   OK"), std::string::npos);

  auto wrong = trimtab("plugin check " + wasm("wrong_abi"));
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("not a valid Trimtab ABI v1 plugin: module declares trimtab_abi_v2"),
            std::string::npos)
      << wrong.err;
  auto missing = trimtab("plugin check " + wasm("missing_exports"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("missing export trimtab_alloc"), std::string::npos);
  auto notwasm = trimtab("plugin check " + file("x.wasm", "hello"));
  EXPECT_EQ(notwasm.exit_code, 1);
  EXPECT_NE(notwasm.err.find("not a WebAssembly binary"), std::string::npos);
}

TEST_F(PluginCli, LabelTeamAllocationRule) {
  auto r = trimtab(fmt::format(
      "plugin run {} --hook allocation --input {} --settings '{}'", wasm("label_team"),
      file("rows.json", kRows),
      R"({"labelKey":"app","teams":{"checkout":"payments","web":"storefront"},"default":"platform"})"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("team":"payments","teamSource":"label")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("team":"storefront","teamSource":"label")"), std::string::npos);
  EXPECT_NE(r.out.find(R"("team":"platform","teamSource":"default")"), std::string::npos);
  EXPECT_NE(r.err.find("plugin label_team hook allocation: 3 items in 1 batches, applied;"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("total "), std::string::npos);
}

TEST_F(PluginCli, SpotVetoRecommendationPolicy) {
  auto r = trimtab(fmt::format("plugin run {} --hook recommendation --input {} --settings '{}'",
                               wasm("spot_veto"), file("recs.json", kRecs),
                               R"({"namespaces":["payments"]})"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(
      r.out.find(
          R"("vetoed":true,"vetoReason":"spot vetoed for namespace payments by policy spot_veto")"),
      std::string::npos)
      << r.out;
  EXPECT_EQ(lines(r.err, "plugin spot_veto: info:"), 1u);
}

TEST_F(PluginCli, JvmFloorRecommendationPolicy) {
  if (!TRIMTAB_PLUGIN_RUST_TOOLCHAIN)
    GTEST_SKIP() << "rustc with the wasm32 std not found; jvm_floor not built";
  auto r = trimtab(fmt::format("plugin run {} --hook recommendation --input {}", wasm("jvm_floor"),
                               file("recs.json", kRecs)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("memoryRequestBytes":268435456)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("jvm memory floor 268435456: raised memoryRequestBytes 94371840"),
            std::string::npos);
  EXPECT_NE(r.out.find(R"("memoryRequestBytes":536870912})"), std::string::npos)
      << "not a JVM: unchanged";
}

TEST_F(PluginCli, AlertThresholdFilter) {
  auto r = trimtab(
      fmt::format("plugin run {} --hook alert --input {} --settings '{{\"minMonthlyDelta\":50}}'",
                  wasm("alert_threshold"),
                  file("alerts.json", R"([{"monthlyDelta":3},{"monthlyDelta":75.5}])")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "[{\"accepted\":false,\"message\":\"monthly delta below the alert "
            "threshold\"},{\"accepted\":true}]\n");
}

TEST_F(PluginCli, HostilePluginsApplyThePolicyWithOneLine) {
  const std::string rows = file("rows.json", kRows);
  for (const char* plugin :
       {"infinite_loop", "out_of_bounds", "oversized_output", "invalid_json", "alloc_trap"}) {
    auto r = trimtab(fmt::format("plugin run {} --hook allocation --input {} --timeout-ms 250",
                                 wasm(plugin), rows));
    EXPECT_EQ(r.exit_code, 1) << plugin << ": " << r.err;
    EXPECT_EQ(lines(r.err, "failed: "), 1u) << plugin << ": " << r.err;
    EXPECT_EQ(lines(r.out, "\"pluginStatus\":\"error\""), 1u)
        << plugin;  // one line of JSON, 3 rows
    EXPECT_NE(r.out.find(R"({"pluginStatus":"error","name":"c/n/shop/checkout-1/app")"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.err.find("FAILED, failure policy applied"), std::string::npos);
  }
  auto alert =
      trimtab(fmt::format("plugin run {} --hook alert --input {}", wasm("out_of_bounds"), rows));
  EXPECT_EQ(alert.exit_code, 1);
  EXPECT_NE(alert.err.find("alerts not suppressed (fail open)"), std::string::npos) << alert.err;
  EXPECT_NE(alert.out.find(R"({"accepted":true,)"), std::string::npos);
  auto bomb = trimtab(
      fmt::format("plugin run {} --hook allocation --input {}", wasm("memory_bomb_4g"), rows));
  EXPECT_EQ(bomb.exit_code, 1);
  EXPECT_NE(bomb.err.find("exceeds the cap of 1024 pages (64 MiB)"), std::string::npos) << bomb.err;
}

TEST_F(PluginCli, Sha256Pin) {
  const std::string rows = file("rows.json", kRows);
  auto check = trimtab("plugin check " + wasm("label_team"));
  ASSERT_EQ(check.exit_code, 0);
  const auto at = check.out.find("sha256:   ");
  ASSERT_NE(at, std::string::npos);
  const std::string digest = check.out.substr(at + 10, 64);
  auto ok = trimtab(fmt::format("plugin run {} --hook allocation --input {} --sha256 {}",
                                wasm("label_team"), rows, digest));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;

  // Same bytes plus a custom section: still a valid plugin, but not the pinned file.
  std::ifstream in(wasm("label_team"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes += std::string(
      "\x00\x04\x03"
      "abc",
      6);
  const std::string modified = file("modified.wasm", bytes);
  auto plain = trimtab(fmt::format("plugin run {} --hook allocation --input {}", modified, rows));
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  auto pinned = trimtab(fmt::format("plugin run {} --hook allocation --input {} --sha256 {}",
                                    modified, rows, digest));
  EXPECT_EQ(pinned.exit_code, 1);
  EXPECT_NE(pinned.err.find("does not match the pinned " + digest), std::string::npos)
      << pinned.err;
  EXPECT_TRUE(pinned.out.empty());
}

TEST_F(PluginCli, UsageErrors) {
  EXPECT_EQ(trimtab("plugin").exit_code, 2);
  EXPECT_EQ(trimtab("plugin run x.wasm --input y").exit_code, 2);
  auto hook = trimtab(fmt::format("plugin run {} --hook pricing --input y", wasm("label_team")));
  EXPECT_EQ(hook.exit_code, 2);
  EXPECT_NE(hook.err.find("expected allocation, recommendation or alert"), std::string::npos);
  auto input = trimtab(fmt::format("plugin run {} --hook allocation --input {}", wasm("label_team"),
                                   file("bad.json", "[1]")));
  EXPECT_EQ(input.exit_code, 1);
  EXPECT_NE(input.err.find("items[0] is not an object"), std::string::npos);
}

}  // namespace

// The plugins inside the commands that use them: allocation rules in `trimtab allocation`,
// recommendation policies in `trimtab recommend`, configured in a Trimtab config file.
class PluginInCommands : public PluginCli {
 protected:
  static void SetUpTestSuite() {
    demo_ = fs::temp_directory_path() / fmt::format("trimtab-plugin-demo-{}", ::getpid());
    fs::remove_all(demo_);
    const std::string cmd = fmt::format("{} demo --nodes 3 --days 2 --seed 5 --end 1767225600 --out {} >/dev/null 2>&1",
                                        TRIMTAB_BINARY, demo_.string());
    demo_ok_ = std::system(cmd.c_str()) == 0;
  }
  static void TearDownTestSuite() { fs::remove_all(demo_); }
  std::string store() const { return (demo_ / "store.db").string(); }
  static constexpr const char* kWindow = "2025-12-30T00:00:00Z,2026-01-01T00:00:00Z";

  static inline fs::path demo_;
  static inline bool demo_ok_ = false;
};

double columnSum(const std::string& csv, const std::string& column, std::size_t* rows = nullptr) {
  std::istringstream in(csv);
  std::string header;
  std::getline(in, header);
  std::size_t index = 0, i = 0;
  for (std::size_t start = 0, comma; start <= header.size(); start = comma + 1, ++i) {
    comma = header.find(',', start);
    if (header.substr(start, comma - start) == column) index = i;
    if (comma == std::string::npos) break;
  }
  double sum = 0;
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    std::size_t start = 0;
    for (std::size_t k = 0; k < index; ++k) start = line.find(',', start) + 1;
    sum += std::stod(line.substr(start, line.find(',', start) - start));
    ++n;
  }
  if (rows != nullptr) *rows = n;
  return sum;
}

TEST_F(PluginInCommands, AllocationRuleAttributesTeamsAndConservesCost) {
  ASSERT_TRUE(demo_ok_);
  const std::string config = file("trimtab.yaml", fmt::format(R"(plugins:
  - name: team-mapping
    path: {}
    hook: allocation
    settings:
      labelKey: app
      teams: {{checkout: payments, cart: storefront, catalog: storefront, kafka: data-platform}}
      default: platform
)",
                                                               wasm("label_team")));
  const CommandResult teams = trimtab(fmt::format("allocation --store {} --window {} --aggregate team --format csv --config {}",
                                                  store(), kWindow, config));
  ASSERT_EQ(teams.exit_code, 0) << teams.err;
  EXPECT_NE(teams.out.find(",storefront,"), std::string::npos) << teams.out;
  EXPECT_NE(teams.out.find(",platform,"), std::string::npos) << teams.out;
  EXPECT_EQ(teams.out.find("__unallocated__"), std::string::npos) << "the default team was not applied";
  std::size_t rows = 0;
  const double by_team = columnSum(teams.out, "totalCost", &rows);
  const CommandResult cluster =
      trimtab(fmt::format("allocation --store {} --window {} --aggregate cluster --format csv", store(), kWindow));
  ASSERT_EQ(cluster.exit_code, 0);
  EXPECT_NEAR(by_team, columnSum(cluster.out, "totalCost"), 1e-5 * static_cast<double>(rows + 1));
}

TEST_F(PluginInCommands, BrokenAllocationRuleFallsBackAndMarksRows) {
  ASSERT_TRUE(demo_ok_);
  const std::string config = file("broken.yaml", fmt::format("plugins:\n  - path: {}\n    hook: allocation\n",
                                                             wasm("invalid_json")));
  const CommandResult r = trimtab(fmt::format(
      "allocation --store {} --window {} --aggregate label:trimtab_plugin_status --format csv --config {}", store(),
      kWindow, config));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(",fallback,"), std::string::npos) << r.out;
  EXPECT_EQ(lines(r.err, "invalid_json"), 1u) << r.err;
  // Same totals as without the plugin: the built-in result is kept.
  const CommandResult plain =
      trimtab(fmt::format("allocation --store {} --window {} --aggregate cluster --format csv", store(), kWindow));
  EXPECT_NEAR(columnSum(r.out, "totalCost"), columnSum(plain.out, "totalCost"), 1e-3);
}

TEST_F(PluginInCommands, RecommendationPolicyRaisesJvmMemory) {
  ASSERT_TRUE(demo_ok_);
  if (!TRIMTAB_PLUGIN_RUST_TOOLCHAIN) GTEST_SKIP() << "rustc with the wasm32 std not found; jvm_floor not built";
  const std::string config = file("policy.yaml", fmt::format(R"(plugins:
  - name: jvm-floor
    path: {}
    hook: recommendation
    settings: {{memoryFloorBytes: 8589934592, markers: [kafka]}}
)",
                                                             wasm("jvm_floor")));
  const std::string base = fmt::format("recommend --store {} --window {} --strategy krr --min-history 12 --format csv",
                                       store(), kWindow);
  const CommandResult plain = trimtab(base);
  const CommandResult with = trimtab(base + " --config " + config);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(with.exit_code, 0) << with.err;
  std::istringstream a(plain.out), b(with.out);
  std::size_t kafka = 0, others = 0;
  for (std::string la, lb; std::getline(a, la) && std::getline(b, lb);) {
    if (la.find("\"kafka\"") != std::string::npos && la.find("\"krr\",true") != std::string::npos) {
      EXPECT_NE(lb.find("adjusted by plugin jvm-floor"), std::string::npos) << lb;
      EXPECT_NE(lb.find("8589934592"), std::string::npos) << lb;
      ++kafka;
    } else {
      EXPECT_EQ(la, lb);
      ++others;
    }
  }
  EXPECT_GT(kafka, 0u) << with.out.substr(0, 2000);
  EXPECT_GT(others, 0u);
}
