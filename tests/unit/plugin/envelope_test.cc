// Request envelopes, response checks and the per-hook failure policy output (no engine).
#include "plugin/internal/envelope.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugin/plugin.h"

namespace trimtab::plugin::internal {
namespace {

const std::vector<std::string> kRows = {R"({"name":"a","totalCost":1})",
                                        R"({"name":"b","totalCost":2})"};

Result<std::vector<std::string>> parse(Hook hook, const std::string& response,
                                       const std::vector<std::string>& inputs = kRows) {
  simdjson::dom::parser parser;
  const ItemList in(inputs);
  ItemList out;
  out.push_back(R"({"earlier":"item"})");  // appended after, never disturbed
  if (auto st = parseResponse(hook, response, in.all(), parser, out); !st) {
    if (out.size() != 1) return fail(ErrorCode::kInternal, "items appended on error");
    return fail(st.error());
  }
  std::vector<std::string> items = out.toStrings();
  if (items.front() != R"({"earlier":"item"})") return fail(ErrorCode::kInternal, "disturbed");
  items.erase(items.begin());
  return items;
}

std::vector<std::string> fallback(Hook hook, const std::vector<std::string>& inputs,
                                  std::string_view reason) {
  const ItemList in(inputs);
  ItemList out;
  appendFallbackItems(hook, in.all(), reason, out);
  return out.toStrings();
}

TEST(Envelope, RequestCarriesKindSettingsAndItems) {
  std::string out;
  const ItemList rows(kRows);
  appendRequest(out, Hook::kAllocation, R"({"k":1})", rows.all());
  EXPECT_EQ(
      out,
      R"({"apiVersion":"trimtab/plugin/v1","kind":"CostAllocationRequest","settings":{"k":1},"items":[)"
      R"({"name":"a","totalCost":1},{"name":"b","totalCost":2}]})");
  auto items = splitItems(out, "request");
  ASSERT_TRUE(items);
  EXPECT_EQ(items->toStrings(), kRows);
}

TEST(Envelope, AcceptsAWellFormedResponse) {
  auto r = parse(Hook::kAllocation,
                 R"({"ok":true,"items":[{"name":"a","team":"x"}, {"name":"b","totalCost":2.5}]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0], R"({"name":"a","team":"x"})");
  EXPECT_EQ((*r)[1], R"({"name":"b","totalCost":2.5})");
}

TEST(Envelope, RejectsBadResponsesWithReasons) {
  struct Case {
    Hook hook;
    std::string response;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {Hook::kAllocation, "{nope", "not JSON"},
      {Hook::kAllocation, "[]", "not a JSON object"},
      {Hook::kAllocation, R"({"items":[]})", "no boolean \"ok\""},
      {Hook::kAllocation, R"({"ok":false,"error":"settings.teams missing","code":3})",
       "plugin reported an error (code 3): settings.teams missing"},
      {Hook::kAllocation, R"({"ok":true})", "no \"items\" array"},
      {Hook::kAllocation, R"({"ok":true,"items":[{"name":"a"}]})", "1 items for 2 inputs"},
      {Hook::kAllocation, R"({"ok":true,"items":[{"name":"a"},7]})", "items[1] is not an object"},
      {Hook::kAllocation, R"({"ok":true,"items":[{"name":"a"},{"name":"c"}]})",
       "items[1] changed or dropped \"name\""},
      {Hook::kRecommendation, R"({"ok":true,"items":[{"name":"a"},{}]})",
       "items[1] changed or dropped"},
      {Hook::kAlert, R"({"ok":true,"items":[{"accepted":true},{"accepted":"yes"}]})",
       "items[1] has no boolean"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.hook, c.response);
    ASSERT_FALSE(r) << c.response;
    EXPECT_NE(r.error().message.find(c.reason), std::string::npos) << r.error().message;
  }
}

TEST(Envelope, ReturnsTheTopLevelItemsAsWritten) {
  // A decoy "items" array nested before the real one must not be returned.
  auto r =
      parse(Hook::kAllocation,
            R"({"x":{"items":[{"name":"a"},{"name":"b"}]},"ok":true,"items":[ {"name":"a","t":1} ,)"
            "\n  "
            R"({"name":"b","s":"]}\\\""})"
            "\n]}");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0], R"({"name":"a","t":1})");
  EXPECT_EQ((*r)[1], R"({"name":"b","s":"]}\\\""})");
}

TEST(Envelope, NamesWithEscapesCompareUnescaped) {
  const std::vector<std::string> inputs = {R"({"name":"a\"b\u00e9"})"};
  EXPECT_TRUE(parse(Hook::kRecommendation, R"({"ok":true,"items":[{"name":"a\"bé"}]})", inputs));
  EXPECT_FALSE(parse(Hook::kRecommendation, R"({"ok":true,"items":[{"name":"a\"b"}]})", inputs));
}

