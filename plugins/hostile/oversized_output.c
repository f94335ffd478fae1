/* Returns 20 MiB of output, over the default 16 MiB cap. */
#include "hostile.h"
static uint64_t big(uint32_t p, uint32_t n) {
  (void)p;
  (void)n;
  size_t len = 20u << 20;
  char* out = (char*)malloc(len);
  if (!out) return trimtab_error("no memory", 12);
  memset(out, ' ', len);
  return trimtab_pack(out, len);
}
HOSTILE_HOOKS(big)
