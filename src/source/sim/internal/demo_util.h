// Helpers shared by the demo generator and its snapshot writer.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

namespace trimtab::source::internal {

// splitmix64 finalizer: a good 64-bit mix for hashing (key, time) pairs.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// splitmix64 generator; explicit seed, never the wall clock or std::random_device.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi].
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  std::string hex(int digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < digits; ++i) s += kHex[next() & 15];
    return s;
  }
  // Kubernetes' rand.String alphabet (no vowels, no confusable digits).
  std::string k8sSuffix(int n) {
    static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::string s;
    for (int i = 0; i < n; ++i) s += kAlphabet[next() % 27];
    return s;
  }
  std::string uuid() {
    std::string h = hex(32);
    h[12] = '4';
    h[16] = "89ab"[next() & 3];
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20);
  }

 private:
  std::uint64_t state_;
};

// Deterministic noise in [-1, 1) for (key, minute).
inline double noise(std::uint64_t key, std::int64_t t) {
  std::uint64_t minute = static_cast<std::uint64_t>(t / 60);
  std::uint64_t h = mix64(key ^ mix64(minute));
  return static_cast<double>(h >> 11) * 0x1.0p-52 - 1.0;
}

}  // namespace trimtab::source::internal
