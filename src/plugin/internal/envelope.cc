#include "plugin/internal/envelope.h"
#include "model/json_text.h"

#include <fmt/format.h>

#include <cstring>
#include <optional>

namespace trimtab::plugin::internal {

using model::appendJsonString;

namespace {

// Index of the closing quote of the string whose opening quote is text[open] (text.size() when
// unterminated). memchr-based: strings are most of the bytes.
std::size_t stringEnd(std::string_view text, std::size_t open) {
  std::size_t i = open + 1;
  while (i < text.size()) {
    const void* q = std::memchr(text.data() + i, '"', text.size() - i);
    if (q == nullptr) return text.size();
    std::size_t at = static_cast<std::size_t>(static_cast<const char*>(q) - text.data());
    std::size_t backslashes = 0;
    while (at - backslashes > open + 1 && text[at - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return at;
    i = at + 1;
  }
  return text.size();
}

// End of the JSON value starting at text[i] (valid JSON: only strings and nesting matter).
std::size_t skipValue(std::string_view text, std::size_t i) {
  int depth = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      i = stringEnd(text, i);
      if (depth == 0) return i + 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth <= 0) return i + 1;
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
      return i;
    }
  }
  return text.size();
}

// The raw text of the first top-level member `key` (unescaped key text) of a validated JSON
// object, or nullopt.
// With `onward`, the view runs from the value to the end of `text` instead (the value itself is
// not scanned: callers that walk it anyway save a pass).
std::optional<std::string_view> topLevelMember(std::string_view text, std::string_view key,
                                               bool onward = false) {
  auto ws = [&](std::size_t i) {
    while (i < text.size() &&
           (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
      ++i;
    return i;
  };
  std::size_t i = ws(0);
  if (i >= text.size() || text[i] != '{') return std::nullopt;
  i = ws(i + 1);
  while (i < text.size() && text[i] == '"') {
    const std::size_t key_end = skipValue(text, i);
    const std::string_view k = text.substr(i + 1, key_end - i - 2);
    i = ws(key_end);
    if (i >= text.size() || text[i] != ':') return std::nullopt;
    i = ws(i + 1);
    if (onward && k == key) return text.substr(i);
    const std::size_t value_end = skipValue(text, i);
    if (k == key) return text.substr(i, value_end - i);
    i = ws(value_end);
    if (i >= text.size() || text[i] != ',') return std::nullopt;
    i = ws(i + 1);
  }
  return std::nullopt;
}

// Splits the text of a JSON array that simdjson has already validated into the raw text of its
// elements. Only strings and nesting need tracking because the structure is known to be valid.
std::vector<std::string_view> arrayElements(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = text.find('[');
  if (i == std::string_view::npos) return out;
  ++i;
  int depth = 0;
  std::size_t start = std::string_view::npos;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      if (start == std::string_view::npos) start = i;
      i = stringEnd(text, i);
      continue;
    }
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (start == std::string_view::npos && c != ',' && c != ']') start = i;
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) {  // the array's own ']'
        if (start != std::string_view::npos) out.push_back(text.substr(start, i - start));
        break;
      }
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(text.substr(start, i - start));
      start = std::string_view::npos;
    }
  }
  // Trailing spaces inside an element's span (before ',' or ']') are harmless but trimmed.
  for (auto& e : out) {
    while (!e.empty() &&
           (e.back() == ' ' || e.back() == '\n' || e.back() == '\r' || e.back() == '\t'))
      e.remove_suffix(1);
  }
  return out;
}

}  // namespace

static_assert(ItemList::kPadding >= simdjson::SIMDJSON_PADDING,
              "items are parsed in place: their padding must cover simdjson's");

namespace {
constexpr std::string_view kRequestHead = R"({"apiVersion":")";
constexpr std::string_view kRequestKind = R"(","kind":")";
constexpr std::string_view kRequestSettings = R"(","settings":)";
constexpr std::string_view kRequestItems = R"(,"items":[)";
constexpr std::string_view kRequestTail = "]}";

char* put(char* out, std::string_view s) {
  if (!s.empty()) std::memcpy(out, s.data(), s.size());
  return out + s.size();
}
}  // namespace

std::size_t requestSize(Hook hook, std::string_view settings_json, ItemView items) {
  return kRequestHead.size() + kApiVersion.size() + kRequestKind.size() + hookKind(hook).size() +
         kRequestSettings.size() + (settings_json.empty() ? 2 : settings_json.size()) +
         kRequestItems.size() + items.joined().size() + kRequestTail.size();
}

char* writeRequest(char* out, Hook hook, std::string_view settings_json, ItemView items) {
  out = put(out, kRequestHead);
  out = put(out, kApiVersion);
  out = put(out, kRequestKind);
  out = put(out, hookKind(hook));
  out = put(out, kRequestSettings);
  out = put(out, settings_json.empty() ? std::string_view("{}") : settings_json);
  out = put(out, kRequestItems);
  out = put(out, items.joined());  // the items, already comma-separated in their buffer
  return put(out, kRequestTail);
}

void appendRequest(std::string& out, Hook hook, std::string_view settings_json, ItemView items) {
  const std::size_t at = out.size();
  out.resize(at + requestSize(hook, settings_json, items));
  writeRequest(out.data() + at, hook, settings_json, items);
}

