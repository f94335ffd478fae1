/* Alert filter: send a cost alert only when its monthly cost change reaches a threshold, so a
 * +$3/month blip does not page anyone.
 *
 * settings: {"minMonthlyDelta":50}
 * Each alert item with a numeric "monthlyDelta" below the threshold (by absolute value) is
 * rejected; all others are accepted. Output items: {"accepted":bool,"message":"..."}.
 */
#include "trimtab_plugin.h"

static double parse_number(tt_str s) {
  /* Integer and decimal part only; enough for money amounts. */
  double v = 0, scale = 1;
  size_t i = 0;
  int neg = 0, frac = 0;
  if (i < s.n && s.p[i] == '-') neg = 1, i++;
  for (; i < s.n; i++) {
    char c = s.p[i];
    if (c == '.') {
      frac = 1;
    } else if (c >= '0' && c <= '9') {
      if (frac) {
        scale /= 10;
        v += (c - '0') * scale;
      } else {
        v = v * 10 + (c - '0');
      }
    } else {
      break;
    }
  }
  return neg ? -v : v;
}

TRIMTAB_EXPORT("trimtab_alert_filter") uint64_t alert_filter(uint32_t ptr, uint32_t len) {
  tt_request req = tt_parse_request(ptr, len);
  if (!req.ok) return trimtab_error("request envelope not understood", 2);
  double threshold = 0;
  tt_str v;
  if (tt_member(req.settings, "minMonthlyDelta", &v)) threshold = parse_number(v);

  tt_buf out = {0, 0, 0, 0};
  tt_puts(&out, "{\"ok\":true,\"items\":[");
  int first = 1, n = 0;
  tt_array_begin(&req.items);
  while (tt_array_next(&req.items, &first)) {
    tt_str item = tt_skip(&req.items);
    if (n++) tt_put(&out, ",", 1);
    double delta = threshold;
    if (tt_member(item, "monthlyDelta", &v)) delta = parse_number(v);
    if (delta < 0) delta = -delta;
    if (delta < threshold) {
      tt_puts(&out, "{\"accepted\":false,\"message\":\"monthly delta below the alert threshold\"}");
    } else {
      tt_puts(&out, "{\"accepted\":true}");
    }
  }
  if (req.items.error) return trimtab_error("items array is not valid JSON", 2);
  tt_puts(&out, "]}");
  return trimtab_result(&out);
}
