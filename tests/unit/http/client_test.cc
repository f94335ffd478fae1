#include "http/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <filesystem>
#include <sys/wait.h>
#include <signal.h>

#include "../kube/test_util.h"
#include "support/net.h"

namespace trimtab::http {
namespace {

namespace fixture = kube::fixture;

TEST(UrlEncode, KeepsUnreservedAndPercentEncodesTheRest) {
  EXPECT_EQ(urlEncode("aZ09-_.~"), "aZ09-_.~");
  EXPECT_EQ(urlEncode("rate(x[5m]) > 0 & y=\"é\""), "rate%28x%5B5m%5D%29%20%3E%200%20%26%20y%3D%22%C3%A9%22");
  EXPECT_EQ(urlEncode(""), "");
}

TEST(RetryAfter, SecondsAndHttpDate) {
  EXPECT_EQ(parseRetryAfter("120", 0), std::chrono::milliseconds(120'000));
  EXPECT_EQ(parseRetryAfter(" 0 ", 0), std::chrono::milliseconds(0));
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
  EXPECT_EQ(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30),
            std::chrono::milliseconds(30'000));
  EXPECT_EQ(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 30),
            std::chrono::milliseconds(0));  // in the past
  EXPECT_FALSE(parseRetryAfter("soon", 0));
  EXPECT_FALSE(parseRetryAfter("Sun, 06 Foo 1994 08:49:37 GMT", 0));
  EXPECT_FALSE(parseRetryAfter("", 0));
}

TEST(Backoff, ExponentialCappedAndJittered) {
  RetryPolicy p;
  p.initial_backoff = std::chrono::milliseconds(100);
  p.max_backoff = std::chrono::milliseconds(1000);
  p.jitter_fraction = 0.5;
  EXPECT_EQ(backoffDelay(p, 1, 0.5), std::chrono::milliseconds(100));
  EXPECT_EQ(backoffDelay(p, 2, 0.5), std::chrono::milliseconds(200));
  EXPECT_EQ(backoffDelay(p, 3, 0.5), std::chrono::milliseconds(400));
  EXPECT_EQ(backoffDelay(p, 10, 0.5), std::chrono::milliseconds(1000));
  EXPECT_EQ(backoffDelay(p, 1, 0.0), std::chrono::milliseconds(50));
  EXPECT_EQ(backoffDelay(p, 1, 0.999999), std::chrono::milliseconds(149));
}

TEST(HttpError, MessageNamesUrlStatusAndBody) {
  HttpError e;
  e.method = "GET";
  e.url = "https://h/api";
  e.status = 503;
  e.attempts = 3;
  e.body_excerpt = "overloaded";
  EXPECT_EQ(e.message(),
            "GET https://h/api: HTTP 503 Service Unavailable after 3 attempts: overloaded");
  EXPECT_EQ(e.toError().code, ErrorCode::kIo);
  e.status = 404;
  EXPECT_EQ(e.toError().code, ErrorCode::kNotFound);
  e.status = 400;
  EXPECT_EQ(e.toError().code, ErrorCode::kInvalidArgument);
}

TEST(Client, CreateChecksFiles) {
  ClientOptions o;
  o.tls.ca_file = "/nonexistent/ca.crt";
  auto c = Client::create(o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "CA file /nonexistent/ca.crt: cannot read");
  o = {};
  o.tls.client_cert_pem = "x";
  c = Client::create(o);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("together"), std::string::npos);
}

// A port with nothing listening: connection refused, retried with backoff, then an error.
TEST(Client, ConnectionRefusedIsRetriedWithBackoff) {
  const int port = testsupport::unusedLoopbackPort();  // nothing listens: connects are refused
  ASSERT_GT(port, 0);

  std::vector<std::chrono::milliseconds> sleeps;
  Env env;
  env.sleep = [&](std::chrono::milliseconds d) { sleeps.push_back(d); };
  env.uniform01 = [] { return 0.5; };
  ClientOptions o;
  o.retry.max_attempts = 4;
  o.retry.initial_backoff = std::chrono::milliseconds(10);
  auto c = Client::create(o, env);
  ASSERT_TRUE(c);
  Request req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  auto r = (*c)->send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().attempts, 4);
  EXPECT_EQ(r.error().status, 0);
  EXPECT_EQ(sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(10),
                                                            std::chrono::milliseconds(20),
                                                            std::chrono::milliseconds(40)}));
  EXPECT_NE(r.error().message().find(req.url), std::string::npos);
  EXPECT_NE(r.error().message().find("after 4 attempts"), std::string::npos) << r.error().message();

