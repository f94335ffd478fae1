// `trimtab agent` end to end: the demo snapshot's samples sent as Prometheus remote-write
// (snappy protobuf over HTTP) give the same allocation as the offline ingest of the same
// samples; kill -9 after acknowledgement loses nothing and double-counts nothing; undecodable
// bodies are 400; and the real Prometheus 2.42 remote-writes to it.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "../server/harness.h"
#include "fixture/fixture_server.h"
#include "kube/kinds.h"
#include "remote/wal.h"
#include "remote/write_request.h"
#include "source/snapshot/openmetrics.h"

namespace trimtab::testing {
namespace {

using nlohmann::json;

constexpr long long kEnd = 1767225600;  // 2026-01-01T00:00:00Z

// Collects samples into remote-write series (label sets in input order).
class SeriesCollector final : public source::SampleSink {
 public:
  void onSample(const source::Sample& s) override {
    std::string key(s.metric);
    for (std::size_t i = 0; i < s.label_count; ++i) {
      key += '\x1f';
      key.append(s.labels[i].name);
      key += '=';
      key.append(s.labels[i].value);
    }
    auto [it, inserted] = index_.emplace(key, series.size());
    if (inserted) {
      remote::Series r;
      r.labels.emplace_back("__name__", std::string(s.metric));
      for (std::size_t i = 0; i < s.label_count; ++i) {
        r.labels.emplace_back(std::string(s.labels[i].name), std::string(s.labels[i].value));
      }
      series.push_back(std::move(r));
    }
    series[it->second].samples.emplace_back(s.value, s.timestamp_ms);
    ++samples;
  }
  std::vector<remote::Series> series;
  std::uint64_t samples = 0;

