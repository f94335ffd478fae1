// `trimtab serve` end to end: the real binary on port 0, a real HTTP client (libcurl), the
// OpenAPI schemas in docs/openapi.yaml, parity with the CLI, caching and late-data
// invalidation, limits, authentication, TLS with openssl-made certificates, a slow client,
// graceful shutdown, kill -9 and restart, and the real Prometheus scraping /metrics.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include <fmt/format.h>

#include "harness.h"
#include "schema.h"
#include "store/store.h"

namespace trimtab::testing {
namespace {

using nlohmann::json;

constexpr long long kEnd = 1767225600;  // 2026-01-01T00:00:00Z

class ServerDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_ALL);
    dir_ = makeTempDir("trimtab-server");
    std::string out;
    const int rc = sh(fmt::format("{} demo --nodes 4 --days 2 --seed 7 --end {} --out {} 2>&1", TRIMTAB_BINARY,
                                  kEnd, dir_),
                      &out);
    ASSERT_EQ(rc, 0) << out;
    server_ = new Server();
    ASSERT_TRUE(server_->start(store(), {}, dir_)) << server_->process.err();
    schema_ = new SchemaChecker(YAML::LoadFile(std::string(TRIMTAB_SOURCE_DIR) + "/docs/openapi.yaml"));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete schema_;
    fs::remove_all(dir_);
  }
  static std::string store() { return dir_ + "/store.db"; }
  // The last day of the demo, as an RFC3339 pair (no dependence on the wall clock).
  static std::string window() { return "2025-12-31T00:00:00Z,2026-01-01T00:00:00Z"; }
  static std::string twoDays() { return "2025-12-30T00:00:00Z,2026-01-01T00:00:00Z"; }
  static std::string unixWindow() { return fmt::format("{},{}", kEnd - 86400, kEnd); }

  static inline std::string dir_;
  static inline Server* server_ = nullptr;
  static inline SchemaChecker* schema_ = nullptr;
};

std::string joined(const std::vector<std::string>& errors) {
  std::string s;
  for (std::size_t i = 0; i < errors.size() && i < 10; ++i) s += errors[i] + "\n";
  return s;
}

TEST_F(ServerDemo, EveryEndpointMatchesItsOpenApiSchema) {
  const std::string w = window();
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"/allocation", "/allocation?window=" + w + "&aggregate=namespace&includeIdle=true&step=12h"},
      {"/allocation/compute", "/allocation/compute?window=" + w},
      // The OpenCost UI's default call, under /model/ as Kubecost clients send it.
      {"/allocation/compute",
       "/model/allocation/compute?window=" + w + "&aggregate=namespace&includeIdle=true&step=1d&accumulate=false"},
      {"/allocation", "/allocation?window=" + w +
                          "&aggregate=controller&shareIdle=true&includeProportionalAssetResourceCosts=true"
                          "&includeAggregatedMetadata=true&shareNamespaces=kube-system&shareSplit=even"},
      {"/allocation/summary", "/allocation/summary?window=" + w + "&aggregate=namespace&step=6h"},
      {"/assets", "/assets?window=" + w},
      {"/assets", "/model/assets?window=" + w + "&filter=assetType:%22node%22"},
      {"/api/v1/status", "/api/v1/status"},
      {"/api/v1/prices", "/api/v1/prices?window=" + w},
      {"/api/v1/sharing", "/api/v1/sharing?window=" + w + "&aggregate=namespace&shareNamespaces=kube-system"},
      {"/api/v1/recommendations", "/api/v1/recommendations?window=" + twoDays() + "&strategy=krr&minHistoryHours=12"},
      {"/api/v1/recommendations", "/api/v1/recommendations?window=" + twoDays() + "&filter=namespace:%22shop%22"},
      {"/healthz", "/healthz"},
      {"/readyz", "/readyz"},
  };
  for (const auto& [spec_path, target] : calls) {
    SCOPED_TRACE(target);
    const HttpResult r = httpGet(server_->url(target));
    ASSERT_EQ(r.status, 200) << r.error << r.body.substr(0, 300);
    EXPECT_EQ(r.header("content-type"), "application/json");
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << "not JSON: " << r.body.substr(0, 200);
    const std::string schema = schema_->responseSchema(spec_path);
    ASSERT_FALSE(schema.empty()) << "no schema for " << spec_path << " in docs/openapi.yaml";
    const auto errors = schema_->check(body, schema);
    EXPECT_TRUE(errors.empty()) << joined(errors);
  }
  // Recommendations are real: workloads with enough history get one, with a reason.
  const json recs = json::parse(httpGet(server_->url("/api/v1/recommendations?window=" + twoDays() +
                                                    "&strategy=krr&minHistoryHours=12")).body);
  EXPECT_GT(recs["data"]["totals"]["withRecommendation"].get<int>(), 0);
  // Sharing responses do carry breakdowns.
  const HttpResult shared =
      httpGet(server_->url("/api/v1/sharing?window=" + w + "&aggregate=namespace&shareNamespaces=kube-system"));
  EXPECT_NE(shared.body.find("sharedCostBreakdown"), std::string::npos);
}

