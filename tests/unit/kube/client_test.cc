// KubeClient and Reflector against the TLS fixture server.
#include "kube/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "kube/reflector.h"
#include "test_util.h"

namespace trimtab::kube {
namespace {

using fixture::Server;
using testutil::writeFile;

class KubeClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TRIMTAB_REQUIRE_OPENSSL();
    ASSERT_TRUE(fx_.start()) << fx_.error;
    deployment_ = testutil::loadData("deployment.json");
    node_ = testutil::loadData("node.json");
  }

  void addPods(int n, const std::string& ns = "shop") {
    for (int i = 0; i < n; ++i) {
      fx_.server->create(Kind::kPod,
                         Server::podFromTemplate(deployment_, ns, "web-" + std::to_string(i),
                                                 "node-" + std::to_string(i % 3)));
    }
  }

  // Client-certificate auth with the CA from a file.
  RestConfig certConfig() {
    RestConfig rc;
    rc.server = fx_.server->url();
    rc.tls.ca_file = fx_.certs.ca_cert;
    rc.tls.client_cert_file = fx_.certs.client_cert;
    rc.tls.client_key_file = fx_.certs.client_key;
    rc.origin = "test";
    return rc;
  }
  RestConfig tokenConfig() {
    RestConfig rc;
    rc.server = fx_.server->url();
    rc.tls.ca_pem = testutil::readFile(fx_.certs.ca_cert);
    rc.auth.bearer_token = "secret-token";
    rc.origin = "test";
    return rc;
  }

  std::unique_ptr<KubeClient> client(RestConfig rc, KubeClientOptions o = {}) {
    http::Env env;
    env.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    auto c = KubeClient::create(std::move(rc), o, env);
    EXPECT_TRUE(c) << c.error().message;
    return c ? std::move(*c) : nullptr;
  }

  std::size_t countRequests(const std::string& needle) {
    std::size_t n = 0;
    for (const auto& l : fx_.server->requestLog()) n += l.find(needle) != std::string::npos;
    return n;
  }

