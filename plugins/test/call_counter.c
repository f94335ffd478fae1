/* Test plugin (not an example): counts its calls in a global, so tests can see that one
 * instance serves many calls and that a failed call leaves the next one on a fresh instance.
 *
 * Allocation hook. Each output item is the input item with "call":N put first, N being this
 * instance's call count (1 on a fresh instance). It misbehaves on request:
 *   an item with "trap":true   traps (unreachable) before answering;
 *   settings {"leakBytes":N}   allocates N bytes per call and never frees them, so memory grows
 *                              call after call until malloc fails at the declared maximum and the
 *                              call answers {"ok":false}.
 */
#include "trimtab_plugin.h"

static uint32_t calls;
static char* volatile last_leak;

static size_t parse_size(tt_str v) {
  size_t n = 0;
  for (size_t i = 0; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++) n = n * 10 + (size_t)(v.p[i] - '0');
  return n;
}

TRIMTAB_EXPORT("trimtab_allocation_rule") uint64_t count_calls(uint32_t ptr, uint32_t len) {
  calls++;
  tt_request req = tt_parse_request(ptr, len);
  if (!req.ok) return trimtab_error("request envelope not understood", 2);
  tt_str v;
  if (tt_member(req.settings, "leakBytes", &v)) {
    const size_t leak = parse_size(v);
    if (leak > 0) {
      char* block = (char*)malloc(leak);
      if (!block) return trimtab_error("out of memory (leaking on purpose)", 12);
      block[leak - 1] = 1;
      last_leak = block; /* volatile: the allocation cannot be optimised away */
    }
  }
  tt_buf out = {0, 0, 0, 0};
  tt_puts(&out, "{\"ok\":true,\"items\":[");
  int first = 1, n = 0;
  tt_array_begin(&req.items);
  while (tt_array_next(&req.items, &first)) {
    if (tt_peek(&req.items) != '{') return trimtab_error("item is not an object", 2);
    tt_str item = tt_skip(&req.items);
    if (req.items.error) break;
    if (tt_member(item, "trap", &v) && tt_eq(v, "true")) __builtin_trap();
    if (n++) tt_put(&out, ",", 1);
    tt_puts(&out, "{\"call\":");
    tt_put_u64(&out, calls);
    /* The rest of the item after its '{': "}" alone, or members that need a comma first. */
    tt_json rest = {item.p + 1, item.p + item.n, 0};
    if (tt_peek(&rest) != '}') tt_put(&out, ",", 1);
    tt_put(&out, rest.p, (size_t)(rest.end - rest.p));
  }
  if (req.items.error) return trimtab_error("items array is not valid JSON", 2);
  tt_puts(&out, "]}");
  return trimtab_result(&out);
}
