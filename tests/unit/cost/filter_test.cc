#include "cost/filter.h"

#include <gtest/gtest.h>

namespace trimtab::cost {
namespace {

AllocationProperties props() {
  AllocationProperties p;
  p.cluster = "cluster-one";
  p.node = "node-a";
  p.namespace_name = "kubecost";
  p.controller_kind = "deployment";
  p.controller = "cost-analyzer";
  p.pod = "cost-analyzer-7f9";
  p.container = "web";
  p.provider_id = "aws:///us-east-1a/i-123";
  p.services = {"svc-a", "svc-b"};
  p.labels = {{"app", "cost-analyzer"}, {"app_kubernetes_io_name", "ca"}, {"env", "prod"}};
  p.annotations = {{"owner", "alice"}, {"team", "finops"}};
  return p;
}

bool matches(std::string_view text, const AllocationProperties& p = props()) {
  auto f = parseAllocationFilter(text);
  EXPECT_TRUE(f.has_value()) << text << ": " << (f ? "" : f.error().message);
  return f && f->matches(p);
}

std::string errorOf(std::string_view text) {
  auto f = parseAllocationFilter(text);
  EXPECT_FALSE(f.has_value()) << text;
  return f ? "" : f.error().message;
}

TEST(Filter, EmptyMatchesAll) {
  EXPECT_TRUE(matches(""));
  EXPECT_TRUE(matches("   "));
  EXPECT_TRUE(Filter().matches(props()));
}

TEST(Filter, EveryOperator) {
  EXPECT_TRUE(matches(R"(namespace:"kubecost")"));
  EXPECT_FALSE(matches(R"(namespace:"kube")"));
  EXPECT_FALSE(matches(R"(namespace!:"kubecost")"));
  EXPECT_TRUE(matches(R"(namespace!:"kube")"));
  EXPECT_TRUE(matches(R"(namespace~:"bec")"));
  EXPECT_FALSE(matches(R"(namespace!~:"bec")"));
  EXPECT_TRUE(matches(R"(namespace<~:"kube")"));
  EXPECT_FALSE(matches(R"(namespace<~:"cost")"));
  EXPECT_TRUE(matches(R"(namespace!<~:"cost")"));
  EXPECT_TRUE(matches(R"(namespace~>:"cost")"));
  EXPECT_FALSE(matches(R"(namespace~>:"kube")"));
  EXPECT_TRUE(matches(R"(namespace!~>:"kube")"));
}

TEST(Filter, EveryField) {
  EXPECT_TRUE(matches(R"(cluster:"cluster-one")"));
  EXPECT_TRUE(matches(R"(node:"node-a")"));
  EXPECT_TRUE(matches(R"(controllerKind:"deployment")"));
  EXPECT_TRUE(matches(R"(controllerName:"cost-analyzer")"));
  EXPECT_TRUE(matches(R"(pod<~:"cost-analyzer-")"));
  EXPECT_TRUE(matches(R"(container:"web")"));
  EXPECT_TRUE(matches(R"(provider~:"i-123")"));
  EXPECT_TRUE(matches(R"(providerID~:"i-123")"));
  EXPECT_TRUE(matches(R"(services:"svc-b")"));
  EXPECT_FALSE(matches(R"(services:"svc")"));
  EXPECT_TRUE(matches(R"(services~:"svc")"));
  EXPECT_TRUE(matches(R"(services!:"svc-c")"));
  EXPECT_TRUE(matches(R"(label[app]:"cost-analyzer")"));
  EXPECT_TRUE(matches(R"(label[app.kubernetes.io/name]:"ca")"));  // sanitised fallback
  EXPECT_TRUE(matches(R"(label:"env")"));                         // key-less: has key
  EXPECT_FALSE(matches(R"(label:"nope")"));
  EXPECT_TRUE(matches(R"(label[missing]:"")"));  // absent reads as ""
  EXPECT_TRUE(matches(R"(label[missing]!:"x")"));
  EXPECT_TRUE(matches(R"(annotation[owner]:"alice")"));
  EXPECT_TRUE(matches(R"(team:"finops")"));      // alias: label, then annotation
  EXPECT_TRUE(matches(R"(product:"cost-analyzer")"));
  EXPECT_TRUE(matches(R"(environment:"prod")"));
  EXPECT_TRUE(matches(R"(owner:"alice")"));
  EXPECT_TRUE(matches(R"(department:"")"));
}

TEST(Filter, MultipleValues) {
  EXPECT_TRUE(matches(R"(namespace:"a","kubecost")"));       // OR
  EXPECT_FALSE(matches(R"(namespace:"a","b")"));
  EXPECT_TRUE(matches(R"(namespace!:"a","b")"));             // not a AND not b
  EXPECT_FALSE(matches(R"(namespace!:"a","kubecost")"));
  EXPECT_TRUE(matches(R"(namespace : "a" , "kubecost")"));   // whitespace
}

TEST(Filter, Groups) {
  EXPECT_TRUE(matches(R"(namespace:"kubecost"+label[app]:"cost-analyzer")"));
  EXPECT_TRUE(matches(R"(namespace:"x"|label[app]:"cost-analyzer")"));
  EXPECT_FALSE(matches(R"(namespace:"x"|label[app]:"y")"));
  EXPECT_TRUE(matches(R"((namespace:"x"|namespace:"kubecost")+container:"web")"));
  EXPECT_FALSE(matches(R"((namespace:"x"|namespace:"kubecost")+container:"db")"));
  EXPECT_TRUE(matches(R"(((cluster:"cluster-one")))"));
  EXPECT_TRUE(matches(R"(namespace:"x" | (container:"web" + (node:"node-a" | node:"b")))"));
}

// Upstream #3371: with `+`, the second clause was ignored once the first one matched.
TEST(Filter, Regression3371_AndRequiresEveryClause) {
  EXPECT_FALSE(matches(R"(namespace:"kubecost"+label[app]:"other")"));
  EXPECT_FALSE(matches(R"(namespace:"kubecost"+container:"web"+pod:"x")"));
}

TEST(Filter, MixingAndOrWithoutParensIsAnError) {
  std::string e = errorOf(R"(namespace:"a"+node:"b"|pod:"c")");
  EXPECT_NE(e.find("cannot mix '+' and '|'"), std::string::npos) << e;
  EXPECT_NE(e.find("at offset 22"), std::string::npos) << e;
}

TEST(Filter, ErrorsNamePositionAndExpectation) {
  EXPECT_EQ(errorOf(R"(namespace:kubecost)"),
            R"(filter: at offset 10: expected '"' to start a value after ':')");
  EXPECT_EQ(errorOf(R"(nope:"x")"),
            R"(filter: at offset 0: unknown allocation filter field "nope")");
  EXPECT_NE(errorOf(R"(namespace:"x)").find("unterminated value"), std::string::npos);
  EXPECT_NE(errorOf(R"((namespace:"x")").find("expected ')'"), std::string::npos);
  EXPECT_NE(errorOf(R"(namespace:"x"))").find("unbalanced ')'"), std::string::npos);
  EXPECT_NE(errorOf(R"(namespace="x")").find("at offset 9: expected an operator"),
            std::string::npos);
  EXPECT_NE(errorOf(R"(cluster[x]:"y")").find("not a map"), std::string::npos);
  EXPECT_NE(errorOf(R"(label[]:"y")").find("expected a map key"), std::string::npos);
  EXPECT_NE(errorOf(R"(namespace:"a",)").find("after ','"), std::string::npos);
  EXPECT_NE(errorOf(R"(namespace:"a"+)").find("filter ended"), std::string::npos);
  EXPECT_NE(errorOf(R"(namespace:"a" node:"b")").find("expected '+', '|' or end"),
            std::string::npos);
  EXPECT_NE(errorOf("()").find("empty parentheses"), std::string::npos);
  EXPECT_NE(errorOf(R"(namespace:"a\x")").find("bad escape"), std::string::npos);
  std::string deep(200, '(');
  EXPECT_NE(errorOf(deep).find("nested too deeply"), std::string::npos);
  for (const char* s : {R"(namespace:"a")", R"(x:"a")"}) {
    auto e = parseAllocationFilter(std::string(s) + "+");
    ASSERT_FALSE(e.has_value());
    EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(Filter, EscapesInValues) {
  AllocationProperties p;
  p.namespace_name = R"(we"ird\ns)";
  EXPECT_TRUE(matches(R"(namespace:"we\"ird\\ns")", p));
}

TEST(Filter, NegateAndToStringRoundTrip) {
  const char* text = R"((namespace:"a","b"|label[app]!~:"x")+services~>:"-svc")";
  auto f = parseAllocationFilter(text);
  ASSERT_TRUE(f.has_value());
  std::string rendered = f->toString();
  auto g = parseAllocationFilter(rendered);
  ASSERT_TRUE(g.has_value()) << rendered;
  EXPECT_EQ(g->toString(), rendered);
  AllocationProperties p = props();
  for (const char* ns : {"a", "b", "kubecost"}) {
    p.namespace_name = ns;
    p.services = {"x-svc"};
    EXPECT_EQ(f->matches(p), g->matches(p));
    EXPECT_NE(f->matches(p), Filter::negate(*f).matches(p));
  }
}

TEST(Filter, AssetFilter) {
  AssetProperties a;
  a.name = "node-a";
  a.asset_type = "Node";
  a.category = "Compute";
  a.cluster = "c1";
  a.provider = "AWS";
  a.provider_id = "i-123";
  a.labels = {{"team", "finops"}};
  auto f = parseAssetFilter(R"(assetType:"Node"+label[team]:"finops"+providerID:"i-123")");
  ASSERT_TRUE(f.has_value()) << f.error().message;
  EXPECT_TRUE(f->matches(a));
  auto g = parseAssetFilter(R"(category:"Storage"|provider:"AWS")");
  ASSERT_TRUE(g.has_value());
  EXPECT_TRUE(g->matches(a));
  auto bad = parseAssetFilter(R"(namespace:"x")");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("unknown asset filter field \"namespace\""),
            std::string::npos);
}

}  // namespace
}  // namespace trimtab::cost