 private:
  std::map<std::string, std::size_t> index_;
};

long post(const std::string& url, const std::string& body, std::string* response = nullptr) {
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Encoding: snappy");
  headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
  headers = curl_slist_append(headers, "X-Prometheus-Remote-Write-Version: 0.1.0");
  std::string sink;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, curlWrite);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, response != nullptr ? response : &sink);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

// Sends every series in batches of about `batch` samples; returns the number of non-204s.
int sendAll(const std::string& url, const std::vector<remote::Series>& series, std::size_t batch) {
  int failures = 0;
  std::vector<remote::Series> pending;
  std::size_t pending_samples = 0;
  auto flush = [&] {
    if (pending.empty()) return;
    const std::string body = remote::snappyCompress(remote::encodeWriteRequest(pending));
    if (post(url, body) != 204) ++failures;
    pending.clear();
    pending_samples = 0;
  };
  for (const remote::Series& s : series) {
    for (std::size_t i = 0; i < s.samples.size(); i += batch) {
      remote::Series part;
      part.labels = s.labels;
      part.samples.assign(s.samples.begin() + static_cast<std::ptrdiff_t>(i),
                          s.samples.begin() + static_cast<std::ptrdiff_t>(std::min(s.samples.size(), i + batch)));
      pending_samples += part.samples.size();
      pending.push_back(std::move(part));
      if (pending_samples >= batch) flush();
    }
  }
  flush();
  return failures;
}

class AgentDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_ALL);
    dir_ = makeTempDir("trimtab-agent");
    std::string out;
    ASSERT_EQ(sh(fmt::format("{} demo --nodes 3 --days 1 --seed 11 --end {} --out {}/demo 2>&1", TRIMTAB_BINARY, kEnd,
                             dir_),
                 &out),
              0)
        << out;
    // The baseline: the same samples (no kubectl objects) ingested offline.
    fs::create_directories(dir_ + "/metrics-only");
    for (const auto& e : fs::directory_iterator(dir_ + "/demo/snapshot")) {
      if (e.path().extension() == ".om") {
        fs::copy_file(e.path(), dir_ + "/metrics-only/" + e.path().filename().string());
        ASSERT_TRUE(source::parseOpenMetricsFile(e.path().string(), collector_).has_value());
      }
    }
    ASSERT_EQ(sh(fmt::format("{} ingest {}/metrics-only --store {}/offline.db --cluster demo 2>&1", TRIMTAB_BINARY,
                             dir_, dir_),
                 &out),
              0)
        << out;
  }
  static void TearDownTestSuite() {
    if (std::getenv("TRIMTAB_KEEP_TEST_DIR") == nullptr) fs::remove_all(dir_);
  }

  static std::string allocation(const std::string& store) {
    std::string out;
    EXPECT_EQ(sh(fmt::format("{} allocation --store {} --window {},{} --aggregate namespace --include-idle "
                             "--step 6h --format json",
                             TRIMTAB_BINARY, store, kEnd - 86400, kEnd),
                 &out),
              0);
    return out;
  }

  static bool startAgent(Process& p, const std::string& store, int& port, const std::string& tag,
                         const std::string& grace = "0", const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {TRIMTAB_BINARY, "agent", "--store", store, "--listen", "127.0.0.1:0", "--cluster",
                                     "demo", "--grace", grace, "--flush-interval", "1", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (!p.start(args, dir_ + "/" + tag + ".out", dir_ + "/" + tag + ".err")) return false;
    for (int i = 0; i < 500; ++i) {
      const std::string out = p.out();
      if (out.find("listening on") != std::string::npos && out.find('\n') != std::string::npos) {
        port = std::stoi(out.substr(out.rfind(':') + 1));
        return true;
      }
      if (!p.running()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  static double metric(int port, const std::string& name) {
    const std::string m = httpGet(fmt::format("http://127.0.0.1:{}/metrics", port)).body;
    const auto at = m.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(m.substr(at + name.size() + 2));
  }

  // Waits until the agent has folded every hour of the demo day (and `refolded` late hours).
  static bool waitFolded(int port, double refolded = 0) {
    for (int i = 0; i < 600; ++i) {
      if (metric(port, "trimtab_folded_until_timestamp_seconds") >= static_cast<double>(kEnd) &&
          metric(port, "trimtab_hours_refolded_total") >= refolded) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  static inline std::string dir_;
  static inline SeriesCollector collector_;
};

double total(const std::string& allocation_json, const std::string& field) {
  const json j = json::parse(allocation_json);
  double sum = 0;
  for (const auto& set : j["data"]) {
    for (const auto& [name, a] : set.items()) sum += a[field].get<double>();
  }
  return sum;
}

std::size_t count(const std::string& allocation_json) {
  const json j = json::parse(allocation_json);
  std::size_t n = 0;
  for (const auto& set : j["data"]) n += set.size();
  return n;
}

TEST_F(AgentDemo, RemoteWriteGivesTheOfflineAllocation) {
  const std::string store = dir_ + "/agent.db";
  ASSERT_GT(collector_.samples, 100000u);
  {
    // "Now" is the end of the demo day: every hour is complete once the grace has passed,
    // so the agent folds while the samples are still arriving.
    ::setenv("TRIMTAB_NOW", std::to_string(kEnd + 3600).c_str(), 1);
    Process agent;
    int port = 0;
    ASSERT_TRUE(startAgent(agent, store, port, "parity", "1800", {"--wal-retention", "172800"})) << agent.err();
    ::unsetenv("TRIMTAB_NOW");
    EXPECT_EQ(httpGet(fmt::format("http://127.0.0.1:{}/healthz", port)).status, 200);
    EXPECT_EQ(sendAll(fmt::format("http://127.0.0.1:{}/api/v1/write", port), collector_.series, 2000), 0);
    // Whatever was folded before its late samples arrived is folded again.
    ASSERT_TRUE(waitFolded(port)) << agent.err();
    const double late = metric(port, "trimtab_remote_write_late_requests_total");
    if (late > 0) {
      for (int i = 0; i < 100 && metric(port, "trimtab_hours_refolded_total") <= 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // the refolds run in one flush
    }
    EXPECT_EQ(metric(port, "trimtab_remote_write_dropped_late_total"), 0);
    EXPECT_EQ(httpGet(fmt::format("http://127.0.0.1:{}/readyz", port)).status, 200);
    agent.kill(SIGTERM);
    EXPECT_EQ(agent.wait(60), 0) << agent.err();
  }

  const std::string offline = allocation(dir_ + "/offline.db");
  const std::string online = allocation(store);
  // Every allocation's figures are rounded to 5 decimals in the JSON; beyond that, exact.
  const double rounding = 1e-5 * static_cast<double>(count(offline));
  ASSERT_EQ(count(online), count(offline));
  for (const char* field : {"cpuCost", "ramCost", "gpuCost", "pvCost", "totalCost", "cpuCoreHours", "ramByteHours"}) {
    const double a = total(offline, field), b = total(online, field);
    EXPECT_NEAR(b, a, rounding + std::abs(a) * 1e-12) << field;
  }
  EXPECT_GT(total(online, "totalCost"), 0);
}

// `trimtab agent --kubeconfig`: the agent lists and watches the demo's objects from a Kubernetes
// API (the fixture server) and folds remote-written samples with them; the result equals the
// offline ingest of the whole snapshot (objects and samples), not just of its samples.
TEST_F(AgentDemo, KubeReflectorsQualifyTheFoldLikeSnapshotObjects) {
  namespace fixture = kube::fixture;
  fixture::ServerOptions fo;
  fo.tls = false;
  fo.tokens = {"agent-token"};
  fixture::Server api(fo);
  std::string error;
  ASSERT_TRUE(api.start(&error)) << error;
  std::size_t objects = 0;
  for (const auto& e : fs::directory_iterator(dir_ + "/demo/snapshot")) {
    if (e.path().extension() != ".json") continue;
    const json list = json::parse(slurp(e.path().string()));
    for (const json& item : list["items"]) {
      auto kind = kube::kindByName(item["kind"].get<std::string>());
      ASSERT_TRUE(kind) << item["kind"];
      api.create(*kind, item);
      ++objects;
    }
  }
  ASSERT_GT(objects, 50u);
  const std::string kubeconfig = dir_ + "/kubeconfig";
  std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\ncurrent-context: demo\n"
                               "clusters:\n- name: demo\n  cluster: {server: \""
                            << api.url()
                            << "\"}\nusers:\n- name: agent\n  user: {token: agent-token}\n"
                               "contexts:\n- name: demo\n  context: {cluster: demo, user: agent}\n";
  std::string out;
  ASSERT_EQ(sh(fmt::format("{} ingest {}/demo/snapshot --store {}/full.db --cluster demo 2>&1", TRIMTAB_BINARY, dir_,
                           dir_),
               &out),
            0)
      << out;

  const std::string store = dir_ + "/kube.db";
  {
    ::setenv("TRIMTAB_NOW", std::to_string(kEnd + 3600).c_str(), 1);
    Process agent;
    int port = 0;
    ASSERT_TRUE(startAgent(agent, store, port, "kube", "1800", {"--wal-retention", "172800", "--kubeconfig", kubeconfig}))
        << agent.err();
    ::unsetenv("TRIMTAB_NOW");
    EXPECT_EQ(sendAll(fmt::format("http://127.0.0.1:{}/api/v1/write", port), collector_.series, 2000), 0);
    ASSERT_TRUE(waitFolded(port)) << agent.err();
    if (metric(port, "trimtab_remote_write_late_requests_total") > 0) {
      for (int i = 0; i < 100 && metric(port, "trimtab_hours_refolded_total") <= 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    }
    agent.kill(SIGTERM);
    EXPECT_EQ(agent.wait(60), 0) << agent.err();
  }
  bool listed_pods = false;
  for (const std::string& line : api.requestLog()) listed_pods = listed_pods || line.starts_with("GET /api/v1/pods?");
  EXPECT_TRUE(listed_pods) << "the agent listed pods from the API";

  // By controller and by a pod label: both need the objects (owners, labels).
  for (const char* aggregate : {"controller", "label:app"}) {
    auto run = [&](const std::string& db) {
      std::string o;
      EXPECT_EQ(sh(fmt::format("{} allocation --store {} --window {},{} --aggregate {} --format json", TRIMTAB_BINARY,
                               db, kEnd - 86400, kEnd, aggregate),
                   &o),
                0)
          << o;
      std::map<std::string, double> by;
      const json j = json::parse(o);
      for (const auto& set : j["data"]) {
        for (const auto& [name, a] : set.items()) by[name] += a["totalCost"].get<double>();
      }
      return by;
    };
    const auto full = run(dir_ + "/full.db"), live = run(store);
    ASSERT_GT(full.size(), 3u) << aggregate;
    EXPECT_EQ(live.size(), full.size()) << aggregate;
    for (const auto& [name, cost] : full) {
      ASSERT_TRUE(live.contains(name)) << aggregate << " " << name;
      EXPECT_NEAR(live.at(name), cost, 1e-4 + 1e-9 * cost) << aggregate << " " << name;
    }
  }
}

TEST_F(AgentDemo, KillNineAfterAcknowledgementLosesNothing) {
  const std::string store = dir_ + "/crash.db";
  std::string acked_body;
  {
    Process agent;
    int port = 0;
    // A long grace: nothing is folded before the kill, everything lives only in the WAL.
    ASSERT_TRUE(agent.start({TRIMTAB_BINARY, "agent", "--store", store, "--listen", "127.0.0.1:0", "--cluster", "demo",
                             "--grace", "86400", "--quiet"},
                            dir_ + "/crash.out", dir_ + "/crash.err"));
    for (int i = 0; i < 500 && agent.out().find('\n') == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::string out = agent.out();
    ASSERT_NE(out.find("listening on"), std::string::npos) << agent.err();
    port = std::stoi(out.substr(out.rfind(':') + 1));
    EXPECT_EQ(sendAll(fmt::format("http://127.0.0.1:{}/api/v1/write", port), collector_.series, 5000), 0);
    agent.kill(SIGKILL);
  }
  // Restart with the normal grace: the hours are folded from the WAL.
  Process again;
  int port = 0;
  ASSERT_TRUE(startAgent(again, store, port, "crash2")) << again.err();
  ASSERT_TRUE(waitFolded(port)) << again.err();
  // A second restart folds nothing twice.
  again.kill(SIGKILL);
  Process third;
  ASSERT_TRUE(startAgent(third, store, port, "crash3")) << third.err();
  ASSERT_TRUE(waitFolded(port));
  third.kill(SIGTERM);
  EXPECT_EQ(third.wait(20), 0);
  const std::string offline = allocation(dir_ + "/offline.db");
  const std::string online = allocation(store);
  const double a = total(offline, "totalCost"), b = total(online, "totalCost");
  EXPECT_NEAR(b, a, 1e-5 * static_cast<double>(count(offline)));
}

TEST_F(AgentDemo, LateSamplesRefoldTheirHours) {
  // First half of the day arrives, every hour gets folded (now is past the whole day), then
  // the second half arrives late: those hours are folded again from the WAL.
  const std::string store = dir_ + "/late.db";
  std::vector<remote::Series> first, second;
  for (const remote::Series& s : collector_.series) {
    remote::Series a, b;
    a.labels = b.labels = s.labels;
    for (const auto& sample : s.samples) {
      (sample.second < (kEnd - 43200) * 1000 ? a : b).samples.push_back(sample);
    }
    if (!a.samples.empty()) first.push_back(std::move(a));
    if (!b.samples.empty()) second.push_back(std::move(b));
  }
  ::setenv("TRIMTAB_NOW", std::to_string(kEnd + 7200).c_str(), 1);
  Process agent;
  int port = 0;
  ASSERT_TRUE(startAgent(agent, store, port, "late", "0", {"--wal-retention", "172800"})) << agent.err();
  ::unsetenv("TRIMTAB_NOW");
  const std::string url = fmt::format("http://127.0.0.1:{}/api/v1/write", port);
  EXPECT_EQ(sendAll(url, first, 5000), 0);
  ASSERT_TRUE(waitFolded(port)) << agent.err();
  EXPECT_EQ(sendAll(url, second, 5000), 0);
  ASSERT_TRUE(waitFolded(port, 12)) << agent.err();
  EXPECT_GT(metric(port, "trimtab_remote_write_late_requests_total"), 0);
  agent.kill(SIGTERM);
  EXPECT_EQ(agent.wait(60), 0);
  const std::string offline = allocation(dir_ + "/offline.db");
  const std::string online = allocation(store);
  ASSERT_EQ(count(online), count(offline));
  const double rounding = 1e-5 * static_cast<double>(count(offline));
  for (const char* field : {"cpuCoreHours", "ramByteHours", "gpuHours", "totalCost"}) {
    const double a = total(offline, field), b = total(online, field);
    EXPECT_NEAR(b, a, rounding + std::abs(a) * 1e-12) << field;
  }
}

TEST_F(AgentDemo, UndecodableBodiesAre400AndNothingIsStored) {
  const std::string store = dir_ + "/bad.db";
  Process agent;
  int port = 0;
  ASSERT_TRUE(startAgent(agent, store, port, "bad")) << agent.err();
  const std::string url = fmt::format("http://127.0.0.1:{}/api/v1/write", port);
  std::string response;
  EXPECT_EQ(post(url, "definitely not snappy", &response), 400);
  EXPECT_NE(response.find("snappy"), std::string::npos) << response;
  response.clear();
  EXPECT_EQ(post(url, remote::snappyCompress("\x0a\x05\x0a\x03\x0a\x01"), &response), 400);  // truncated protobuf
  EXPECT_NE(response.find("byte"), std::string::npos) << response;
  const std::string huge(40u << 20, 'x');
  EXPECT_EQ(post(url, huge), 413);
  EXPECT_EQ(httpGet(url).status, 405);
  // An empty request is fine (Prometheus sends none, but it is valid).
  EXPECT_EQ(post(url, remote::snappyCompress("")), 204);
  const std::string m = httpGet(fmt::format("http://127.0.0.1:{}/metrics", port)).body;
  EXPECT_NE(m.find("trimtab_remote_write_rejected_total 2"), std::string::npos);
  EXPECT_TRUE(agent.running());
}

// Series text as `promtool tsdb dump` prints it: {a="b", __name__="m", ...} sorted by name.
std::string seriesKey(std::vector<std::pair<std::string, std::string>> labels) {
  std::sort(labels.begin(), labels.end());
  std::string key = "{";
  for (const auto& [n, v] : labels) {
    if (key.size() > 1) key += ", ";
    key += n + "=\"" + v + "\"";
  }
  return key + "}";
}

// Every sample in the agent's write-ahead log: "<series> <timestamp ms>" -> times seen.
class WalCollector final : public source::SampleSink {
 public:
  void onSample(const source::Sample& s) override {
    std::vector<std::pair<std::string, std::string>> labels;
    labels.emplace_back("__name__", std::string(s.metric));
    for (std::size_t i = 0; i < s.label_count; ++i) {
      labels.emplace_back(std::string(s.labels[i].name), std::string(s.labels[i].value));
    }
    seen[seriesKey(std::move(labels)) + " " + std::to_string(s.timestamp_ms)]++;
  }
  std::map<std::string, int> seen;
};

// Issue test (c): the real Prometheus 2.42 remote-writes its own metrics to the agent; the agent
// is killed with SIGKILL mid-stream and restarted on the same port; Prometheus retries. Then every
// sample in Prometheus' own TSDB (promtool tsdb dump) from the first one the agent logged on is in
// the agent's write-ahead log, nothing else is, and every sample Prometheus counted as sent
// (prometheus_remote_storage_samples_total) arrived.
TEST_F(AgentDemo, RealPrometheusRemoteWritesToTheAgent) {
  if (!fs::exists("/usr/bin/prometheus") || !fs::exists("/usr/bin/promtool")) {
    GTEST_SKIP() << "needs /usr/bin/prometheus and /usr/bin/promtool (Debian package prometheus)";
  }
  const std::string d = dir_ + "/prom";
  fs::create_directories(d);
  const std::string store = d + "/agent.db";
  const int agent_port = testsupport::unusedLoopbackPort(), prom_port = testsupport::unusedLoopbackPort();
  auto start = [&](Process& p, const std::string& tag) {
    int port = 0;
    return startAgent(p, store, port, tag, "600", {"--listen", fmt::format("127.0.0.1:{}", agent_port)});
  };
  auto received = [&] {
    const std::string m = httpGet(fmt::format("http://127.0.0.1:{}/metrics", agent_port)).body;
    const auto at = m.find("\ntrimtab_remote_write_samples_total ");
    return at == std::string::npos ? 0.0 : std::stod(m.substr(m.find(' ', at + 1) + 1));
  };
  auto promMetric = [&](const std::string& name) {
    const std::string m = httpGet(fmt::format("http://127.0.0.1:{}/metrics", prom_port)).body;
    double sum = 0;
    for (std::size_t at = m.find("\n" + name); at != std::string::npos; at = m.find("\n" + name, at + 1)) {
      const auto line_end = m.find('\n', at + 1);
      const std::string line = m.substr(at + 1, line_end - at - 1);
      if (line.rfind(name + "{", 0) == 0 || line.rfind(name + " ", 0) == 0) sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  };
  auto waitFor = [&](const std::function<bool()>& done, int tenths) {
    for (int i = 0; i < tenths && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return done();
  };

  Process agent;
  ASSERT_TRUE(start(agent, "prom1")) << agent.err();
  std::ofstream(d + "/prometheus.yml") << fmt::format(
      "global: {{scrape_interval: 1s}}\n"
      "scrape_configs:\n"
      "  - job_name: self\n"
      "    static_configs: [{{targets: ['127.0.0.1:{0}']}}]\n"
      "remote_write:\n"
      "  - url: http://127.0.0.1:{1}/api/v1/write\n"
      "    queue_config: {{batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s}}\n",
      prom_port, agent_port);
  Process prom;
  ASSERT_TRUE(prom.start({"/usr/bin/prometheus", "--config.file=" + d + "/prometheus.yml",
                          "--storage.tsdb.path=" + d + "/data", "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                         d + "/out", d + "/err"));
  ASSERT_TRUE(waitFor([&] { return received() >= 2000; }, 600)) << prom.err().substr(0, 3000);

  // Mid-stream: SIGKILL, a few seconds down (Prometheus retries), then the same port again.
  agent.kill(SIGKILL);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  Process again;
  ASSERT_TRUE(start(again, "prom2")) << again.err();
  ASSERT_TRUE(waitFor([&] { return received() >= 2000; }, 600)) << again.err();
  // Drained: nothing pending, then what Prometheus counts as sent.
  ASSERT_TRUE(waitFor([&] { return promMetric("prometheus_remote_storage_samples_pending") == 0; }, 100));
  // samples_total counts every attempt; the ones retried after the kill are counted again in
  // samples_retried_total.
  const double retried = promMetric("prometheus_remote_storage_samples_retried_total");
  const double sent = promMetric("prometheus_remote_storage_samples_total") - retried;
  EXPECT_GT(retried, 0) << "the kill happened mid-stream: some sends failed and were retried";
  const double failed = promMetric("prometheus_remote_storage_samples_failed_total");
  EXPECT_EQ(failed, 0) << "no sample was dropped as unsendable";
  prom.kill(SIGTERM);  // flushes its queue to the agent before exiting
  ASSERT_EQ(prom.wait(90), 0) << prom.err().substr(0, 3000);
  EXPECT_NE(httpGet(fmt::format("http://127.0.0.1:{}/metrics", agent_port)).body.find("trimtab_remote_write_rejected_total 0"),
            std::string::npos);
  again.kill(SIGTERM);
  ASSERT_EQ(again.wait(60), 0) << again.err();

  WalCollector wal_samples;
  {
    auto wal = remote::Wal::open(store + ".wal");
    ASSERT_TRUE(wal) << wal.error().message;
    ASSERT_TRUE((*wal)->scan(0, std::numeric_limits<std::int64_t>::max(), [&](std::string_view body) -> Status {
      auto raw = remote::snappyUncompress(body, 1u << 30);
      if (!raw) return fail(raw.error());
      auto decoded = remote::decodeWriteRequest(*raw, &wal_samples);
      if (!decoded) return fail(decoded.error());
      return {};
    }));
  }
  std::int64_t first_ms = std::numeric_limits<std::int64_t>::max();
  std::size_t total = 0, duplicates = 0;
  for (const auto& [key, n] : wal_samples.seen) {
    first_ms = std::min<std::int64_t>(first_ms, std::stoll(key.substr(key.rfind(' ') + 1)));
    total += static_cast<std::size_t>(n);
    duplicates += static_cast<std::size_t>(n - 1);
  }
  EXPECT_GE(static_cast<double>(total), sent) << "every sample Prometheus reports sent arrived";

  std::string dump;
  ASSERT_EQ(sh(fmt::format("/usr/bin/promtool tsdb dump {}/data 2>/dev/null", d), &dump), 0);
  std::size_t in_tsdb = 0, missing = 0;
  std::set<std::string> tsdb_keys;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    const auto sp = line.rfind(' ');
    const auto vs = line.rfind(' ', sp - 1);
    if (sp == std::string::npos || vs == std::string::npos) continue;
    const std::int64_t ts = std::stoll(line.substr(sp + 1));
    if (ts < first_ms) continue;  // before the agent's first record: never offered to it
    const std::string key = line.substr(0, vs) + " " + line.substr(sp + 1);
    tsdb_keys.insert(key);
    ++in_tsdb;
    if (!wal_samples.seen.contains(key) && ++missing <= 5) ADD_FAILURE() << "lost: " << key;
  }
  EXPECT_GT(in_tsdb, 2000u);
  EXPECT_EQ(missing, 0u) << "of " << in_tsdb;
  std::size_t spurious = 0;
  for (const auto& [key, n] : wal_samples.seen) spurious += tsdb_keys.contains(key) ? 0 : 1;
  EXPECT_EQ(spurious, 0u) << "samples in the log that Prometheus does not have";
  // A batch acknowledged by neither side of the kill may be sent again: the log may hold it twice
  // (the fold counts each sample once); nothing else repeats.
  EXPECT_LE(duplicates, 2000u);
  std::printf("remote-write through SIGKILL: %zu samples in Prometheus' TSDB since the agent's first, %zu in the "
              "agent's log (%zu repeats of a resent batch), %.0f counted sent by Prometheus (%.0f sends retried)\n",
              in_tsdb, total, duplicates, sent, retried);
}

}  // namespace
}  // namespace trimtab::testing
