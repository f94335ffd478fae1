// Kubernetes resource quantities (resource.Quantity) parsed with the apiserver grammar and exact
// decimal arithmetic:
//
//   <quantity>  ::= <sign>? <number> <suffix>
//   <number>    ::= <digits> | <digits> "." <digits>? | "." <digits>
//   <suffix>    ::= "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E"      (decimal SI)
//                 | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"                      (binary SI)
//                 | ("e" | "E") <sign>? <digits>                                (decimal exponent)
//
// No whitespace anywhere. Results are int64 and rounded up like Quantity.Value() and
// Quantity.MilliValue() (away from zero for negative values); a value whose rounded result does
// not fit an int64 is an error, never a wrap or a saturation. No floating point is involved, so
// "0.1" and "100m" both give exactly 100 millicores.
//
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/error.h"

namespace trimtab::model {

// value × 1000, rounded up. Used for CPU (millicores).
// Errors (ErrorCode::kParse):
//   "<text>": not a quantity (expected e.g. 100m, 0.5, 1Gi)
//   "<text>": quantity out of range
Result<std::int64_t> parseQuantityMilli(std::string_view text);

// value rounded up to an integer. Used for bytes and counts. Same errors as above.
Result<std::int64_t> parseQuantity(std::string_view text);

// "250m" for 250, "2" for 2000, "0" for 0.
std::string formatCpuMillicores(std::int64_t millicores);

// The largest binary suffix that represents the value exactly: "512Mi", "1Gi", "1536Ki";
// plain bytes otherwise ("1000", "0").
std::string formatBytes(std::int64_t bytes);

namespace internal {

// Exact reference implementation (arbitrary precision on decimal digit strings) used by the
// fast path for the rare inputs it cannot handle, and by the fuzzer to cross-check it.
// extra_decimal_exponent is 3 for milli values, 0 otherwise.
Result<std::int64_t> parseQuantitySlow(std::string_view text, int extra_decimal_exponent);

}  // namespace internal

}  // namespace trimtab::model
