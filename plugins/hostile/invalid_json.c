/* Answers with text that is not JSON. */
#include "hostile.h"
static uint64_t garbage(uint32_t p, uint32_t n) {
  (void)p;
  (void)n;
  static const char text[] = "{\"ok\":true,\"items\":[{\"name\": oops";
  return trimtab_pack(text, sizeof text - 1);
}
HOSTILE_HOOKS(garbage)