  req.retry = false;
  sleeps.clear();
  r = (*c)->send(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().attempts, 1);
  EXPECT_TRUE(sleeps.empty());
}

// HTTP/2 over TLS (ALPN) with the real nghttpd from Debian's nghttp2-server.
TEST(Client, SpeaksHttp2WhenTheServerOffersIt) {
  if (::access("/usr/sbin/nghttpd", X_OK) != 0 || std::system("openssl version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs /usr/sbin/nghttpd (Debian package nghttp2-server) and openssl";
  }
  const std::string dir = kube::testutil::makeTempDir("h2");
  fixture::Certs certs;
  std::string error;
  ASSERT_TRUE(fixture::makeCerts(dir + "/pki", &certs, &error)) << error;
  std::filesystem::create_directories(dir + "/www");
  kube::testutil::writeFile(dir + "/www/hello.txt", "hello over h2\n");
  const int port = testsupport::unusedLoopbackPort();
  ASSERT_GT(port, 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string p = std::to_string(port);
    ::execl("/usr/sbin/nghttpd", "nghttpd", "-a", "127.0.0.1", "-d", (dir + "/www").c_str(), p.c_str(),
            certs.server_key.c_str(), certs.server_cert.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_GT(pid, 0);
  ClientOptions o;
  o.tls.ca_file = certs.ca_cert;
  o.retry.max_attempts = 20;  // until nghttpd listens
  o.retry.initial_backoff = std::chrono::milliseconds(50);
  o.retry.max_backoff = std::chrono::milliseconds(200);
  auto c = Client::create(o);
  ASSERT_TRUE(c);
  Request req;
  req.url = "https://127.0.0.1:" + std::to_string(port) + "/hello.txt";
  auto r = (*c)->send(req);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello over h2\n");
  EXPECT_EQ(r->http_version, 2);
}

class ClientAgainstFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture::ServerOptions o;
    o.tls = false;
    o.tokens = {"t0k"};
    server_ = std::make_unique<fixture::Server>(o);
    std::string err;
    ASSERT_TRUE(server_->start(&err)) << err;
    auto dep = kube::testutil::loadData("deployment.json");
    for (int i = 0; i < 200; ++i) {
      server_->create(kube::Kind::kPod,
                      fixture::Server::podFromTemplate(dep, "ns", "p" + std::to_string(i), "n"));
    }
  }
  std::unique_ptr<fixture::Server> server_;
};

TEST_F(ClientAgainstFixture, StreamsBodyInChunksAndStops) {
  ClientOptions o;
  o.auth.bearer_token = "t0k";
  auto c = Client::create(o);
  ASSERT_TRUE(c);
  Request req;
  req.url = server_->url() + "/api/v1/pods";
  std::size_t bytes = 0, chunks = 0;
  auto r = (*c)->stream(req, [&](std::string_view chunk) {
    bytes += chunk.size();
    ++chunks;
    return true;
  });
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(r->status, 200);
  EXPECT_GT(bytes, 100'000u);
  EXPECT_GT(chunks, 1u);
  ASSERT_NE(r->header("content-type"), nullptr);
  EXPECT_EQ(*r->header("Content-Type"), "application/json");

  r = (*c)->stream(req, [&](std::string_view) { return false; });
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().aborted_by_sink);
  EXPECT_EQ(r.error().attempts, 1);

  auto buffered = (*c)->send(req);
  ASSERT_TRUE(buffered);
  EXPECT_EQ(buffered->body.size(), bytes);
}

TEST_F(ClientAgainstFixture, CancelFlagStopsAWatch) {
  ClientOptions o;
  o.auth.bearer_token = "t0k";
  auto c = Client::create(o);
  ASSERT_TRUE(c);
  std::atomic<bool> cancel{false};
  Request req;
  req.url = server_->url() + "/api/v1/pods?watch=true&resourceVersion=1";
  req.cancel = &cancel;
  std::size_t bytes = 0;
  auto r = (*c)->stream(req, [&](std::string_view chunk) {
    bytes += chunk.size();
    cancel = true;  // seen on the next callback or progress poll
    return true;
  });
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().cancelled) << r.error().message();
  EXPECT_GT(bytes, 0u);
}

}  // namespace
}  // namespace trimtab::http