  testutil::TlsFixture fx_;
  nlohmann::json deployment_, node_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(KubeClientTest, PaginatedListWithClientCertificate) {
  addPods(1234);
  fx_.server->create(Kind::kNode, Server::nodeFromTemplate(node_, "node-0"));
  KubeClientOptions o;
  o.page_size = 100;
  o.batch_bytes = 64 * 1024;
  auto c = client(certConfig(), o);
  ASSERT_TRUE(c);
  std::size_t pods = 0, batches = 0;
  auto meta = c->list(Kind::kPod, [&](model::DecodeResult&& r) -> Status {
    pods += r.objects.pods.size();
    ++batches;
    for (const auto& p : r.objects.pods) {
      EXPECT_EQ(p.containers.at(0).requests.cpu_millicores, 100);
      EXPECT_EQ(p.meta.owner_references.at(0).kind, "ReplicaSet");
    }
    return {};
  });
  ASSERT_TRUE(meta) << meta.error().message;
  EXPECT_EQ(pods, 1234u);
  EXPECT_EQ(meta->items, 1234u);
  EXPECT_GE(batches, 13u);
  EXPECT_EQ(countRequests("GET /api/v1/pods?limit=100"), 13u);
  EXPECT_EQ(countRequests("&continue="), 12u);
  EXPECT_EQ(countRequests(" cert"), 13u);
  // Nodes decode too.
  std::size_t nodes = 0;
  ASSERT_TRUE(c->list(Kind::kNode, [&](model::DecodeResult&& r) -> Status {
    nodes += r.objects.nodes.size();
    EXPECT_EQ(r.objects.nodes.at(0).allocatable.cpu_millicores, 3920);
    return {};
  }));
  EXPECT_EQ(nodes, 1u);
}

TEST_F(KubeClientTest, TokenTokenFileBasicAndAnonymous) {
  addPods(3);
  auto count = [](KubeClient& c) -> Result<std::size_t> {
    std::size_t n = 0;
    auto m = c.list(Kind::kPod, [&](model::DecodeResult&& r) -> Status {
      n += r.objects.pods.size();
      return {};
    });
    if (!m) return fail(m.error());
    return n;
  };
  auto c = client(tokenConfig());
  EXPECT_EQ(*count(*c), 3u);

  RestConfig file_rc = tokenConfig();
  file_rc.auth.bearer_token.clear();
  std::string token_file = fx_.dir + "/token";
  writeFile(token_file, "wrong-token\n");
  file_rc.auth.bearer_token_file = token_file;
  c = client(file_rc);
  auto r = count(*c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("HTTP 401 Unauthorized"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(fx_.server->url() + "/api/v1/pods?limit=500"),
            std::string::npos);
  EXPECT_NE(r.error().message.find("\"reason\":\"Unauthorized\""), std::string::npos);
  writeFile(token_file, "secret-token\n");  // rotated: re-read on change
  EXPECT_EQ(*count(*c), 3u);
  std::filesystem::remove(token_file);  // disappears
  r = count(*c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("token file " + token_file), std::string::npos)
      << r.error().message;

  RestConfig basic = tokenConfig();
  basic.auth.bearer_token.clear();
  basic.auth.basic_username = "admin";
  basic.auth.basic_password = "hunter2";
  c = client(basic);
  EXPECT_EQ(*count(*c), 3u);
  EXPECT_EQ(countRequests(" basic"), 1u);
}

TEST_F(KubeClientTest, InlineClientCertificateAndBadCertificates) {
  addPods(2);
  RestConfig rc = certConfig();
  rc.tls.client_cert_pem = testutil::readFile(fx_.certs.client_cert);
  rc.tls.client_key_pem = testutil::readFile(fx_.certs.client_key);
  rc.tls.client_cert_file.clear();
  rc.tls.client_key_file.clear();
  auto c = client(rc);
  EXPECT_TRUE(c->get("/version"));

  // A client certificate from an unknown CA fails the TLS handshake.
  RestConfig rogue = certConfig();
  rogue.tls.client_cert_file = fx_.certs.rogue_client_cert;
  rogue.tls.client_key_file = fx_.certs.rogue_client_key;
  KubeClientOptions no_retry;
  no_retry.retry.max_attempts = 1;
  c = client(rogue, no_retry);
  auto r = c->get("/version");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(fx_.server->url() + "/version"), std::string::npos)
      << r.error().message;

  // A server certificate not signed by the configured CA is refused.
  RestConfig wrong_ca = tokenConfig();
  wrong_ca.tls.ca_pem = testutil::readFile(fx_.certs.rogue_ca_cert);
  c = client(wrong_ca, no_retry);
  r = c->get("/version");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("certificate"), std::string::npos) << r.error().message;

  // ...unless insecure-skip-tls-verify.
  wrong_ca.tls.insecure_skip_verify = true;
  c = client(wrong_ca, no_retry);
  EXPECT_TRUE(c->get("/version"));
}

// kubeconfig tls-server-name: the certificate is checked against that name (the fixture's
// certificate names 127.0.0.1 and localhost), while the connection goes to the server URL.
TEST_F(KubeClientTest, TlsServerNameIsVerified) {
  KubeClientOptions no_retry;
  no_retry.retry.max_attempts = 1;
  RestConfig rc = tokenConfig();
  rc.tls.server_name = "localhost";
  auto c = client(rc, no_retry);
  EXPECT_TRUE(c->get("/version"));
  rc.tls.server_name = "api.wrong.example";
  c = client(rc, no_retry);
  auto r = c->get("/version");
  ASSERT_FALSE(r) << "a certificate that does not name tls-server-name must be refused";
  EXPECT_NE(r.error().message.find("certificate"), std::string::npos) << r.error().message;
  // And a kubeconfig carries both fields to the client.
  const std::string path = fx_.dir + "/kubeconfig-sni";
  testutil::writeFile(path, "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n"
                            "    server: " + fx_.server->url() + "\n    tls-server-name: localhost\n"
                            "    proxy-url: http://127.0.0.1:3128\n    certificate-authority: " + fx_.certs.ca_cert +
                            "\nusers:\n- name: u\n  user: {token: secret-token}\n"
                            "contexts:\n- name: c\n  context: {cluster: k, user: u}\n");
  LoadOptions lo;
  lo.kubeconfig_path = path;
  auto loaded = loadRestConfig(lo);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->tls.server_name, "localhost");
  EXPECT_EQ(loaded->proxy_url, "http://127.0.0.1:3128");
}

