#include "store/codec.h"

#include <zstd.h>

#include <cstring>

#include <fmt/format.h>

namespace trimtab::store {

std::uint64_t checksum64(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ULL;
  // Process 8 bytes at a time (FNV-1a on words), then the tail; endianness is fixed (x86-64).
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * 1099511628211ULL;
  }
  for (; i < bytes.size(); ++i) {
    h = (h ^ static_cast<unsigned char>(bytes[i])) * 1099511628211ULL;
  }
  return h;
}

namespace {

std::string shuffle(std::string_view raw, std::size_t width) {
  std::string out(raw.size(), '\0');
  const std::size_t n = raw.size() / width;
  for (std::size_t b = 0; b < width; ++b) {
    char* dst = out.data() + b * n;
    const char* src = raw.data() + b;
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i * width];
  }
  return out;
}

std::string unshuffle(std::string_view shuffled, std::size_t width) {
  std::string out(shuffled.size(), '\0');
  const std::size_t n = shuffled.size() / width;
  for (std::size_t b = 0; b < width; ++b) {
    const char* src = shuffled.data() + b * n;
    char* dst = out.data() + b;
    for (std::size_t i = 0; i < n; ++i) dst[i * width] = src[i];
  }
  return out;
}

}  // namespace

void compressFrame(std::string_view raw, std::size_t element_size, int level, std::string& out) {
  std::string shuffled;
  std::string_view input = raw;
  if (element_size > 1 && raw.size() % element_size == 0) {
    shuffled = shuffle(raw, element_size);
    input = shuffled;
  }
  const std::size_t bound = ZSTD_compressBound(input.size());
  const std::size_t base = out.size();
  out.resize(base + bound);
  const std::size_t n = ZSTD_compress(out.data() + base, bound, input.data(), input.size(), level);
  // Compression into a buffer of ZSTD_compressBound size cannot fail for valid levels.
  out.resize(base + (ZSTD_isError(n) ? 0 : n));
}

Result<std::string> decompressFrame(std::string_view frame, std::size_t raw_size,
                                    std::size_t element_size) {
  std::string out(raw_size, '\0');
  const std::size_t n = ZSTD_decompress(out.data(), raw_size, frame.data(), frame.size());
  if (ZSTD_isError(n)) {
    return fail(ErrorCode::kCorrupt, fmt::format("column frame: {}", ZSTD_getErrorName(n)));
  }
  if (n != raw_size) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("column frame: {} bytes after decompression, expected {}", n, raw_size));
  }
  if (element_size > 1 && raw_size % element_size == 0) return unshuffle(out, element_size);
  return out;
}

bool ByteReader::raw(void* p, std::size_t n) {
  if (in_.size() - pos_ < n) return false;
  std::memcpy(p, in_.data() + pos_, n);
  pos_ += n;
  return true;
}

}  // namespace trimtab::store