TEST_F(ServerDemo, AnswersEqualTheCli) {
  std::string cli_json, cli_csv;
  ASSERT_EQ(sh(fmt::format("{} allocation --store {} --window {} --aggregate namespace --include-idle --step 12h "
                           "--format json",
                           TRIMTAB_BINARY, store(), unixWindow()),
               &cli_json),
            0);
  ASSERT_EQ(sh(fmt::format("{} allocation --store {} --window {} --aggregate controller --format csv", TRIMTAB_BINARY,
                           store(), unixWindow()),
               &cli_csv),
            0);
  const HttpResult r =
      httpGet(server_->url("/allocation?window=" + unixWindow() + "&aggregate=namespace&includeIdle=true&step=12h"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body + "\n", cli_json);
  const HttpResult csv = httpGet(server_->url("/allocation?window=" + unixWindow() + "&aggregate=controller&format=csv"));
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body, cli_csv);
}

TEST_F(ServerDemo, SecondIdenticalQueryIsACacheHit) {
  const std::string target = "/allocation?window=" + window() + "&aggregate=pod&step=2h";
  const HttpResult first = httpGet(server_->url(target));
  const HttpResult second = httpGet(server_->url(target));
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(first.header("x-trimtab-cache"), "miss");
  EXPECT_EQ(second.header("x-trimtab-cache"), "hit");
  EXPECT_EQ(first.body, second.body);
  // The same query spelled differently (unix pair, parameter order) is the same entry.
  const HttpResult third = httpGet(server_->url("/allocation?step=2h&aggregate=pod&window=" + unixWindow()));
  EXPECT_EQ(third.header("x-trimtab-cache"), "hit");
  EXPECT_EQ(third.body, first.body);
}

TEST_F(ServerDemo, GzipWhenTheClientAcceptsIt) {
  const std::string target = "/allocation?window=" + window() + "&aggregate=controller&step=6h";
  HttpOptions gz;
  gz.gzip = true;
  const HttpResult miss = httpGet(server_->url(target), gz);
  const HttpResult hit = httpGet(server_->url(target), gz);
  const HttpResult plain = httpGet(server_->url(target));
  ASSERT_EQ(miss.status, 200);
  EXPECT_EQ(miss.header("content-encoding"), "gzip");
  EXPECT_EQ(hit.header("content-encoding"), "gzip");
  EXPECT_EQ(hit.header("x-trimtab-cache"), "hit");
  EXPECT_EQ(plain.header("content-encoding"), "");
  EXPECT_EQ(plain.header("vary"), "Accept-Encoding");
  EXPECT_EQ(miss.body, plain.body);  // libcurl inflated it
  EXPECT_EQ(hit.body, plain.body);
  EXPECT_LT(std::stoul(hit.header("content-length")), plain.body.size() / 3);
}