TEST(Envelope, WriteRequestMatchesAppendRequestAndItsSize) {
  for (const std::vector<std::string>& list : {kRows, std::vector<std::string>{}}) {
    const ItemList rows(list);
    std::string appended;
    appendRequest(appended, Hook::kAlert, "", rows.all());
    const std::size_t n = requestSize(Hook::kAlert, "", rows.all());
    std::string written(n + 1, '#');
    char* end = writeRequest(written.data(), Hook::kAlert, "", rows.all());
    EXPECT_EQ(static_cast<std::size_t>(end - written.data()), n);
    EXPECT_EQ(written.substr(0, n), appended);
    EXPECT_EQ(written[n], '#') << "writes exactly requestSize bytes";
  }
}

// Parsed in place when the caller says simdjson's padding can be read past the end (as in guest
// memory): the result is the same and no byte past the padding is needed.
TEST(Envelope, ParsesInPlaceWhenPaddingIsReadable) {
  const std::string body = R"({"ok":true,"items":[{"name":"a","t":1},{"name":"b"}]})";
  std::string buffer = body + std::string(simdjson::SIMDJSON_PADDING, 'x');
  simdjson::dom::parser parser;
  const ItemList rows(kRows);
  ItemList r;
  auto st = parseResponse(Hook::kAllocation, std::string_view(buffer.data(), body.size()),
                          rows.all(), parser, r, simdjson::SIMDJSON_PADDING);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(r[0], R"({"name":"a","t":1})");
  EXPECT_EQ(r[1], R"({"name":"b"})");
}

// A second key that unescapes to "items" must not let the raw copy diverge from the checked one.
TEST(Envelope, DuplicateItemsKeysAreCheckedAsReturned) {
  auto r = parse(Hook::kAllocation,
                 R"({"ok":true,"items":[{"name":"a"},{"name":"b"}],)"
                 R"("items":[{"name":"evil"},{"name":"evil"}]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[0], R"({"name":"a"})");
  EXPECT_EQ((*r)[1], R"({"name":"b"})");
}

TEST(FailurePolicy, AllocationRowsAreKeptAndMarked) {
  const std::vector<std::string> rows = {R"({"name":"a"})", "{}", " { } "};
  auto out = fallback(Hook::kAllocation, rows, "timed out");
  EXPECT_EQ(out[0], R"({"pluginStatus":"error","name":"a"})");
  EXPECT_EQ(out[1], R"({"pluginStatus":"error"})");
  EXPECT_EQ(out[2], R"( {"pluginStatus":"error" } )");
}

TEST(FailurePolicy, RecommendationsUnmodifiedAlertsFailOpen) {
  EXPECT_EQ(fallback(Hook::kRecommendation, kRows, "x"), kRows);
  auto alerts = fallback(Hook::kAlert, kRows, "trap \"x\"");
  ASSERT_EQ(alerts.size(), 2u);
  auto parsed = splitItems("[" + alerts[0] + "]", "alert");
  ASSERT_TRUE(parsed) << alerts[0];
  EXPECT_NE(alerts[0].find(R"("accepted":true)"), std::string::npos);
  EXPECT_NE(alerts[0].find(R"(trap \"x\")"), std::string::npos);
}

TEST(ItemList, OneBufferWithCommaSeparatedItemsAndPadding) {
  ItemList list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.all().joined(), "");
  list.push_back(R"({"a":1})");
  list.emplace([](std::string& out) { out += R"({"b":"x,y"})"; });
  list.push_back("{}");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0], R"({"a":1})");
  EXPECT_EQ(list[1], R"({"b":"x,y"})");
  EXPECT_EQ(list[2], "{}");
  EXPECT_EQ(list.all().joined(), R"({"a":1},{"b":"x,y"},{})");
  EXPECT_EQ(list.view(1, 3).joined(), R"({"b":"x,y"},{})");
  EXPECT_EQ(list.view(1, 3)[0], list[1]);
  EXPECT_EQ(list.bytes(), list.all().joined().size() + 1);
  // Every item can be read kPadding bytes past its end (what in-place parsing relies on).
  for (std::string_view item : list) {
    volatile char sink = 0;
    for (std::size_t i = 0; i < ItemList::kPadding; ++i) sink = sink + item.data()[item.size() + i];
    (void)sink;
  }
  list.truncate(1);
  ASSERT_EQ(list.size(), 1u);
  list.push_back("{}");
  EXPECT_EQ(list.all().joined(), R"({"a":1},{})");
  EXPECT_EQ(list, ItemList(std::vector<std::string>{R"({"a":1})", "{}"}));
  EXPECT_FALSE(list == ItemList(std::vector<std::string>{R"({"a":1})", "{ }"}));
  list.truncate(0);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.bytes(), 0u);
}

TEST(SplitItems, ArrayOrEnvelope) {
  EXPECT_EQ(splitItems(R"([{"a": 1}, {"b": [1, 2]}])", "f")->size(), 2u);
  EXPECT_EQ(splitItems(R"({"items": [{"a": 1}]})", "f")->size(), 1u);
  auto bad = splitItems("[1]", "rows.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "rows.json: items[0] is not an object");
  EXPECT_FALSE(splitItems("{\"x\":1}", "f"));
  EXPECT_FALSE(splitItems("nope", "f"));
}

}  // namespace
}  // namespace trimtab::plugin::internal
