// JSON string literals for the hand-written JSON writers (RFC 8259: quote, backslash and
// control characters escaped; UTF-8 passes through unchanged).
#pragma once

#include <string>
#include <string_view>

namespace trimtab::model {

// Appends `s` as a quoted JSON string.
void appendJsonString(std::string& out, std::string_view s);
// `s` as a quoted JSON string.
std::string jsonString(std::string_view s);

}  // namespace trimtab::model