Result<CheckedResponse> checkResponse(Hook hook, std::string_view response, ItemView inputs,
                                      simdjson::dom::parser& parser,
                                      std::size_t readable_after) {
  simdjson::dom::element root;
  // In place when the bytes after the response cover simdjson's padding (no copy).
  const bool in_place = readable_after >= simdjson::SIMDJSON_PADDING;
  if (auto err = parser.parse(response.data(), response.size(), !in_place).get(root)) {
    return fail(ErrorCode::kParse,
                fmt::format("response is not JSON ({})", simdjson::error_message(err)));
  }
  simdjson::dom::object obj;
  if (root.get(obj)) return fail(ErrorCode::kParse, "response is not a JSON object");
  bool ok = false;
  if (obj["ok"].get(ok)) return fail(ErrorCode::kParse, "response has no boolean \"ok\"");
  if (!ok) {
    std::string_view message = "(no message)";
    if (obj["error"].get(message)) message = "(no message)";
    int64_t code = 0;
    if (obj["code"].get(code)) code = 0;
    return fail(ErrorCode::kUnsupported, fmt::format("plugin reported an error (code {}): {}", code,
                                                     message.substr(0, 500)));
  }
  simdjson::dom::array items;
  if (obj["items"].get(items)) return fail(ErrorCode::kParse, "response has no \"items\" array");
  if (items.size() != inputs.size()) {
    return fail(ErrorCode::kParse,
                fmt::format("response has {} items for {} inputs", items.size(), inputs.size()));
  }
  // The request items are the host's own valid JSON: their top-level "name" is found by a raw
  // scan (usually the first member); only names with escapes need a real parse.
  std::string unescaped_name;
  auto inputName = [&](std::size_t i) -> std::optional<std::string_view> {
    auto raw = topLevelMember(inputs[i], "name");
    if (!raw || raw->size() < 2 || raw->front() != '"') return std::nullopt;
    const std::string_view inner = raw->substr(1, raw->size() - 2);
    if (inner.find('\\') == std::string_view::npos) return inner;
    simdjson::dom::parser one;
    std::string_view unescaped;
    if (one.parse(*raw).get(unescaped)) return std::nullopt;
    unescaped_name.assign(unescaped);
    return std::string_view(unescaped_name);
  };
  std::size_t i = 0;
  for (simdjson::dom::element item : items) {
    simdjson::dom::object item_obj;
    if (item.get(item_obj))
      return fail(ErrorCode::kParse, fmt::format("items[{}] is not an object", i));
    if (hook == Hook::kAlert) {
      bool accepted = false;
      if (item_obj["accepted"].get(accepted)) {
        return fail(ErrorCode::kParse, fmt::format("items[{}] has no boolean \"accepted\"", i));
      }
    } else if (auto want = inputName(i)) {
      std::string_view got;
      if (item_obj["name"].get(got) || got != *want) {
        return fail(ErrorCode::kParse,
                    fmt::format("items[{}] changed or dropped \"name\" (input \"{}\")", i,
                                want->substr(0, 200)));
      }
    }
    ++i;
  }
  return CheckedResponse{obj, items};
}

Status parseResponse(Hook hook, std::string_view response, ItemView inputs,
                     simdjson::dom::parser& parser, ItemList& out, std::size_t readable_after) {
  auto checked = checkResponse(hook, response, inputs, parser, readable_after);
  if (!checked) return fail(checked.error());
  // Items are returned as the plugin wrote them (valid JSON objects, checked above).
  const simdjson::dom::object obj = checked->root;
  std::vector<std::string_view> raw;
  // An escaped key ("\u0069tems") is not found raw; minify then.
  // The raw scan finds the first key spelled "items" literally; the checks above used the first
  // key that unescapes to "items". They are the same member only when there is one such key.
  std::size_t items_keys = 0;
  for (simdjson::dom::key_value_pair field : obj) items_keys += field.key == "items";
  if (items_keys == 1) {
    if (auto items_text = topLevelMember(response, "items", /*onward=*/true))
      raw = arrayElements(*items_text);
  }
  if (raw.size() == inputs.size() && (raw.empty() || raw.front().front() == '{')) {
    for (auto e : raw) out.push_back(e);
  } else {
    for (simdjson::dom::element item : checked->items) out.push_back(simdjson::minify(item));
  }
  return {};
}

void appendFallbackItems(Hook hook, ItemView inputs, std::string_view reason, ItemList& out) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string_view in = inputs[i];
    switch (hook) {
      case Hook::kAllocation: {
        const std::size_t brace = in.find('{');
        if (brace == std::string_view::npos) {
          out.push_back(in);
          break;
        }
        const bool empty = in.find_first_not_of(" \t\r\n", brace + 1) == in.find('}', brace + 1);
        out.emplace([&](std::string& o) {
          o.append(in.substr(0, brace + 1));
          o += empty ? R"("pluginStatus":"error")" : R"("pluginStatus":"error",)";
          o.append(in.substr(brace + 1));
        });
        break;
      }
      case Hook::kRecommendation:
        out.push_back(in);
        break;
      case Hook::kAlert:
        out.emplace([&](std::string& o) {
          o += R"({"accepted":true,"message":)";
          appendJsonString(
              o, fmt::format("plugin failed, alert not suppressed (fail open): {}", reason));
          o += '}';
        });
        break;
    }
  }
}

}  // namespace trimtab::plugin::internal
