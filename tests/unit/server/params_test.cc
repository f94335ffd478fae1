// Query-string decoding and the OpenCost parameter parser of the HTTP API.
#include "server/params.h"

#include <gtest/gtest.h>

namespace trimtab::server {
namespace {

constexpr UnixSeconds kNow = 1767225600 + 5400;  // 2026-01-01T01:30:00Z

Params parse(std::string_view q) {
  auto p = Params::parse(q);
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message);
  return p ? *p : Params{};
}

TEST(ServerParams, PercentDecodingAndPlus) {
  const Params p = parse("window=2024-01-01T00%3A00%3A00Z%2C2024-01-02T00%3A00%3A00Z&aggregate=label%3Aapp&x=a+b"
                         "&filter=namespace:%22a%22+cluster:%22b%22");
  EXPECT_EQ(p.getOr("window", ""), "2024-01-01T00:00:00Z,2024-01-02T00:00:00Z");
  EXPECT_EQ(p.getOr("aggregate", ""), "label:app");
  EXPECT_EQ(p.getOr("x", ""), "a b");
  // Inside filter, '+' is the AND operator, not a space.
  EXPECT_EQ(p.getOr("filter", ""), "namespace:\"a\"+cluster:\"b\"");
  EXPECT_EQ(p.getOr("missing", "fallback"), "fallback");
  EXPECT_FALSE(p.get("missing").has_value());
}

TEST(ServerParams, MalformedEscapesAreErrors) {
  for (std::string_view q : {"window=%", "window=%4", "window=%G1", "%zz=1"}) {
    auto p = Params::parse(q);
    ASSERT_FALSE(p.has_value()) << q;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(p.error().message.find("percent-escape"), std::string::npos) << p.error().message;
  }
  EXPECT_TRUE(Params::parse("").has_value());
  EXPECT_TRUE(Params::parse("&&a&=b&").has_value());
}

TEST(ServerParams, BooleansFollowGoParseBool) {
  for (std::string_view v : {"1", "t", "T", "TRUE", "true", "True"}) {
    EXPECT_TRUE(*parse(std::string("b=") + std::string(v)).boolean("b", false)) << v;
  }
  for (std::string_view v : {"0", "f", "F", "FALSE", "false", "False"}) {
    EXPECT_FALSE(*parse(std::string("b=") + std::string(v)).boolean("b", true)) << v;
  }
  EXPECT_TRUE(*parse("").boolean("b", true));
  auto bad = parse("b=yes").boolean("b", false);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("b=\"yes\""), std::string::npos);
}

TEST(ServerParams, AllocationParametersMapToTheQuery) {
  auto a = parseAllocationParams(
      parse("window=1d&step=1h&aggregate=namespace,label:team&includeIdle=true&shareIdle=false&idleByNode=true"
            "&shareNamespaces=kube-system,monitoring&shareLabels=team:platform&shareCost=300&shareSplit=even"
            "&accumulateBy=day&format=csv&offset=2&limit=5&filter=namespace:%22shop%22"),
      kNow, {});
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->request.window.start, 1767225600);
  EXPECT_EQ(a->request.window.end, 1767225600 + 86400);
  EXPECT_EQ(a->request.step_seconds, 3600);
  EXPECT_EQ(a->request.query.aggregate, (std::vector<std::string>{"namespace", "label:team"}));
  EXPECT_TRUE(a->request.query.include_idle);
  EXPECT_TRUE(a->request.query.idle_by_node);
  EXPECT_EQ(a->request.query.share_namespaces, (std::vector<std::string>{"kube-system", "monitoring"}));
  ASSERT_EQ(a->request.query.share_labels.size(), 1u);
  EXPECT_EQ(a->request.query.share_labels[0].second, "platform");
  EXPECT_EQ(a->request.query.share_cost_monthly, 300);
  EXPECT_EQ(a->request.query.share_split, cost::ShareSplit::kEven);
  EXPECT_EQ(a->request.accumulate, cost::Accumulate::kDay);
  EXPECT_EQ(a->format, OutputFormat::kCsv);
  EXPECT_EQ(a->offset, 2u);
  EXPECT_EQ(a->limit, 5u);
  EXPECT_TRUE(a->request.query.filter.has_value());
}

