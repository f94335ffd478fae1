// Small string helpers shared by the pricing sources. Not for other subsystems.
#pragma once

#include <string>
#include <string_view>

#include "model/objects.h"

namespace trimtab::pricing::internal {

std::string toLower(std::string_view text);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
bool startsWith(std::string_view text, std::string_view prefix);

// Shell-style glob: '*' matches any run of characters, '?' one character; everything else
// literally. Case-insensitive. Linear-time in practice (greedy with one backtrack point).
bool globMatch(std::string_view pattern, std::string_view text);

// Value of a label (linear scan; label maps are small), or nullptr.
const std::string* labelValue(const model::StringMap& labels, std::string_view key);

// Well-known node labels, with the beta label as fallback. Empty when absent.
std::string nodeInstanceType(const model::Node& node);
std::string nodeRegion(const model::Node& node);

}  // namespace trimtab::pricing::internal
