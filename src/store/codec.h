// Column codec for immutable blocks: each column is stored as one compressed frame.
// Numbers are little-endian; f64/i64/u32 columns are byte-shuffled (all first bytes, then all
// second bytes, ...) before zstd, which makes slowly varying values compress well.
// Every frame carries a checksum of its raw bytes so corruption is detected, never served.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"

namespace trimtab::store {

enum class ColumnType : std::uint8_t { kU32 = 1, kI64 = 2, kF64 = 3, kBytes = 4 };

// 64-bit FNV-1a over bytes; cheap and sufficient to detect torn or corrupted frames.
std::uint64_t checksum64(std::string_view bytes);

// Appends a compressed frame for `raw` (already in column layout) to `out`.
// element_size > 1 enables byte shuffling.
void compressFrame(std::string_view raw, std::size_t element_size, int level, std::string& out);

// Decompresses a frame produced by compressFrame. raw_size is the expected size.
Result<std::string> decompressFrame(std::string_view frame, std::size_t raw_size,
                                    std::size_t element_size);

// Same, into dest (raw_size bytes, already allocated): no intermediate copies on the hot path.
// The frame's own content checksum (zstd XXH64) is verified.
Status decompressFrameInto(std::string_view frame, std::size_t raw_size,
                           std::size_t element_size, char* dest);

// The decompressed size a frame declares in its header (compressFrame always writes it), or
// nullopt when the frame is malformed or does not declare it. Lets a reader refuse an absurd
// size before allocating for it.
std::optional<std::uint64_t> frameContentSize(std::string_view frame);

// Little-endian encoders for the block container format.
class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { raw(&v, 2); }
  void u32(std::uint32_t v) { raw(&v, 4); }
  void u64(std::uint64_t v) { raw(&v, 8); }
  void bytes(std::string_view b) { out_.append(b); }
  void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool u8(std::uint8_t& v) { return raw(&v, 1); }
  bool u16(std::uint16_t& v) { return raw(&v, 2); }
  bool u32(std::uint32_t& v) { return raw(&v, 4); }
  bool u64(std::uint64_t& v) { return raw(&v, 8); }
  bool raw(void* p, std::size_t n);
  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace trimtab::store
