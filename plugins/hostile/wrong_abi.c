/* Declares a future ABI version instead of trimtab_abi_v1. */
#define TRIMTAB_NO_DEFAULT_EXPORTS
#include "hostile.h"
TRIMTAB_EXPORT("trimtab_abi_v2") void abi_v2(void) {}
TRIMTAB_EXPORT("trimtab_alloc") uint32_t alloc_(uint32_t size) { return (uint32_t)(uintptr_t)malloc(size ? size : 1); }
TRIMTAB_EXPORT("trimtab_free") void free_(uint32_t ptr, uint32_t size) {
  (void)size;
  free((void*)(uintptr_t)ptr);
}
static uint64_t echo(uint32_t p, uint32_t n) { return ((uint64_t)p << 32) | n; }
HOSTILE_HOOKS(echo)
