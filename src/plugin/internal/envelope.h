// JSON envelopes of ABI v1: the request the host sends and the checks on what a plugin returns.
// Pure functions over text; no engine involved (fuzzed in tests/fuzz/plugin).
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "model/error.h"
#include "plugin/abi.h"
#include "plugin/item_list.h"

namespace trimtab::plugin::internal {

// {"apiVersion":"trimtab/plugin/v1","kind":<kind>,"settings":<settings>,"items":[<items>...]}
// REQUIRES: settings_json and every item are valid JSON (the host checked them).
void appendRequest(std::string& out, Hook hook, std::string_view settings_json, ItemView items);
// The same request written to `out` (exactly requestSize(...) bytes; e.g. straight into guest
// memory); returns the end.
std::size_t requestSize(Hook hook, std::string_view settings_json, ItemView items);
char* writeRequest(char* out, Hook hook, std::string_view settings_json, ItemView items);

// Checks a plugin's response to `inputs` and appends one JSON object per input item to `out`
// (nothing on error).
// Response: {"ok":true,"items":[...]} with exactly inputs.size() objects, or
// {"ok":false,"error":"...","code":N} (an error naming the plugin's message).
// Per hook: allocation and recommendation items must keep the input's "name" (when the input
// has one); alert items must carry a boolean "accepted".
// `readable_after`: bytes that may be read past the response's end; when they cover
// SIMDJSON_PADDING the response is parsed in place (e.g. in guest memory), otherwise simdjson
// makes a padded copy.
// Validates the response as parseResponse does. Both members live in `parser`'s document (they
// do not refer to `response`) until the parser's next parse.
struct CheckedResponse {
  simdjson::dom::object root;
  simdjson::dom::array items;  // exactly inputs.size() objects
};
Result<CheckedResponse> checkResponse(Hook hook, std::string_view response, ItemView inputs,
                                      simdjson::dom::parser& parser,
                                      std::size_t readable_after = 0);
Status parseResponse(Hook hook, std::string_view response, ItemView inputs,
                     simdjson::dom::parser& parser, ItemList& out, std::size_t readable_after = 0);

// Appends the failure policy's output for `inputs` to `out`: allocation rows unchanged but
// stamped "pluginStatus":"error"; recommendations unchanged; alerts {"accepted":true,...}
// (fail open).
void appendFallbackItems(Hook hook, ItemView inputs, std::string_view reason, ItemList& out);

}  // namespace trimtab::plugin::internal
