/* trimtab_alloc traps. */
#define TRIMTAB_NO_DEFAULT_EXPORTS
#include "hostile.h"
TRIMTAB_EXPORT("trimtab_abi_v1") void abi_v1(void) {}
TRIMTAB_EXPORT("trimtab_alloc") uint32_t alloc_(uint32_t size) {
  if (size > 0) __builtin_trap();
  return 0;
}
TRIMTAB_EXPORT("trimtab_free") void free_(uint32_t ptr, uint32_t size) {
  (void)ptr;
  (void)size;
}
static uint64_t echo(uint32_t p, uint32_t n) { return ((uint64_t)p << 32) | n; }
HOSTILE_HOOKS(echo)
