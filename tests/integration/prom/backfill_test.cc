// The PromQL source against the real Prometheus 2.42: the demo day's OpenMetrics backfilled into
// Prometheus with promtool, read back with `trimtab backfill`, gives the allocation of the offline
// ingest of the same files; a PromQL query computing OpenCost's CPU and RAM cost per namespace in
// Prometheus itself agrees with Trimtab's allocation; errors say whose fault they are.
// Skips when prometheus or promtool is not installed.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "../server/harness.h"

namespace trimtab::testing {
namespace {

using nlohmann::json;

// Relative agreement asked of every cost: the issue's ≤0.5%. The allocation JSON rounds costs to
// 5 decimals, hence the absolute slack.
constexpr double kTolerance = 0.005;
constexpr double kRounding = 2e-5;

bool havePrometheus() { return fs::exists("/usr/bin/prometheus") && fs::exists("/usr/bin/promtool"); }

class PromBackfill : public ::testing::Test {
 protected:
  // Runs once, from the first test's SetUp, so a failure here fails that test (a failed
  // SetUpTestSuite would only mark the tests skipped).
  static void prepare() {
    dir_ = makeTempDir("trimtab-prom");
    // Recent data: Prometheus drops blocks beyond its retention, and the source asks for "now".
    const long long now = std::time(nullptr);
    end_ = now - now % 3600;
    start_ = end_ - 86400 - 3600;
    std::string out;
    ASSERT_EQ(sh(fmt::format("{} demo --nodes 3 --days 1 --seed 11 --end {} --out {}/demo 2>&1", TRIMTAB_BINARY, end_,
                             dir_),
                 &out),
              0)
        << out;
    fs::create_directories(dir_ + "/metrics-only");
    for (const auto& e : fs::directory_iterator(dir_ + "/demo/snapshot")) {
      if (e.path().extension() != ".om") continue;
      fs::copy_file(e.path(), dir_ + "/metrics-only/" + e.path().filename().string());
      ASSERT_EQ(sh(fmt::format("/usr/bin/promtool tsdb create-blocks-from openmetrics {} {}/tsdb 2>&1", e.path().string(),
                               dir_),
                   &out),
                0)
          << out;
    }
    // The baseline: the same samples ingested offline.
    ASSERT_EQ(sh(fmt::format("{} ingest {}/metrics-only --store {}/offline.db --cluster demo 2>&1", TRIMTAB_BINARY,
                             dir_, dir_),
                 &out),
              0)
        << out;
    // Node prices as OpenCost exports them (node_{cpu,ram}_hourly_cost), taken from Trimtab's
    // assets, so the PromQL cost query prices exactly as Trimtab does.
    out.clear();
    ASSERT_EQ(sh(fmt::format("{} assets --store {}/offline.db --window {},{} --format json", TRIMTAB_BINARY, dir_,
                             end_ - 7200, end_ - 3600),
                 &out),
              0)
        << out;
    std::string prices = "# TYPE node_cpu_hourly_cost gauge\n";
    std::string ram = "# TYPE node_ram_hourly_cost gauge\n";
    const json assets = json::parse(out);
    for (const auto& [key, a] : assets["data"][0].items()) {
      if (a["type"] != "Node") continue;
      const std::string node = a["properties"]["node"];
      const double cpu_rate = a["cpuCost"].get<double>() / a["cpuCoreHours"].get<double>();
      const double ram_rate = a["ramCost"].get<double>() / (a["ramByteHours"].get<double>() / 1073741824.0);
      for (long long t = start_ - 3600; t <= end_ + 3600; t += 300) {
        prices += fmt::format("node_cpu_hourly_cost{{node=\"{}\"}} {} {}\n", node, cpu_rate, t);
        ram += fmt::format("node_ram_hourly_cost{{node=\"{}\"}} {} {}\n", node, ram_rate, t);
      }
    }
    std::ofstream(dir_ + "/prices.om") << prices << ram << "# EOF\n";
    ASSERT_EQ(sh(fmt::format("/usr/bin/promtool tsdb create-blocks-from openmetrics {0}/prices.om {0}/tsdb 2>&1", dir_),
                 &out),
              0)
        << out;

    const int port = testsupport::unusedLoopbackPort();
    url_ = fmt::format("http://127.0.0.1:{}", port);
    std::ofstream(dir_ + "/prometheus.yml") << "global:\n  scrape_interval: 1m\nscrape_configs: []\n";
    prometheus_ = new Process();
    ASSERT_TRUE(prometheus_->start({"/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml",
                                    "--storage.tsdb.path=" + dir_ + "/tsdb", "--storage.tsdb.retention.time=3650d",
                                    "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
                                   dir_ + "/prometheus.out", dir_ + "/prometheus.err"));
    bool ready = false;
    for (int i = 0; i < 600 && !ready; ++i) {
      ready = httpGet(url_ + "/-/ready").status == 200;
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(ready) << prometheus_->err();
    setup_ok_ = true;
  }
  static void TearDownTestSuite() {
    delete prometheus_;
    prometheus_ = nullptr;
    if (!dir_.empty() && std::getenv("TRIMTAB_KEEP_TEST_DIR") == nullptr) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (!havePrometheus()) GTEST_SKIP() << "needs /usr/bin/prometheus and /usr/bin/promtool (Debian package prometheus)";
    if (!prepared_) {
      prepared_ = true;
      prepare();
    }
    ASSERT_TRUE(setup_ok_) << "the shared set-up failed (see the first test's failure)";
  }

  static std::string backfill(const std::string& store, const std::string& extra, int* status = nullptr) {
    std::string out;
    const int rc = sh(fmt::format("{} backfill --prometheus {} --from {} --to {} --store {} --cluster demo --quiet "
                                  "--format json {} 2>&1",
                                  TRIMTAB_BINARY, url_, start_, end_, store, extra),
                      &out);
    if (status != nullptr) *status = rc;
    else EXPECT_EQ(rc, 0) << out;
    return out;
  }

  // namespace -> allocation object.
  static std::map<std::string, json> byNamespace(const std::string& store) {
    std::string out;
    EXPECT_EQ(sh(fmt::format("{} allocation --store {} --window {},{} --aggregate namespace --format json",
                             TRIMTAB_BINARY, store, start_, end_),
                 &out),
              0)
        << out;
    std::map<std::string, json> result;
    const json parsed = json::parse(out);
    for (const auto& set : parsed["data"]) {
      for (const auto& [name, a] : set.items()) result[name] = a;
    }
    return result;
  }

  static json promQuery(const std::string& promql, long long time) {
    std::string out;
    sh(fmt::format("curl -s --get --data-urlencode 'query={}' --data-urlencode 'time={}' {}/api/v1/query", promql, time,
                   url_),
       &out);
    return json::parse(out);
  }

  static inline std::string dir_, url_;
  static inline long long start_ = 0, end_ = 0;
  static inline Process* prometheus_ = nullptr;
  static inline bool prepared_ = false, setup_ok_ = false;
};

void expectClose(double want, double got, const std::string& what) {
  EXPECT_LE(std::fabs(got - want), kTolerance * std::fabs(want) + kRounding) << what << ": want " << want << ", got " << got;
}

TEST_F(PromBackfill, BackfillGivesTheOfflineAllocation) {
  const std::string store = dir_ + "/online.db";
  const json report = json::parse(backfill(store, ""));
  EXPECT_EQ(report["step_ms"], 300000) << "the demo scrapes every 5 minutes";
  EXPECT_TRUE(report["step_detected"].get<bool>());
  EXPECT_EQ(report["hour_blocks"], 25);
  EXPECT_EQ(report["warnings"], 0);
  const auto offline = byNamespace(dir_ + "/offline.db");
  const auto online = byNamespace(store);
  ASSERT_GT(offline.size(), 5u);
  ASSERT_EQ(online.size(), offline.size());
  for (const auto& [ns, want] : offline) {
    ASSERT_TRUE(online.contains(ns)) << ns;
    const json& got = online.at(ns);
    for (const char* field : {"cpuCost", "ramCost", "gpuCost", "pvCost", "networkCost", "totalCost", "cpuCoreHours",
                              "ramByteHours", "minutes"}) {
      expectClose(want[field].get<double>(), got[field].get<double>(), ns + "." + field);
    }
  }
  // Backfilling the same hours again changes nothing.
  const json again = json::parse(backfill(store, ""));
  EXPECT_EQ(again["hour_blocks"], 25);
  EXPECT_EQ(again["hours_written"], 0);

  // A 60 s grid over 5-minute scrapes: each raw sample lands on exactly one grid point, so
  // nothing is counted twice.
  const std::string step60 = dir_ + "/step60.db";
  const json r60 = json::parse(backfill(step60, "--step 60s --chunk 24h --concurrency 2"));
  EXPECT_EQ(r60["step_ms"], 60000);
  EXPECT_FALSE(r60["step_detected"].get<bool>());
  const auto online60 = byNamespace(step60);
  for (const auto& [ns, want] : offline) {
    ASSERT_TRUE(online60.contains(ns)) << ns;
    expectClose(want["totalCost"].get<double>(), online60.at(ns)["totalCost"].get<double>(), ns + ".totalCost@60s");
  }

  // A namespace matcher limits pod series; node series (no namespace label) still price them.
  const std::string shop = dir_ + "/shop.db";
  backfill(shop, "--match 'namespace=\"shop\"'");
  const auto only_shop = byNamespace(shop);
  ASSERT_TRUE(only_shop.contains("shop"));
  for (const auto& [ns, a] : only_shop) {
    EXPECT_TRUE(ns == "shop" || ns == "__unmounted__") << "unexpected namespace " << ns;
  }
  expectClose(offline.at("shop")["cpuCost"].get<double>(), only_shop.at("shop")["cpuCost"].get<double>(), "shop.cpuCost");
  expectClose(offline.at("shop")["ramCost"].get<double>(), only_shop.at("shop")["ramCost"].get<double>(), "shop.ramCost");
}

// OpenCost's allocation rule (cost = max(request, usage) while running, priced at the node's
// hourly rates) written as one PromQL query per resource, evaluated by Prometheus, against
// Trimtab's allocation of the same samples. Each 5-minute grid point stands for the 5 minutes
// before it, as each scrape does in Trimtab; the query ends 1 s before the window's end so the
// lookback does not carry the last scrape into an extra point.
TEST_F(PromBackfill, PromQLCostPerNamespaceAgreesWithAllocation) {
  const std::string running = "max by (namespace,pod,container) (kube_pod_container_status_running == 1)";
  auto alloc = [&](const std::string& resource, const std::string& usage) {
    return fmt::format(
        "max by (namespace,pod,container,node) ("
        "label_replace(max by (namespace,pod,container,node) (kube_pod_container_resource_requests{{resource=\"{0}\"}})"
        " * on(namespace,pod,container) group_left() {1}, \"src\", \"request\", \"\", \"\")"
        " or label_replace({2} * on(namespace,pod,container) group_left() {1}, \"src\", \"usage\", \"\", \"\"))",
        resource, running, usage);
  };
  const std::string cpu =
      alloc("cpu", "max by (namespace,pod,container,node) "
                   "(irate(container_cpu_usage_seconds_total{container!=\"\",container!=\"POD\"}[10m]))");
  const std::string ram = alloc(
      "memory", "max by (namespace,pod,container,node) (container_memory_working_set_bytes{container!=\"\",container!=\"POD\"})");
  const long long range = end_ - start_;
  const std::string cpu_q = fmt::format(
      "sum by (namespace) (sum_over_time(({} * on(node) group_left() max by (node) (node_cpu_hourly_cost))[{}s:300s])) "
      "* 300 / 3600",
      cpu, range);
  const std::string ram_q = fmt::format(
      "sum by (namespace) (sum_over_time(({} / 1073741824 * on(node) group_left() max by (node) "
      "(node_ram_hourly_cost))[{}s:300s])) * 300 / 3600",
      ram, range);
  const auto trimtab = byNamespace(dir_ + "/offline.db");
  for (const auto& [field, q] : {std::pair{"cpuCost", cpu_q}, std::pair{"ramCost", ram_q}}) {
    const json answer = promQuery(q, end_ - 1);
    ASSERT_EQ(answer["status"], "success") << answer.dump();
    std::size_t compared = 0;
    for (const auto& r : answer["data"]["result"]) {
      const std::string ns = r["metric"]["namespace"];
      ASSERT_TRUE(trimtab.contains(ns)) << ns;
      expectClose(std::stod(r["value"][1].get<std::string>()), trimtab.at(ns)[field].get<double>(), ns + "." + field);
      ++compared;
    }
    EXPECT_GE(compared, trimtab.size() - 1) << "every namespace but __unmounted__";
  }

  // A query the backend refuses (400 bad_data) is the caller's fault: exit 2, not retried.
  int rc = 0;
  const std::string out = backfill(dir_ + "/bad.db", "--match 'namespace=~\"(\"'", &rc);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("bad_data"), std::string::npos) << out;
  EXPECT_NE(out.find("rejected the query (HTTP 400)"), std::string::npos) << out;
}

// `trimtab agent --prometheus`: the agent pulls each finished hour itself; on a fresh store it
// starts --initial-backfill back. TRIMTAB_NOW pins "now" just past the demo day plus grace.
TEST_F(PromBackfill, AgentPullModeFoldsFinishedHours) {
  const std::string store = dir_ + "/agent.db";
  Process agent;
  ::setenv("TRIMTAB_NOW", std::to_string(end_ + 600).c_str(), 1);
  ASSERT_TRUE(agent.start({TRIMTAB_BINARY, "agent", "--store", store, "--listen", "127.0.0.1:0", "--cluster", "demo",
                           "--prometheus", url_, "--initial-backfill", "25h", "--flush-interval", "1", "--quiet"},
                          dir_ + "/agent.out", dir_ + "/agent.err"));
  ::unsetenv("TRIMTAB_NOW");
  int port = 0;
  for (int i = 0; i < 500 && port == 0; ++i) {
    const std::string out = agent.out();
    if (out.find("listening on") != std::string::npos && out.find('\n') != std::string::npos) {
      port = std::stoi(out.substr(out.rfind(':') + 1));
    } else {
      ASSERT_TRUE(agent.running()) << agent.err();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ASSERT_GT(port, 0) << agent.err();
  const std::string base = fmt::format("http://127.0.0.1:{}", port);
  bool ready = false;
  for (int i = 0; i < 600 && !ready; ++i) {
    ready = httpGet(base + "/readyz").status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(ready) << agent.err();
  const std::string metrics = httpGet(base + "/metrics").body;
  EXPECT_NE(metrics.find(fmt::format("trimtab_folded_until_timestamp_seconds {}", end_)), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("trimtab_hours_folded_total 25"), std::string::npos);
  HttpOptions post;
  post.method = "POST";
  EXPECT_EQ(httpGet(base + "/api/v1/write", post).status, 404) << "remote-write is off in pull mode";
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(20), 0) << agent.err();

  const auto offline = byNamespace(dir_ + "/offline.db");
  const auto pulled = byNamespace(store);
  ASSERT_EQ(pulled.size(), offline.size());
  for (const auto& [ns, want] : offline) {
    ASSERT_TRUE(pulled.contains(ns)) << ns;
    expectClose(want["totalCost"].get<double>(), pulled.at(ns)["totalCost"].get<double>(), ns + ".totalCost");
  }
}

TEST(PromBackfillErrors, UnreachableBackendIsAnIoError) {
  const std::string dir_ = makeTempDir("trimtab-prom-err");
  const long long start_ = 1767225600, end_ = start_ + 7200;
  std::string out;
  const int rc = sh(fmt::format("{} backfill --prometheus http://127.0.0.1:{} --from {} --to {} --store {}/none.db 2>&1",
                                TRIMTAB_BINARY, testsupport::unusedLoopbackPort(), start_, end_, dir_),
                    &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("backend unavailable"), std::string::npos) << out;
  EXPECT_NE(out.find("after 4 attempts"), std::string::npos) << out;
  fs::remove_all(dir_);
}

TEST(PromBackfillErrors, MalformedMatchersAreUsageErrors) {
  std::string out;
  const int rc = sh(fmt::format("{} backfill --prometheus http://127.0.0.1:1 --from 2d --store /nonexistent/m.db "
                                "--match 'cluster=prod' 2>&1",
                                TRIMTAB_BINARY),
                    &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("expected a quoted value"), std::string::npos) << out;
}

}  // namespace
}  // namespace trimtab::testing
