#include "store/codec.h"

#include <zstd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
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

// Inverse of shuffle(): count elements of width bytes, stored plane by plane in src, written
// element by element to dest. Widths 8 and 4 (every numeric column) use SSE2 byte transposes of
// 16 elements at a time; the rest is scalar.
void unshuffle(const char* src, std::size_t count, std::size_t width, char* dest) {
  std::size_t i = 0;
#if defined(__SSE2__)
  auto plane = [&](std::size_t b, std::size_t at) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + b * count + at));
  };
  auto store = [&](std::size_t at, __m128i v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dest + at), v);
  };
  if (width == 8) {
    for (; i + 16 <= count; i += 16) {
      const __m128i t0 = _mm_unpacklo_epi8(plane(0, i), plane(1, i));
      const __m128i t1 = _mm_unpackhi_epi8(plane(0, i), plane(1, i));
      const __m128i t2 = _mm_unpacklo_epi8(plane(2, i), plane(3, i));
      const __m128i t3 = _mm_unpackhi_epi8(plane(2, i), plane(3, i));
      const __m128i t4 = _mm_unpacklo_epi8(plane(4, i), plane(5, i));
      const __m128i t5 = _mm_unpackhi_epi8(plane(4, i), plane(5, i));
      const __m128i t6 = _mm_unpacklo_epi8(plane(6, i), plane(7, i));
      const __m128i t7 = _mm_unpackhi_epi8(plane(6, i), plane(7, i));
      const __m128i u0 = _mm_unpacklo_epi16(t0, t2), u1 = _mm_unpackhi_epi16(t0, t2);
      const __m128i u2 = _mm_unpacklo_epi16(t1, t3), u3 = _mm_unpackhi_epi16(t1, t3);
      const __m128i u4 = _mm_unpacklo_epi16(t4, t6), u5 = _mm_unpackhi_epi16(t4, t6);
      const __m128i u6 = _mm_unpacklo_epi16(t5, t7), u7 = _mm_unpackhi_epi16(t5, t7);
      const std::size_t at = i * 8;
      store(at + 0, _mm_unpacklo_epi32(u0, u4));
      store(at + 16, _mm_unpackhi_epi32(u0, u4));
      store(at + 32, _mm_unpacklo_epi32(u1, u5));
      store(at + 48, _mm_unpackhi_epi32(u1, u5));
      store(at + 64, _mm_unpacklo_epi32(u2, u6));
      store(at + 80, _mm_unpackhi_epi32(u2, u6));
      store(at + 96, _mm_unpacklo_epi32(u3, u7));
      store(at + 112, _mm_unpackhi_epi32(u3, u7));
    }
  } else if (width == 4) {
    for (; i + 16 <= count; i += 16) {
      const __m128i t0 = _mm_unpacklo_epi8(plane(0, i), plane(1, i));
      const __m128i t1 = _mm_unpackhi_epi8(plane(0, i), plane(1, i));
      const __m128i t2 = _mm_unpacklo_epi8(plane(2, i), plane(3, i));
      const __m128i t3 = _mm_unpackhi_epi8(plane(2, i), plane(3, i));
      const std::size_t at = i * 4;
      store(at + 0, _mm_unpacklo_epi16(t0, t2));
      store(at + 16, _mm_unpackhi_epi16(t0, t2));
      store(at + 32, _mm_unpacklo_epi16(t1, t3));
      store(at + 48, _mm_unpackhi_epi16(t1, t3));
    }
  }
#endif
  for (; i < count; ++i) {
    for (std::size_t b = 0; b < width; ++b) dest[i * width + b] = src[b * count + i];
  }
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
  struct Context {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    ~Context() { ZSTD_freeCCtx(ctx); }
  };
  thread_local Context context;
  ZSTD_CCtx_reset(context.ctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(context.ctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(context.ctx, ZSTD_c_checksumFlag, 1);
  const std::size_t n =
      ZSTD_compress2(context.ctx, out.data() + base, bound, input.data(), input.size());
  // Compression into a buffer of ZSTD_compressBound size cannot fail for valid levels.
  out.resize(base + (ZSTD_isError(n) ? 0 : n));
}

Status decompressFrameInto(std::string_view frame, std::size_t raw_size,
                           std::size_t element_size, char* dest) {
  // One decompression context and scratch buffer per thread: creating a context per column
  // costs more than decoding a small column.
  struct Context {
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    std::string scratch;
    ~Context() { ZSTD_freeDCtx(ctx); }
  };
  thread_local Context context;
  const bool shuffled = element_size > 1 && raw_size % element_size == 0;
  char* target = dest;
  if (shuffled) {
    if (context.scratch.size() < raw_size) context.scratch.resize(raw_size);
    target = context.scratch.data();
  }
  const std::size_t n =
      ZSTD_decompressDCtx(context.ctx, target, raw_size, frame.data(), frame.size());
  if (ZSTD_isError(n)) {
    return fail(ErrorCode::kCorrupt, fmt::format("column frame: {}", ZSTD_getErrorName(n)));
  }
  if (n != raw_size) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("column frame: {} bytes after decompression, expected {}", n, raw_size));
  }
  if (shuffled) unshuffle(target, raw_size / element_size, element_size, dest);
  return {};
}

std::optional<std::uint64_t> frameContentSize(std::string_view frame) {
  const unsigned long long n = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR) return std::nullopt;
  return static_cast<std::uint64_t>(n);
}

Result<std::string> decompressFrame(std::string_view frame, std::size_t raw_size,
                                    std::size_t element_size) {
  std::string out(raw_size, '\0');
  if (auto s = decompressFrameInto(frame, raw_size, element_size, out.data()); !s) {
    return fail(s.error());
  }
  return out;
}

bool ByteReader::raw(void* p, std::size_t n) {
  if (in_.size() - pos_ < n) return false;
  std::memcpy(p, in_.data() + pos_, n);
  pos_ += n;
  return true;
}

}  // namespace trimtab::store
