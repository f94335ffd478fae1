// The PromQL source: matchers, answer decoding, and the client's behaviour against a fake
// backend (a Trimtab HttpServer answering like Prometheus): step-aligned parameters, retries on
// 5xx only, 4xx reported with the backend's error, answers delivered in task order whatever
// order they arrive in.
#include "prom/query.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "server/http_server.h"

namespace trimtab::prom {
namespace {

TEST(Matchers, ParseAllOperatorsAndEscapes) {
  auto m = parseMatchers(R"({cluster="prod", namespace=~"team-.*",job!="x\"y", pod!~'a\\b'})");
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->size(), 4u);
  EXPECT_EQ((*m)[0], (Matcher{"cluster", "=", "prod"}));
  EXPECT_EQ((*m)[1], (Matcher{"namespace", "=~", "team-.*"}));
  EXPECT_EQ((*m)[2], (Matcher{"job", "!=", "x\"y"}));
  EXPECT_EQ((*m)[3], (Matcher{"pod", "!~", "a\\b"}));
  auto bare = parseMatchers(R"(cluster="a")");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->size(), 1u);
  EXPECT_TRUE(parseMatchers("")->empty());
  EXPECT_TRUE(parseMatchers("{}")->empty());
}

TEST(Matchers, ErrorsNameTheOffsetAndWhatWasExpected) {
  struct Case {
    const char* text;
    const char* expected;
  } cases[] = {
      {"cluster=prod", "at offset 8: expected a quoted value"},
      {"cluster\"x\"", "at offset 7: expected one of = != =~ !~"},
      {"1abc=\"x\"", "at offset 0: expected a label name"},
      {"a=\"x\" b=\"y\"", "expected ',' between matchers"},
      {"a=\"x", "expected a closing quote"},
      {"{a=\"x\"", "expected '}'"},
  };
  for (const Case& c : cases) {
    auto m = parseMatchers(c.text);
    ASSERT_FALSE(m) << c.text;
    EXPECT_NE(m.error().message.find(c.expected), std::string::npos) << c.text << " -> " << m.error().message;
  }
}

TEST(Selector, AddsMatchersAndDropsNamespaceForClusterScopedSeries) {
  const std::vector<Matcher> m = {{"cluster", "=", "p\"q"}, {"namespace", "=~", "a|b"}};
  EXPECT_EQ(selector("up", {}), "up");
  EXPECT_EQ(selector("kube_pod_info", m), R"(kube_pod_info{cluster="p\"q",namespace=~"a|b"})");
  EXPECT_EQ(selector("kube_node_labels", m, false), R"(kube_node_labels{cluster="p\"q"})");
  EXPECT_EQ(promDuration(59'999), "59999ms");
  EXPECT_EQ(promDuration(300'000), "300s");
}

struct Collected {
  std::vector<std::map<std::string, std::string>> labels;
  std::vector<std::vector<std::pair<std::int64_t, double>>> points;
  SeriesFn fn() {
    return [this](const Series& s) {
      std::map<std::string, std::string> l;
      for (std::size_t i = 0; i < s.label_count; ++i) l[std::string(s.labels[i].name)] = std::string(s.labels[i].value);
      labels.push_back(std::move(l));
      points.emplace_back(s.points, s.points + s.point_count);
    };
  }
};

TEST(DecodeAnswer, MatrixWithWarnings) {
  std::string body = R"({"status":"success","data":{"resultType":"matrix","result":[
    {"metric":{"__name__":"x","pod":"a\"b"},"values":[[1700000000,"1"],[1700000060.5,"+Inf"],[1700000120,"NaN"]]},
    {"values":[[1700000000,"2.5e3"]],"metric":{"pod":"c"}}]},"warnings":["partial: store down"]})";
  Collected c;
  QueryStats stats;
  auto s = decodeAnswer(body, "q", c.fn(), &stats);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(c.labels.size(), 2u);
  EXPECT_EQ(c.labels[0], (std::map<std::string, std::string>{{"pod", "a\"b"}})) << "__name__ is dropped";
  ASSERT_EQ(c.points[0].size(), 3u);
  EXPECT_EQ(c.points[0][1].first, 1700000060500);
  EXPECT_TRUE(std::isinf(c.points[0][1].second));
  EXPECT_TRUE(std::isnan(c.points[0][2].second));
  EXPECT_EQ(c.labels[1].at("pod"), "c") << "values before metric";
  EXPECT_EQ(c.points[1][0].second, 2500);
  EXPECT_EQ(stats.series, 2u);
  EXPECT_EQ(stats.points, 4u);
  EXPECT_EQ(stats.warnings, std::vector<std::string>{"q: partial: store down"});
}

TEST(DecodeAnswer, VectorAndErrors) {
  std::string v = R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"4"]}]}})";
  Collected c;
  ASSERT_TRUE(decodeAnswer(v, "q", c.fn(), nullptr));
  ASSERT_EQ(c.points.size(), 1u);
  EXPECT_EQ(c.points[0][0], (std::pair<std::int64_t, double>{1000, 4}));

  struct Case {
    std::string body, expected;
  } cases[] = {
      {R"({"status":"error","errorType":"bad_data","error":"parse error"})", "the backend answered an error: bad_data: parse error"},
      {R"({"status":"success","data":{"resultType":"scalar","result":[1,"2"]}})", "want a matrix or vector result, got scalar"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"x"]]}]}})", "point value \"x\" is not a number"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,2]]}]}})", "a point's value is not a string"},
      {R"({"status":"success"})", "no \"data\""},
      {R"([1,2])", "not a JSON object"},
      {R"({"status":"success","data":{"result":[{"metric":{"a":1}}]}})", "bad label"},
      {"not json", "answer is not a Prometheus API answer"},
  };
  for (Case& k : cases) {
    auto s = decodeAnswer(k.body, "query_range up", [](const Series&) {}, nullptr);
    ASSERT_FALSE(s) << k.body;
    EXPECT_NE(s.error().message.find(k.expected), std::string::npos) << k.body << " -> " << s.error().message;
    EXPECT_EQ(s.error().message.rfind("query_range up: ", 0), 0u) << s.error().message;
  }
}

