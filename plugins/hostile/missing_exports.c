/* Has the ABI marker but neither trimtab_alloc nor any hook. */
#define TRIMTAB_NO_DEFAULT_EXPORTS
#include "hostile.h"
TRIMTAB_EXPORT("trimtab_abi_v1") void abi_v1(void) {}
TRIMTAB_EXPORT("trimtab_free") void free_(uint32_t ptr, uint32_t size) {
  (void)size;
  free((void*)(uintptr_t)ptr);
}
TRIMTAB_EXPORT("helper") uint64_t helper(uint32_t p, uint32_t n) { return ((uint64_t)p << 32) | n; }