// kubeconfig proxy-url: requests go through the proxy (an HTTPS API through CONNECT).
TEST_F(KubeClientTest, ProxyUrlIsUsed) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(lfd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string first_line;
  std::thread proxy([&] {
    const int fd = ::accept(lfd, nullptr, nullptr);
    if (fd < 0) return;
    char buf[1024];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) first_line.assign(buf, static_cast<std::size_t>(n));
    const char refuse[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    (void)!::send(fd, refuse, sizeof refuse - 1, 0);
    ::close(fd);
  });
  RestConfig rc = tokenConfig();
  rc.proxy_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  KubeClientOptions no_retry;
  no_retry.retry.max_attempts = 1;
  auto c = client(rc, no_retry);
  auto r = c->get("/version");
  proxy.join();
  ::close(lfd);
  EXPECT_FALSE(r) << "the proxy refused the tunnel";
  const std::string host_port = fx_.server->url().substr(fx_.server->url().find("://") + 3);
  EXPECT_EQ(first_line.rfind("CONNECT " + host_port + " HTTP/1.1", 0), 0u) << first_line;
}

TEST_F(KubeClientTest, ExecPluginCredentials) {
  addPods(2);
  std::string plugin = fx_.dir + "/plugin.sh";
  writeFile(plugin, R"(#!/bin/sh
echo run >> "$(dirname "$0")/runs"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"secret-token","expirationTimestamp":"2099-01-01T00:00:00Z"}}'
)");
  chmod(plugin.c_str(), 0755);
  RestConfig rc = tokenConfig();
  rc.auth.bearer_token.clear();
  rc.exec = ExecConfig{"client.authentication.k8s.io/v1", plugin, {}, {}, "", false, "Never"};
  auto c = client(rc);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c->list(Kind::kPod, [](model::DecodeResult&&) -> Status { return {}; }));
  }
  EXPECT_EQ(c->execPluginRuns(), 1);  // cached until expirationTimestamp
  EXPECT_EQ(countRequests(" token"), 3u);
}

// A cached exec credential that the server rejects (401) is refreshed once by re-running the
// plugin, as client-go does.
TEST_F(KubeClientTest, ExecPluginRerunAfter401) {
  addPods(1);
  std::string plugin = fx_.dir + "/rotating.sh";
  writeFile(plugin, R"sh(#!/bin/sh
d=$(dirname "$0")
echo run >> "$d/rotating-runs"
if [ "$(wc -l < "$d/rotating-runs")" -eq 1 ]; then tok=stale-token; else tok=secret-token; fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$tok"
)sh");
  chmod(plugin.c_str(), 0755);
  RestConfig rc = tokenConfig();
  rc.auth.bearer_token.clear();
  rc.exec = ExecConfig{"client.authentication.k8s.io/v1", plugin, {}, {}, "", false, "Never"};
  auto c = client(rc);
  auto r = c->list(Kind::kPod, [](model::DecodeResult&&) -> Status { return {}; });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c->execPluginRuns(), 2);
  EXPECT_EQ(countRequests(" anonymous"), 1u);  // the stale token
  EXPECT_EQ(countRequests(" token"), 1u);
}

