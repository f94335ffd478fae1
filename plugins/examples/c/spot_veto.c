/* Recommendation policy: veto spot/preemptible recommendations for listed namespaces
 * ("no spot for namespace payments"); every other recommendation passes unchanged.
 *
 * settings: {"namespaces":["payments","billing"]}
 * A recommendation to run on spot capacity ("type":"spot", "spot":true or
 * "capacityType":"spot") whose "namespace" is listed comes back with "vetoed":true and
 * "vetoReason":"spot vetoed for namespace <ns> by policy spot_veto".
 */
#include "trimtab_plugin.h"

#define MAX_NAMESPACES 256

static tt_str namespaces[MAX_NAMESPACES];
static int namespace_count;

static void read_settings(tt_str settings) {
  namespace_count = 0;
  tt_json j = {settings.p, settings.p + settings.n, 0};
  if (!tt_find(&j, "namespaces") || tt_peek(&j) != '[') return;
  int first = 1;
  tt_array_begin(&j);
  while (tt_array_next(&j, &first)) {
    if (tt_peek(&j) == '"' && namespace_count < MAX_NAMESPACES) {
      namespaces[namespace_count++] = tt_string(&j);
    } else {
      tt_skip(&j);
    }
  }
}

TRIMTAB_EXPORT("trimtab_recommendation_policy") uint64_t recommendation_policy(uint32_t ptr, uint32_t len) {
  tt_request req = tt_parse_request(ptr, len);
  if (!req.ok) return trimtab_error("request envelope not understood", 2);
  read_settings(req.settings);

  tt_buf out = {0, 0, 0, 0};
  tt_puts(&out, "{\"ok\":true,\"items\":[");
  int first = 1, n = 0, vetoed = 0;
  tt_array_begin(&req.items);
  while (tt_array_next(&req.items, &first)) {
    if (tt_peek(&req.items) != '{') return trimtab_error("item is not an object", 2);
    tt_str item = tt_skip(&req.items);
    if (n++) tt_put(&out, ",", 1);
    tt_str type, ns;
    int veto = 0;
    int spot = (tt_member(item, "type", &type) && tt_eq(type, "spot")) ||
               (tt_member(item, "spot", &type) && tt_eq(type, "true")) ||
               (tt_member(item, "capacityType", &type) && tt_eq(type, "spot"));
    if (spot && tt_member(item, "namespace", &ns)) {
      for (int i = 0; i < namespace_count; i++) {
        if (tt_eq_str(namespaces[i], ns)) veto = 1;
      }
    }
    if (!veto) {
      tt_put(&out, item.p, item.n);
      continue;
    }
    vetoed++;
    /* item without its closing brace, then the verdict */
    size_t body = item.n - 1;
    while (body > 0 && item.p[body] != '}') body--;
    tt_put(&out, item.p, body);
    tt_puts(&out, body > 1 ? ",\"vetoed\":true,\"vetoReason\":\"spot vetoed for namespace "
                           : "\"vetoed\":true,\"vetoReason\":\"spot vetoed for namespace ");
    tt_put(&out, ns.p, ns.n);
    tt_puts(&out, " by policy spot_veto\"}");
  }
  if (req.items.error) return trimtab_error("items array is not valid JSON", 2);
  tt_puts(&out, "]}");
  if (vetoed) trimtab_log(1, "spot recommendations vetoed for protected namespaces");
  return trimtab_result(&out);
}
