// Finding where a JSON text stops being JSON, for error messages: simdjson reports what went
// wrong but not where. Only used after a parse has failed, so it favours simplicity over speed.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace trimtab::model::internal {

// Byte offset of the first byte at which text stops being valid JSON (RFC 8259, UTF-8, nesting
// at most 1024 deep), or nullopt when the text is valid by these rules.
std::optional<std::size_t> locateJsonError(std::string_view text);

}  // namespace trimtab::model::internal