TEST(ServerParams, ShareIdleAndProportionalCostsImplyIdle) {
  auto a = parseAllocationParams(parse("window=1d&shareIdle=true"), kNow, {});
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->request.query.include_idle);
  auto b = parseAllocationParams(parse("window=1d&includeProportionalAssetResourceCosts=1"), kNow, {});
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(b->request.query.include_idle);
  auto c = parseAllocationParams(parse("window=1d&idle=true"), kNow, {});  // Kubecost spelling
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->request.query.include_idle);
  auto d = parseAllocationParams(parse("window=1d&accumulate=true"), kNow, {});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->request.accumulate, cost::Accumulate::kAll);
  auto e = parseAllocationParams(parse("window=1d&accumulate=week"), kNow, {});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->request.accumulate, cost::Accumulate::kWeek);
}

TEST(ServerParams, EquivalentQueriesNormaliseToOneKey) {
  auto a = parseAllocationParams(parse("window=1767225600,1767312000&aggregate=namespace&includeIdle=true"), kNow, {});
  auto b = parseAllocationParams(parse("includeIdle=t&aggregate=namespace&window=2026-01-01T00:00:00Z,2026-01-02T00:00:00Z"),
                                 kNow, {});
  auto c = parseAllocationParams(parse("window=1d&aggregate=namespace&includeIdle=1"), kNow, {});
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->normalized, b->normalized);
  EXPECT_EQ(a->normalized, c->normalized);
  auto d = parseAllocationParams(parse("window=1d&aggregate=namespace"), kNow, {});
  ASSERT_TRUE(d.has_value());
  EXPECT_NE(a->normalized, d->normalized);
}

TEST(ServerParams, ErrorsNameTheParameterAndWhatWasExpected) {
  struct Case {
    const char* query;
    const char* needle;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"", "window is required"},
           {"window=7x", "illegal window"},
           {"window=1d&step=90m", "step=\"90m\""},
           {"window=1d&step=abc", "step"},
           {"window=1d&resolution=fast", "resolution"},
           {"window=1d&aggregate=planet", "planet"},
           {"window=1d&shareLabels=nocolon", "KEY:VALUE"},
           {"window=1d&shareCost=-1", "shareCost"},
           {"window=1d&shareSplit=half", "weighted or even"},
           {"window=1d&accumulateBy=fortnight", "accumulateBy"},
           {"window=1d&format=xml", "json or csv"},
           {"window=1d&offset=x", "offset"},
           {"window=1d&limit=99999999999", "limit"},
           {"window=1d&filter=namespace=%22x%22", "filter"},
           {"window=1d&utcOffset=2h", "utcOffset"},
           {"window=500d", "at most 400 days"},
       }) {
    auto r = parseAllocationParams(parse(c.query), kNow, {});
    ASSERT_FALSE(r.has_value()) << c.query;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.query;
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << c.query << " -> " << r.error().message;
  }
}

TEST(ServerParams, StepCountIsLimited) {
  ApiLimits limits;
  limits.max_steps = 24;
  EXPECT_TRUE(parseAllocationParams(parse("window=1d&step=1h"), kNow, limits).has_value());
  auto r = parseAllocationParams(parse("window=2d&step=1h"), kNow, limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("more than 24 steps"), std::string::npos);
}

TEST(ServerParams, AssetParameters) {
  auto a = parseAssetParams(parse("window=1d&filter=assetType:%22node%22&format=csv&limit=3"), kNow, {});
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_TRUE(a->filter.has_value());
  EXPECT_EQ(a->format, OutputFormat::kCsv);
  EXPECT_EQ(a->limit, 3u);
  auto bad = parseAssetParams(parse("window=1d&filter=namespace:%22x%22"), kNow, {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("filter"), std::string::npos);
}

}  // namespace
}  // namespace trimtab::server
