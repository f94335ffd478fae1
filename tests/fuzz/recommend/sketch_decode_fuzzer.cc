// Stored usage sketches decoded by the recommender (recommend/histogram.h): any bytes must give
// an error or a histogram whose reads stay finite and within its max.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "recommend/histogram.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using trimtab::recommend::DecodedSketch;
  using trimtab::recommend::Histogram;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  DecodedSketch d;
  if (!d.decode(bytes)) return 0;
  Histogram h;
  h.add(d, 0.5);
  h.add(d, 1.0);
  for (double q : {0.0, 0.5, 0.9, 0.99, 1.0}) {
    const double v = h.quantile(q);
    const double l = h.loadAdjustedQuantile(q);
    if (std::isnan(v) || v < 0 || v > h.max() || std::isnan(l) || l > h.max()) std::abort();
  }
  const double f = h.fractionAbove(h.quantile(0.5));
  if (!(f >= 0 && f <= 1)) std::abort();
  return 0;
}
