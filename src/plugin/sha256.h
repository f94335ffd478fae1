// SHA-256 of plugin bytes for the sha256 pin (OpenSSL libcrypto).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "model/error.h"

namespace trimtab::plugin {

// Lower-case hex digest (64 characters).
std::string sha256Hex(std::span<const std::uint8_t> bytes);

// OK when `pin` (hex, either case, surrounding spaces ignored, optional "sha256:" prefix)
// equals the digest of `bytes`; kInvalidArgument when the pin is not 64 hex digits; kCorrupt
// naming both digests when they differ. `what` names the file in messages.
Status verifySha256Pin(std::span<const std::uint8_t> bytes, std::string_view pin,
                       std::string_view what);

}  // namespace trimtab::plugin
