/* Reads far outside its linear memory: a trap. */
#include "hostile.h"
static uint64_t oob(uint32_t p, uint32_t n) {
  volatile uint32_t* far = (volatile uint32_t*)(uintptr_t)(0xfffffff0u - (p & 0xf));
  return *far + n;
}
HOSTILE_HOOKS(oob)
