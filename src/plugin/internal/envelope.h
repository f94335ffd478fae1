// JSON envelopes of ABI v1: the request the host sends and the checks on what a plugin returns.
// Pure functions over text; no engine involved (fuzzed in tests/fuzz/plugin).
#pragma once

#include <simdjson.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"
#include "plugin/abi.h"

namespace trimtab::plugin::internal {

// {"apiVersion":"trimtab/plugin/v1","kind":<kind>,"settings":<settings>,"items":[<items>...]}
// REQUIRES: settings_json and every item are valid JSON (the host checked them).
void appendRequest(std::string& out, Hook hook, std::string_view settings_json,
                   std::span<const std::string> items);
// The same request written to `out` (exactly requestSize(...) bytes; e.g. straight into guest
// memory); returns the end.
std::size_t requestSize(Hook hook, std::string_view settings_json,
                        std::span<const std::string> items);
char* writeRequest(char* out, Hook hook, std::string_view settings_json,
                   std::span<const std::string> items);

// Checks a plugin's response to `inputs` and returns one minified JSON object per input item.
// Response: {"ok":true,"items":[...]} with exactly inputs.size() objects, or
// {"ok":false,"error":"...","code":N} (an error naming the plugin's message).
// Per hook: allocation and recommendation items must keep the input's "name" (when the input
// has one); alert items must carry a boolean "accepted".
// `readable_after`: bytes that may be read past the response's end; when they cover
// SIMDJSON_PADDING the response is parsed in place (e.g. in guest memory), otherwise simdjson
// makes a padded copy.
Result<std::vector<std::string>> parseResponse(Hook hook, std::string_view response,
                                               std::span<const std::string> inputs,
                                               simdjson::dom::parser& parser,
                                               std::size_t readable_after = 0);

// The failure policy's output for `inputs`: allocation rows unchanged but stamped
// "pluginStatus":"error"; recommendations unchanged; alerts {"accepted":true,...} (fail open).
std::vector<std::string> fallbackItems(Hook hook, std::span<const std::string> inputs,
                                       std::string_view reason);

}  // namespace trimtab::plugin::internal