// Reflector::run: list, watch, and after a dropped stream an error report, a backoff sleep and a
// resumed watch, until stopped.
TEST_F(KubeClientTest, ReflectorRunReconnectsWithBackoff) {
  addPods(2);
  auto c = client(tokenConfig());
  FakeClock clock(10);
  ClusterState state;
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::chrono::milliseconds> waits;
  ReflectorOptions ro;
  ro.on_error = [&](const Error& e) {
    std::lock_guard lock(mu);
    errors.push_back(e.message);
  };
  ro.sleep = [&](std::chrono::milliseconds d) {
    std::lock_guard lock(mu);
    waits.push_back(d);
  };
  Reflector reflector(*c, Kind::kPod, state, clock, ro);
  std::atomic<bool> stop{false};
  fx_.server->truncateNextWatch();
  std::thread runner([&] { reflector.run(stop); });
  auto waitFor = [&](const std::function<bool()>& cond) {
    for (int i = 0; i < 2000 && !cond(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return cond();
  };
  // The first watch is cut; the second one stays open.
  EXPECT_TRUE(waitFor([&] {
    std::lock_guard lock(mu);
    return !errors.empty() && fx_.server->openWatches() == 1;
  }));
  fx_.server->remove(Kind::kPod, "shop", "web-0");
  EXPECT_TRUE(waitFor([&] { return state.count(Kind::kPod) == 1; }));
  stop = true;
  fx_.server->closeWatches();
  runner.join();
  std::lock_guard lock(mu);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("watch"), std::string::npos) << errors[0];
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_GE(waits[0], std::chrono::milliseconds(400));  // 500 ms ± 20%
  EXPECT_EQ(reflector.lists(), 1);
}

TEST_F(KubeClientTest, RetriesServerErrorsButNot4xx) {
  addPods(5);
  auto c = client(tokenConfig());
  fx_.server->failNext(2, 503);
  std::size_t n = 0;
  auto sink = [&](model::DecodeResult&& r) -> Status {
    n += r.objects.pods.size();
    return {};
  };
  ASSERT_TRUE(c->list(Kind::kPod, sink));
  EXPECT_EQ(n, 5u);
  ASSERT_EQ(sleeps_.size(), 2u);
  EXPECT_GT(sleeps_[1], sleeps_[0]);  // exponential (jitter is ±20%)

  fx_.server->failNext(1, 429, "3");
  sleeps_.clear();
  ASSERT_TRUE(c->list(Kind::kPod, sink));
  ASSERT_EQ(sleeps_.size(), 1u);
  EXPECT_EQ(sleeps_[0], std::chrono::milliseconds(3000));  // Retry-After honoured

  fx_.server->failNext(1, 403);
  sleeps_.clear();
  auto r = c->list(Kind::kPod, sink);
  ASSERT_FALSE(r);
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_NE(r.error().message.find("HTTP 403 Forbidden"), std::string::npos);
  EXPECT_NE(r.error().message.find("injected failure"), std::string::npos) << r.error().message;
}

TEST_F(KubeClientTest, HungConnectionTimesOut) {
  auto c = client(tokenConfig(), [] {
    KubeClientOptions o;
    o.read_timeout = std::chrono::milliseconds(1000);
    o.retry.max_attempts = 1;
    return o;
  }());
  fx_.server->hangNext();
  auto r = c->get("/version");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/version"), std::string::npos);
  EXPECT_NE(r.error().message.find("imeout"), std::string::npos) << r.error().message;
}

TEST_F(KubeClientTest, ReflectorRecordsChangesWithTimestamps) {
  addPods(4);
  FakeClock clock(1'700'000'000);
  auto c = client(tokenConfig());
  ClusterState state;
  Reflector reflector(*c, Kind::kPod, state, clock);
  ASSERT_TRUE(reflector.list());
  EXPECT_EQ(state.count(Kind::kPod), 4u);
  EXPECT_TRUE(state.changes().empty());  // the initial list is not a change

  clock.set(1'700'000'060);
  fx_.server->update(Kind::kPod, "shop", "web-0",
                     [](nlohmann::json& p) { p["spec"]["nodeName"] = "node-9"; });
  fx_.server->update(Kind::kPod, "shop", "web-1", [](nlohmann::json& p) {
    p["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "250m";
  });
  fx_.server->remove(Kind::kPod, "shop", "web-2");
  fx_.server->create(Kind::kPod, Server::podFromTemplate(deployment_, "shop", "web-new", "node-1"));
  std::thread closer([&] {
    while (fx_.server->openWatches() == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    fx_.server->sendBookmarks();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fx_.server->closeWatches();
  });
  auto end = reflector.watchOnce();
  closer.join();
  ASSERT_TRUE(end) << end.error().message;
  EXPECT_FALSE(end->gone);
  EXPECT_EQ(end->events, 5u);  // 4 changes + 1 bookmark
  EXPECT_EQ(reflector.resourceVersion(), std::to_string(fx_.server->resourceVersion()));
  EXPECT_EQ(countRequests("watch=true&allowWatchBookmarks=true&resourceVersion="), 1u);

  auto changes = state.changes();
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].type, EventType::kModified);
  EXPECT_EQ(changes[0].name, "web-0");
  EXPECT_EQ(changes[0].detail, "node node-0 -> node-9");
  EXPECT_EQ(changes[0].observed_at, 1'700'000'060);
  EXPECT_EQ(changes[1].detail, "requests cpu 100m -> 250m memory 134217728 -> 134217728 bytes");
  EXPECT_EQ(changes[2].type, EventType::kDeleted);
  EXPECT_EQ(changes[2].name, "web-2");
  EXPECT_EQ(changes[3].type, EventType::kAdded);
  EXPECT_EQ(state.count(Kind::kPod), 4u);
  auto inv = state.inventory();
  EXPECT_EQ(inv.objects().pods.size(), 4u);
  bool moved = false;
  for (const auto& p : inv.objects().pods)
    moved |= p.meta.name == "web-0" && p.node_name == "node-9";
  EXPECT_TRUE(moved);
}

void goneTest(KubeClientTest* t, testutil::TlsFixture& fx, Server::GoneStyle style,
              const nlohmann::json& deployment, KubeClient& c) {
  (void)t;
  FakeClock clock(100);
  ClusterState state;
  Reflector reflector(c, Kind::kPod, state, clock);
  ASSERT_TRUE(reflector.list());
  fx.server->setGoneStyle(style);
  fx.server->create(Kind::kPod, Server::podFromTemplate(deployment, "shop", "late", "node-1"));
  fx.server->compact();  // the list's version is now too old
  auto end = reflector.watchOnce();
  ASSERT_TRUE(end) << end.error().message;
  EXPECT_TRUE(end->gone);
  EXPECT_EQ(reflector.lists(), 2);  // relisted
  EXPECT_EQ(state.count(Kind::kPod), 4u);
  auto changes = state.changes();
  ASSERT_EQ(changes.size(), 1u);  // the relist found the new pod
  EXPECT_EQ(changes[0].name, "late");
  EXPECT_EQ(changes[0].type, EventType::kAdded);
}

TEST_F(KubeClientTest, RelistOnGoneErrorEvent) {
  addPods(3);
  auto c = client(tokenConfig());
  goneTest(this, fx_, Server::GoneStyle::kErrorEvent, deployment_, *c);
}

TEST_F(KubeClientTest, RelistOnHttp410) {
  addPods(3);
  auto c = client(tokenConfig());
  goneTest(this, fx_, Server::GoneStyle::kHttpStatus, deployment_, *c);
}

TEST_F(KubeClientTest, ExpiredContinueTokenRestartsList) {
  addPods(50);
  KubeClientOptions o;
  o.page_size = 10;
  o.batch_bytes = 1;  // a batch per item
  auto c = client(tokenConfig(), o);
  bool compacted = false;
  int restarts = 0;
  std::size_t n = 0;
  auto meta = c->list(
      Kind::kPod,
      [&](model::DecodeResult&& r) -> Status {
        n += r.objects.pods.size();
        if (!compacted) {
          compacted = true;
          fx_.server->create(Kind::kPod, Server::podFromTemplate(deployment_, "shop", "zz", "n"));
          fx_.server->compact();
        }
        return {};
      },
      [&] {
        ++restarts;
        n = 0;
      });
  ASSERT_TRUE(meta) << meta.error().message;
  EXPECT_EQ(restarts, 1);
  EXPECT_EQ(n, 51u);
}

TEST_F(KubeClientTest, TruncatedWatchStreamThenResume) {
  addPods(2);
  FakeClock clock(5);
  auto c = client(tokenConfig());
  ClusterState state;
  Reflector reflector(*c, Kind::kPod, state, clock);
  ASSERT_TRUE(reflector.list());
  fx_.server->update(Kind::kPod, "shop", "web-0",
                     [](nlohmann::json& p) { p["status"]["phase"] = "Failed"; });
  fx_.server->truncateNextWatch();
  auto end = reflector.watchOnce();
  ASSERT_FALSE(end);
  EXPECT_NE(end.error().message.find("watch"), std::string::npos) << end.error().message;
  ASSERT_EQ(state.changes().size(), 1u);  // the complete event before the cut was applied
  EXPECT_EQ(state.changes()[0].detail, "phase Running -> Failed");
  std::string rv_after_cut = reflector.resourceVersion();
  EXPECT_EQ(rv_after_cut, std::to_string(fx_.server->resourceVersion()));

  // Resume from the last version: only later events arrive.
  fx_.server->remove(Kind::kPod, "shop", "web-1");
  std::thread closer([&] {
    while (fx_.server->openWatches() == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fx_.server->closeWatches();
  });
  end = reflector.watchOnce();
  closer.join();
  ASSERT_TRUE(end) << end.error().message;
  EXPECT_EQ(end->events, 1u);
  EXPECT_EQ(state.count(Kind::kPod), 1u);
  EXPECT_EQ(reflector.lists(), 1);
}

TEST_F(KubeClientTest, EveryKindListsAndDecodes) {
  fx_.server->create(Kind::kNamespace, testutil::loadData("namespace.json"));
  fx_.server->create(Kind::kDeployment, deployment_);
  fx_.server->create(Kind::kService, testutil::loadData("service.json"));
  fx_.server->create(Kind::kJob, testutil::loadData("job.json"));
  fx_.server->create(Kind::kCronJob, testutil::loadData("cronjob.json"));
  fx_.server->create(Kind::kPodDisruptionBudget, testutil::loadData("pdb.json"));
  fx_.server->create(Kind::kNode, Server::nodeFromTemplate(node_, "n1"));
  addPods(2);
  auto c = client(tokenConfig());
  FakeClock clock(1);
  ClusterState state;
  for (const auto& k : kKinds) {
    Reflector r(*c, k.kind, state, clock);
    ASSERT_TRUE(r.list()) << k.name;
  }
  auto objects = state.objects();
  EXPECT_EQ(objects.namespaces.size(), 1u);
  EXPECT_EQ(objects.services.size(), 1u);
  EXPECT_EQ(objects.workloads.size(), 3u);
  EXPECT_EQ(objects.pod_disruption_budgets.size(), 1u);
  EXPECT_EQ(objects.nodes.size(), 1u);
  EXPECT_EQ(objects.pods.size(), 2u);
  auto inv = model::Inventory::build(std::move(objects));
  EXPECT_NE(inv.workload(model::WorkloadKind::kDeployment, "default", "web"), nullptr);
}

}  // namespace
}  // namespace trimtab::kube
