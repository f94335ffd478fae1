/* Never returns: the watchdog must terminate it. */
#include "hostile.h"
static uint64_t spin(uint32_t p, uint32_t n) {
  volatile uint32_t x = p + n;
  for (;;) x = x * 1664525u + 1013904223u;
  return x;
}
HOSTILE_HOOKS(spin)