// A fake backend: answers /api/v1/query_range from a script, records requests.
class FakeBackend : public server::Handler {
 public:
  std::function<server::Response(const server::Request&, int call)> answer;
  std::optional<server::Response> fast(const server::Request&) override { return std::nullopt; }
  server::Response slow(const server::Request& r) override {
    int call;
    {
      std::lock_guard<std::mutex> lock(mutex);
      targets.push_back(r.target);
      call = calls++;
    }
    return answer(r, call);
  }
  std::mutex mutex;
  std::vector<std::string> targets;
  int calls = 0;
};

class SourceAgainstFake : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.worker_threads = 4;
    auto s = server::HttpServer::create(o, backend_);
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
    thread_ = std::thread([this] { server_->run(false); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }
  std::unique_ptr<Source> source(int concurrency = 2) {
    SourceOptions o;
    o.url = fmt::format("http://127.0.0.1:{}/prefix/", server_->port());
    o.concurrency = concurrency;
    o.http.retry.initial_backoff = std::chrono::milliseconds(1);
    o.http.retry.max_backoff = std::chrono::milliseconds(5);
    auto s = Source::create(o);
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
  }
  static server::Response matrix(const std::string& pod, double v) {
    return server::Response::text(
        200, "application/json",
        fmt::format(R"({{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"pod":"{}"}},"values":[[1800,"{}"]]}}]}}}})",
                    pod, v));
  }
  FakeBackend backend_;
  std::unique_ptr<server::HttpServer> server_;
  std::thread thread_;
};

TEST_F(SourceAgainstFake, SendsStepAlignedParametersAndRetries5xx) {
  backend_.answer = [](const server::Request&, int call) {
    if (call < 2) return server::Response::error(503, "overloaded");
    return matrix("a", 1);
  };
  auto src = source();
  Collected c;
  QueryStats stats;
  auto s = src->queryRange("last_over_time(up[59999ms])", 1'800'000, 3'600'000, 60'000, c.fn(), &stats);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(backend_.targets.size(), 3u);
  EXPECT_EQ(backend_.targets[0],
            "/prefix/api/v1/query_range?query=last_over_time%28up%5B59999ms%5D%29&start=1800&end=3600&step=60"
            "&partial_response=false");
  ASSERT_EQ(c.points.size(), 1u);
  EXPECT_EQ(c.points[0][0].first, 1'800'000);
  EXPECT_EQ(stats.queries, 1u);
}

TEST_F(SourceAgainstFake, ClientErrorsAreNotRetriedAndCarryTheBackendMessage) {
  backend_.answer = [](const server::Request&, int) {
    return server::Response::text(400, "application/json",
                                  R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \"}\""})");
  };
  auto src = source();
  auto s = src->queryRange("up{", 0, 60'000, 60'000, [](const Series&) {});
  ASSERT_FALSE(s);
  EXPECT_EQ(backend_.calls, 1);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("rejected the query (HTTP 400): bad_data: 1:5: parse error: unexpected \"}\""),
            std::string::npos)
      << s.error().message;

  backend_.answer = [](const server::Request&, int) { return server::Response::error(500, "boom"); };
  s = src->queryRange("up", 0, 60'000, 60'000, [](const Series&) {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find("backend unavailable"), std::string::npos) << s.error().message;
  EXPECT_EQ(backend_.calls, 1 + 4) << "retried up to the policy's 4 attempts";
}

TEST_F(SourceAgainstFake, DeliversInTaskOrderWhateverTheArrivalOrder) {
  // Task i answers after (8 - i) * 15 ms: the last task arrives first.
  backend_.answer = [](const server::Request& r, int) {
    const auto q = r.target.find("query=t");
    const int i = std::stoi(r.target.substr(q + 7, 1));
    std::this_thread::sleep_for(std::chrono::milliseconds((8 - i) * 15));
    return matrix(std::to_string(i), i);
  };
  auto src = source(4);
  std::vector<Source::Task> tasks;
  for (int i = 0; i < 8; ++i) tasks.push_back({fmt::format("m{}", i), fmt::format("t{}", i)});
  std::vector<std::size_t> order;
  std::atomic<int> inside{0};
  bool overlapped = false;
  auto s = src->queryRangeAll(tasks, 0, 60'000, 60'000, [&](std::size_t task, const Series& series) {
    if (inside++ != 0) overlapped = true;
    order.push_back(task);
    EXPECT_EQ(std::string(series.labels[0].value), std::to_string(task));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --inside;
  });
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_FALSE(overlapped);
}

TEST_F(SourceAgainstFake, RefusesRangesOverThePointLimit) {
  auto src = source();
  auto s = src->queryRange("up", 0, 11'000 * 1000, 1000, [](const Series&) {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("11001 points per series, the limit is 11000"), std::string::npos)
      << s.error().message;
  EXPECT_EQ(backend_.calls, 0);
}

TEST(SourceCreate, ValidatesUrlAndConcurrency) {
  SourceOptions o;
  o.url = "prometheus:9090";
  auto s = Source::create(o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("want http://host:port"), std::string::npos);
  o.url = "http://p:9090";
  o.concurrency = 0;
  EXPECT_FALSE(Source::create(o));
}

}  // namespace
}  // namespace trimtab::prom