TEST_F(ServerDemo, BadRequestsGetJsonErrorsNamingTheParameter) {
  struct Case {
    std::string target;
    long status;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"/allocation", 400, "window is required"},
      {"/allocation?window=7x", 400, "window"},
      {"/allocation?window=1d&aggregate=planet", 400, "aggregate"},
      {"/allocation?window=1d&includeIdle=maybe", 400, "includeIdle"},
      {"/allocation?window=1d&step=10m", 400, "step"},
      {"/allocation?window=1d&filter=namespace%3D%22x%22", 400, "filter"},
      {"/allocation?window=1d&shareSplit=half", 400, "shareSplit"},
      {"/allocation?window=1d&format=xml", 400, "format"},
      {"/allocation?window=1d&limit=-3", 400, "limit"},
      {"/allocation?window=%ZZ", 400, "percent-escape"},
      {"/allocation?window=3000d", 400, "at most"},
      {"/assets?window=1d&filter=bogus%3A", 400, "filter"},
      {"/api/v1/recommendations?strategy=magic", 400, "strategy"},
      {"/nope", 404, "no such endpoint"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    const HttpResult r = httpGet(server_->url(c.target));
    EXPECT_EQ(r.status, c.status) << r.body;
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << r.body;
    EXPECT_TRUE(schema_->check(body, "Error").empty()) << r.body;
    EXPECT_NE(r.body.find(c.needle), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find(dir_), std::string::npos) << "a file path leaked: " << r.body;
  }
  // HEAD: the GET answer's headers, no body.
  HttpOptions head;
  head.method = "HEAD";
  const std::string target = "/allocation?window=" + window() + "&aggregate=namespace";
  const HttpResult got = httpGet(server_->url(target));
  const HttpResult headed = httpGet(server_->url(target), head);
  EXPECT_EQ(headed.status, 200) << headed.error;
  EXPECT_TRUE(headed.body.empty());
  EXPECT_EQ(headed.header("content-length"), std::to_string(got.body.size()));
  HttpOptions post;
  post.method = "POST";
  const HttpResult r = httpGet(server_->url("/allocation?window=1d"), post);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET, HEAD");
}

TEST_F(ServerDemo, OffsetAndLimitKeepTheMostExpensive) {
  const std::string base = "/allocation?window=" + window() + "&aggregate=pod";
  const json all = json::parse(httpGet(server_->url(base)).body);
  const json top = json::parse(httpGet(server_->url(base + "&limit=3")).body);
  const json next = json::parse(httpGet(server_->url(base + "&offset=3&limit=3")).body);
  std::vector<std::pair<double, std::string>> costs;
  for (const auto& [name, a] : all["data"][0].items()) costs.emplace_back(-a["totalCost"].get<double>(), name);
  std::sort(costs.begin(), costs.end());
  ASSERT_GE(costs.size(), 6u);
  ASSERT_EQ(top["data"][0].size(), 3u);
  ASSERT_EQ(next["data"][0].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(top["data"][0].contains(costs[i].second)) << costs[i].second;
    EXPECT_TRUE(next["data"][0].contains(costs[i + 3].second)) << costs[i + 3].second;
  }
}

TEST_F(ServerDemo, OversizedAnswersAre413) {
  Server small;
  ASSERT_TRUE(small.start(store(), {"--max-response-bytes", "20000", "--quiet"}, makeTempDir("trimtab-413")));
  const HttpResult r = httpGet(small.url("/allocation?window=" + window()));
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("limit of 20000 bytes"), std::string::npos) << r.body;
  EXPECT_EQ(httpGet(small.url("/allocation?window=" + window() + "&aggregate=cluster")).status, 200);
}

TEST_F(ServerDemo, QueriesOverTheTimeLimitAre503) {
  Server slow;
  ASSERT_TRUE(slow.start(store(), {"--query-timeout", "0.0002", "--quiet"}, makeTempDir("trimtab-503")));
  const HttpResult r = httpGet(slow.url("/allocation?window=" + twoDays() + "&step=1h"));
  EXPECT_EQ(r.status, 503) << r.body.substr(0, 200);
  EXPECT_NE(r.body.find("did not finish within"), std::string::npos);
  // The server keeps answering.
  EXPECT_EQ(httpGet(slow.url("/healthz")).status, 200);
}

TEST_F(ServerDemo, ConcurrencyLimitAnswers429WithRetryAfter) {
  Server busy;
  ASSERT_TRUE(busy.start(store(), {"--workers", "1", "--max-concurrent-queries", "1", "--cache-mb", "0", "--quiet"},
                         makeTempDir("trimtab-429")));
  std::vector<HttpResult> results(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      results[i] = httpGet(busy.url(fmt::format("/allocation?window={}&step=1h&aggregate=pod&offset={}", twoDays(), i)));
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0, rejected = 0;
  for (auto& r : results) {
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++rejected;
      EXPECT_EQ(r.header("retry-after"), "1");
      EXPECT_NE(r.body.find("too many concurrent queries"), std::string::npos);
    }
  }
  EXPECT_EQ(ok + rejected, 8);
  EXPECT_GE(ok, 1);
  EXPECT_GE(rejected, 1);
}

