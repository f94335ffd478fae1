#include "plugin/sha256.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cctype>

namespace trimtab::plugin {

std::string sha256Hex(std::span<const std::uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  // EVP_Digest only fails on allocation failure inside OpenSSL; an empty result then fails
  // every pin comparison, which is the safe direction.
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &digest_len, EVP_sha256(), nullptr) != 1)
    return "";
  std::string hex;
  hex.reserve(digest_len * 2);
  for (unsigned int i = 0; i < digest_len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

Status verifySha256Pin(std::span<const std::uint8_t> bytes, std::string_view pin,
                       std::string_view what) {
  while (!pin.empty() && std::isspace(static_cast<unsigned char>(pin.front())))
    pin.remove_prefix(1);
  while (!pin.empty() && std::isspace(static_cast<unsigned char>(pin.back()))) pin.remove_suffix(1);
  if (pin.starts_with("sha256:")) pin.remove_prefix(7);
  std::string want;
  for (char c : pin) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      want.clear();
      break;
    }
    want += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (want.size() != 64) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: sha256 pin \"{}\": expected 64 hex digits", what, pin));
  }
  const std::string got = sha256Hex(bytes);
  if (got != want) {
    return fail(
        ErrorCode::kCorrupt,
        fmt::format("{}: sha256 {} does not match the pinned {} (file modified or wrong pin)", what,
                    got, want));
  }
  return {};
}

}  // namespace trimtab::plugin
