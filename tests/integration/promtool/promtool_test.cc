// Backfills a demo snapshot into a real Prometheus with promtool, starts Prometheus on it and
// checks query results against the values the DemoCluster computes. Skips when promtool or
// prometheus is not installed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "model/clock.h"
#include "source/sim/demo.h"
#include "source/snapshot/snapshot.h"

#include "support/net.h"

extern char** environ;

namespace trimtab::source {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr const char* kPrometheus = "/usr/bin/prometheus";

std::string makeTempDir() {
  std::string tmpl = (fs::temp_directory_path() / "trimtab-promtool-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  return made != nullptr ? made : "";
}

// Runs a shell command, returning its exit status and stdout.
int run(const std::string& command, std::string* out = nullptr) {
  std::FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
    if (out != nullptr) out->append(buf, n);
  }
  int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Owns the Prometheus process; kills it on destruction, whatever happened.
class PrometheusProcess {
 public:
  bool start(const std::vector<std::string>& args, const std::string& log) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid_ = -1;
    return pid_ > 0;
  }
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  ~PrometheusProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

// Extracts the value of a single-sample instant vector result; NaN when absent.
double vectorValue(const std::string& json) {
  if (json.find("\"status\":\"success\"") == std::string::npos) return std::nan("");
  auto pos = json.find("\"value\":[");
  if (pos == std::string::npos) return std::nan("");
  pos = json.find(",\"", pos);
  if (pos == std::string::npos) return std::nan("");
  pos += 2;
  auto end = json.find('"', pos);
  return std::stod(json.substr(pos, end - pos));
}

TEST(SourcePromtoolBackfill, DemoSnapshotLoadsIntoPrometheusAndQueriesMatch) {
  if (::access(kPromtool, X_OK) != 0 || ::access(kPrometheus, X_OK) != 0 ||
      ::access("/usr/bin/curl", X_OK) != 0) {
    GTEST_SKIP() << "needs /usr/bin/promtool, /usr/bin/prometheus and /usr/bin/curl "
                    "(Debian package prometheus, curl)";
  }
  const std::string work = makeTempDir();
  ASSERT_FALSE(work.empty());
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{work};

  DemoOptions options;
  options.nodes = 4;
  options.days = 1;
  options.scrape_interval_seconds = 120;
  // Recent data: Prometheus deletes blocks beyond retention.
  const UnixSeconds now = SystemClock::instance().nowSeconds();
  options.end = now - now % 3600;
  const DemoCluster demo = generateDemo(options);
  const std::string snapshot = work + "/snapshot";
  ASSERT_TRUE(writeSnapshot(demo, snapshot));

  auto files = scanSnapshot(snapshot);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->openmetrics_files.size(), 3u);
  const std::string tsdb = work + "/tsdb";
  for (const std::string& om : files->openmetrics_files) {
    std::string out;
    int rc = run(std::string(kPromtool) + " tsdb create-blocks-from openmetrics '" + om + "' '" +
                     tsdb + "' 2>&1",
                 &out);
    ASSERT_EQ(rc, 0) << om << ":\n" << out;
  }
  int blocks = 0;
  for (const auto& e : fs::directory_iterator(tsdb)) {
    blocks += fs::exists(e.path() / "meta.json") ? 1 : 0;
  }
  ASSERT_GT(blocks, 0);

  const std::string config = work + "/prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1m\nscrape_configs: []\n";
  const int port = testsupport::unusedLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  PrometheusProcess prometheus;
  ASSERT_TRUE(prometheus.start({kPrometheus, "--config.file=" + config,
                                "--storage.tsdb.path=" + tsdb,
                                "--storage.tsdb.retention.time=3650d",
                                "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                "--log.level=warn"},
                               work + "/prometheus.log"));
  bool ready = false;
  for (int i = 0; i < 120 && !ready; ++i) {
    std::string out;
    ready = run("curl -sf " + base + "/-/ready 2>/dev/null", &out) == 0;
    if (!ready) {
      if (!prometheus.alive()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  ASSERT_TRUE(ready) << "Prometheus did not become ready; log:\n"
                     << readFile(work + "/prometheus.log").value_or("");

  // A time inside the data, 30 s after a scrape: the 5-minute lookback sees the scrapes at
  // s-240, s-120 and s.
  const UnixSeconds s = demo.end - 3600;
  const UnixSeconds t = s + 30;
  const UnixSeconds scrapes[] = {s - 240, s - 120, s};
  auto query = [&](const std::string& promql) {
    std::string out;
    run("curl -s --get --data-urlencode 'query=" + promql + "' --data-urlencode 'time=" +
            std::to_string(t) + "' " + base + "/api/v1/query",
        &out);
    return out;
  };

  double want_count = 0, want_memory = 0, want_cpu_requests = 0;
  for (std::size_t c = 0; c < demo.containerCount(); ++c) {
    bool seen = false, exists = false;
    double latest = 0;
    for (UnixSeconds x : scrapes) {
      if (demo.running(c, x)) {
        seen = true;
        latest = demo.memoryWorkingSetBytes(c, x);
      }
      exists = exists || demo.podExists(demo.container(c).pod, x);
    }
    if (seen) {
      want_count += 1;
      want_memory += latest;
    }
    if (exists) want_cpu_requests += static_cast<double>(demo.requestsOf(c).cpu_millicores) / 1000.0;
  }
  ASSERT_GT(want_count, 10);

  std::string r = query("count(container_memory_working_set_bytes)");
  EXPECT_EQ(vectorValue(r), want_count) << r;
  r = query("sum(container_memory_working_set_bytes)");
  EXPECT_NEAR(vectorValue(r), want_memory, want_memory * 1e-9) << r;
  r = query("sum(kube_pod_container_resource_requests{resource=\"cpu\"})");
  EXPECT_NEAR(vectorValue(r), want_cpu_requests, 1e-6) << r;
  r = query("count(DCGM_FI_PROF_GR_ENGINE_ACTIVE)");
  EXPECT_GT(vectorValue(r), 0) << r;
  r = query("count(kube_node_labels{label_karpenter_sh_nodepool=\"gpu-a100\"})");
  EXPECT_EQ(vectorValue(r), 1) << r;
}

}  // namespace
}  // namespace trimtab::source
