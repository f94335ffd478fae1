/* Shared by the hostile test plugins: each misbehaves in one way on every hook. */
#include "trimtab_plugin.h"

#define HOSTILE_HOOKS(fn)                                                                                     \
  TRIMTAB_EXPORT("trimtab_allocation_rule") uint64_t h_alloc(uint32_t p, uint32_t n) { return fn(p, n); }       \
  TRIMTAB_EXPORT("trimtab_recommendation_policy") uint64_t h_rec(uint32_t p, uint32_t n) { return fn(p, n); }   \
  TRIMTAB_EXPORT("trimtab_alert_filter") uint64_t h_alert(uint32_t p, uint32_t n) { return fn(p, n); }
