// The only place Trimtab reads the wall clock. Everything else takes a Clock& so tests can
// use FakeClock.
#pragma once

#include <cstdint>

namespace trimtab {

// Seconds since the Unix epoch, UTC.
using UnixSeconds = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixSeconds nowSeconds() const = 0;
  // Monotonic nanoseconds, for durations only.
  virtual std::int64_t monotonicNanos() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixSeconds nowSeconds() const override;
  std::int64_t monotonicNanos() const override;
  static const SystemClock& instance();
};

// Thread-compatible (not thread-safe): tests set the time explicitly.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixSeconds now = 0) : now_(now) {}
  UnixSeconds nowSeconds() const override { return now_; }
  std::int64_t monotonicNanos() const override { return mono_; }
  void set(UnixSeconds now) { now_ = now; }
  void advanceNanos(std::int64_t n) { mono_ += n; }

 private:
  UnixSeconds now_;
  std::int64_t mono_ = 0;
};

}  // namespace trimtab
