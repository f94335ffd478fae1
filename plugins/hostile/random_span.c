/* Returns the (ptr << 32) | len given as 16 hex digits in the first item's "span" (or in
 * settings.span), so tests and the fuzzer can hand the host any packed result. */
#include "hostile.h"

static uint64_t hex(tt_str v) {
  uint64_t packed = 0;
  for (size_t i = 0; i < v.n && i < 16; i++) {
    char c = v.p[i];
    uint64_t d = (c >= '0' && c <= '9') ? (uint64_t)(c - '0') : (c >= 'a' && c <= 'f') ? (uint64_t)(c - 'a' + 10) : 0;
    packed = packed << 4 | d;
  }
  return packed;
}

static uint64_t span(uint32_t p, uint32_t n) {
  tt_request req = tt_parse_request(p, n);
  tt_str v;
  if (!req.ok) return 0;
  int first = 1;
  if (tt_array_begin(&req.items) && tt_array_next(&req.items, &first) && tt_peek(&req.items) == '{') {
    tt_str item = tt_skip(&req.items);
    if (tt_member(item, "span", &v)) return hex(v);
  }
  if (tt_member(req.settings, "span", &v)) return hex(v);
  return 0;
}
HOSTILE_HOOKS(span)