TEST_F(ServerDemo, LateDataInvalidatesExactlyTheAffectedAnswers) {
  const std::string dir = makeTempDir("trimtab-late");
  fs::copy_file(store(), dir + "/store.db");
  Server s;
  ASSERT_TRUE(s.start(dir + "/store.db", {"--quiet"}, dir));
  const std::string day2 = "/allocation?window=" + window() + "&aggregate=cluster";
  const std::string day1 = "/allocation?window=2025-12-30T00:00:00Z,2025-12-31T00:00:00Z&aggregate=cluster";
  const HttpResult before = httpGet(s.url(day2));
  const HttpResult other = httpGet(s.url(day1));
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(httpGet(s.url(day2)).header("x-trimtab-cache"), "hit");

  // Another process (here: this test) re-commits the last hour with doubled CPU cost.
  {
    auto st = store::openSqliteStore(dir + "/store.db", store::OpenMode::kReadWrite);
    ASSERT_TRUE(st.has_value()) << st.error().message;
    auto blocks = (*st)->listBlocks("", store::BlockKind::kHour, kEnd - 3600, kEnd);
    ASSERT_TRUE(blocks.has_value());
    ASSERT_EQ(blocks->size(), 1u);
    auto block = (*st)->readBlock(blocks->front(), store::ColumnSelection::all());
    ASSERT_TRUE(block.has_value());
    for (double& c : block->containers.cpu_cost) c *= 2;
    for (double& c : block->nodes.cpu_cost) c *= 2;
    std::vector<store::Block> late;
    late.push_back(std::move(*block));
    ASSERT_TRUE((*st)->commit(std::move(late)).has_value());
  }
  HttpResult after;
  for (int i = 0; i < 100; ++i) {
    after = httpGet(s.url(day2));
    if (after.body != before.body) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(after.body, before.body) << "the cached answer was not invalidated";
  const double cost_before = json::parse(before.body)["data"][0]["demo"]["cpuCost"].get<double>();
  const double cost_after = json::parse(after.body)["data"][0]["demo"]["cpuCost"].get<double>();
  EXPECT_GT(cost_after, cost_before);
  // The previous day's answer did not overlap the change and stays cached.
  const HttpResult other_again = httpGet(s.url(day1));
  EXPECT_EQ(other_again.header("x-trimtab-cache"), "hit");
  EXPECT_EQ(other_again.body, other.body);
  fs::remove_all(dir);
}

TEST_F(ServerDemo, BearerTokenProtectsEverythingButHealthChecks) {
  const std::string dir = makeTempDir("trimtab-auth");
  const std::string token_file = dir + "/token";
  std::ofstream(token_file) << "s3cret-token-1\n";
  Server s;
  ASSERT_TRUE(s.start(store(), {"--token-file", token_file}, dir));
  const std::string target = "/allocation?window=" + window();
  EXPECT_EQ(httpGet(s.url(target)).status, 401);
  HttpOptions wrong;
  wrong.headers = {"Authorization: Bearer nope"};
  const HttpResult denied = httpGet(s.url(target), wrong);
  EXPECT_EQ(denied.status, 401);
  EXPECT_NE(denied.header("www-authenticate").find("Bearer"), std::string::npos);
  HttpOptions right;
  right.headers = {"Authorization: Bearer s3cret-token-1"};
  EXPECT_EQ(httpGet(s.url(target), right).status, 200);
  EXPECT_EQ(httpGet(s.url("/metrics")).status, 401);
  EXPECT_EQ(httpGet(s.url("/healthz")).status, 200);
  EXPECT_EQ(httpGet(s.url("/readyz")).status, 200);

  // Rotation: the file is re-read when it changes.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::ofstream(token_file) << "s3cret-token-2\n";
  HttpOptions rotated;
  rotated.headers = {"Authorization: Bearer s3cret-token-2"};
  long status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = httpGet(s.url(target), rotated).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(httpGet(s.url(target), right).status, 401);
  // A token file that disappears locks the API rather than opening it.
  fs::remove(token_file);
  for (int i = 0; i < 100 && status != 401; ++i) {
    status = httpGet(s.url(target), rotated).status;
    if (status != 401) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 401);
  s.process.kill(SIGTERM);
  s.process.wait(10);
  const std::string log = s.process.err();
  EXPECT_EQ(log.find("s3cret"), std::string::npos) << "a secret reached the request log";
  EXPECT_NE(log.find("GET /allocation"), std::string::npos);
  fs::remove_all(dir);
}

TEST_F(ServerDemo, TlsWithClientCertificates) {
  if (sh("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs the openssl command (Debian openssl)";
  const std::string d = makeTempDir("trimtab-tls");
  const std::string make = fmt::format(
      "cd {0} && "
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=trimtab-test-ca -keyout ca.key -out ca.crt && "
      "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr && "
      "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.crt && "
      "openssl req -newkey rsa:2048 -nodes -subj /CN=grafana -keyout client.key -out client.csr && "
      "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client.crt",
      d);
  std::string out;
  ASSERT_EQ(sh(make + " >/dev/null 2>&1", &out), 0);
  Server s;
  ASSERT_TRUE(s.start(store(), {"--tls-cert", d + "/server.crt", "--tls-key", d + "/server.key", "--client-ca",
                                d + "/ca.crt", "--quiet"},
                      d))
      << s.process.err();
  EXPECT_EQ(s.scheme, "https");
  HttpOptions mutual;
  mutual.ca_file = d + "/ca.crt";
  mutual.cert_file = d + "/client.crt";
  mutual.key_file = d + "/client.key";
  const HttpResult ok = httpGet(s.url("/allocation?window=" + window()), mutual);
  EXPECT_EQ(ok.status, 200) << ok.error;
  HttpOptions anonymous;
  anonymous.ca_file = d + "/ca.crt";
  const HttpResult refused = httpGet(s.url("/allocation?window=" + window()), anonymous);
  EXPECT_EQ(refused.status, 0) << "a client without a certificate was served";
  EXPECT_FALSE(refused.error.empty());
  // Plain HTTP to the TLS port gets no answer either, and the server keeps serving.
  EXPECT_NE(httpGet("http://127.0.0.1:" + std::to_string(s.port) + "/healthz").status, 200);
  EXPECT_EQ(httpGet(s.url("/healthz"), mutual).status, 200);
  // The real curl binary agrees.
  std::string curl_out;
  EXPECT_EQ(sh(fmt::format("curl -sf --cacert {0}/ca.crt --cert {0}/client.crt --key {0}/client.key '{1}'", d,
                           s.url("/healthz")),
               &curl_out),
            0);
  EXPECT_EQ(curl_out, "{\"status\":\"ok\"}");
  fs::remove_all(d);
}

TEST_F(ServerDemo, ASlowClientDoesNotBlockOthers) {
  Server s;
  ASSERT_TRUE(s.start(store(), {"--quiet", "--io-threads", "1"}, makeTempDir("trimtab-slow")));
  // A client that pipelines many requests for a large answer and never reads.
  const int fd = connectTo(s.port);
  ASSERT_GE(fd, 0);
  std::string req;
  for (int i = 0; i < 200; ++i) {
    req += "GET /allocation?window=" + twoDays() + "&step=1h HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Others are served while it sits on a full socket buffer.
  HttpOptions quick;
  quick.timeout_ms = 10000;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(httpGet(s.url("/healthz"), quick).status, 200);
    EXPECT_EQ(httpGet(s.url("/allocation?window=" + window() + "&aggregate=namespace"), quick).status, 200);
  }
  ::close(fd);
}

TEST_F(ServerDemo, SigtermFinishesInFlightRequestsThenExits) {
  Server s;
  ASSERT_TRUE(s.start(store(), {"--cache-mb", "0"}, makeTempDir("trimtab-term")));
  std::atomic<long> status{0};
  std::thread client([&] { status = httpGet(s.url("/allocation?window=" + twoDays() + "&step=1h")).status; });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  s.process.kill(SIGTERM);
  client.join();
  EXPECT_EQ(s.process.wait(20), 0);
  EXPECT_EQ(status.load(), 200);
  EXPECT_NE(s.process.err().find("stopped"), std::string::npos);
}

TEST_F(ServerDemo, KillNineThenRestartAnswersTheSame) {
  const std::string target = "/allocation?window=" + window() + "&aggregate=namespace&includeIdle=true";
  std::string before;
  {
    Server s;
    ASSERT_TRUE(s.start(store(), {"--quiet"}, makeTempDir("trimtab-kill")));
    std::vector<std::thread> load;
    std::atomic<bool> stop{false};
    for (int i = 0; i < 4; ++i) {
      load.emplace_back([&] {
        while (!stop) (void)httpGet(s.url("/allocation?window=" + twoDays() + "&step=1h&aggregate=pod"));
      });
    }
    before = httpGet(s.url(target)).body;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    s.process.kill(SIGKILL);
    stop = true;
    for (auto& t : load) t.join();
  }
  Server again;
  ASSERT_TRUE(again.start(store(), {"--quiet"}, makeTempDir("trimtab-kill2")));
  const HttpResult after = httpGet(again.url(target));
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, before);
}

double promValue(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || j["status"] != "success" || j["data"]["result"].empty()) return std::nan("");
  return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
}

double metricValue(const std::string& text, const std::string& prefix) {
  const auto found = text.find("\n" + prefix);
  if (found == std::string::npos) return std::nan("");
  const auto at = found + 1;
  const auto eol = text.find('\n', at);
  const std::string line = text.substr(at, eol - at);
  return std::stod(line.substr(line.rfind(' ') + 1));
}

TEST_F(ServerDemo, RealPrometheusScrapesOpenCostSeries) {
  if (!fs::exists("/usr/bin/prometheus")) GTEST_SKIP() << "needs /usr/bin/prometheus (Debian package prometheus)";
  const std::string d = makeTempDir("trimtab-scrape");
  const int prom_port = testsupport::unusedLoopbackPort();
  std::ofstream(d + "/prometheus.yml") << fmt::format(
      "global: {{scrape_interval: 1s}}\n"
      "scrape_configs:\n"
      "  - job_name: trimtab\n"
      "    static_configs: [{{targets: ['127.0.0.1:{}']}}]\n",
      server_->port);
  Process prom;
  ASSERT_TRUE(prom.start({"/usr/bin/prometheus", "--config.file=" + d + "/prometheus.yml",
                          "--storage.tsdb.path=" + d + "/data", "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                         d + "/prom.out", d + "/prom.err"));
  const std::string metrics = httpGet(server_->url("/metrics")).body;
  const std::string node_line_prefix = "node_total_hourly_cost{";
  ASSERT_NE(metrics.find(node_line_prefix), std::string::npos) << metrics.substr(0, 500);
  // Pick the first node's series from the exposition and read it back through PromQL.
  const auto at = metrics.find(node_line_prefix);
  const std::string line = metrics.substr(at, metrics.find('\n', at) - at);
  const auto node_at = line.find("node=\"") + 6;
  const std::string node = line.substr(node_at, line.find('"', node_at) - node_at);
  const double exposed = std::stod(line.substr(line.rfind(' ') + 1));
  double scraped = std::nan("");
  double count = std::nan("");
  for (int i = 0; i < 300 && (std::isnan(scraped) || std::isnan(count)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!prom.running()) break;
    const std::string base = "http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/query?query=";
    scraped = promValue(httpGet(base + "node_total_hourly_cost%7Bnode%3D%22" + node + "%22%7D").body);
    count = promValue(httpGet(base + "count(container_cpu_allocation)").body);
  }
  ASSERT_FALSE(std::isnan(scraped)) << prom.err().substr(0, 2000);
  EXPECT_NEAR(scraped, exposed, 1e-9);
  EXPECT_GT(exposed, 0);
  EXPECT_GT(count, 10);
  // A dashboard-style join works: node cost per core × cores is the node's CPU cost rate.
  const std::string q = "http://127.0.0.1:" + std::to_string(prom_port) +
                        "/api/v1/query?query=sum(trimtab_http_requests_total)";
  EXPECT_GT(promValue(httpGet(q).body), 0);
  EXPECT_FALSE(std::isnan(metricValue(metrics, "trimtab_ingest_lag_seconds ")));
  prom.kill(SIGTERM);
  prom.wait(10);
  fs::remove_all(d);
}

}  // namespace
}  // namespace trimtab::testing
