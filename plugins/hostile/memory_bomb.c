/* Allocates until memory.grow fails at the declared maximum, then traps. Built twice: with a
 * maximum inside the cap (runs, traps) and with a 4 GiB maximum (rejected at load). */
#include "hostile.h"
static uint64_t bomb(uint32_t p, uint32_t n) {
  size_t total = 0;
  for (;;) {
    char* block = (char*)malloc(1 << 20);
    if (!block) break;
    memset(block, 0xab, 1 << 20);
    total += 1 << 20;
  }
  if (total > 0) __builtin_trap();
  return p + n;
}
HOSTILE_HOOKS(bomb)
