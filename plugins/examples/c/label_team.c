/* Allocation rule: attribute each container-grain allocation row to a team from one of its pod
 * labels, with a default for rows whose label is missing or unmapped.
 *
 * settings: {"labelKey":"app","teams":{"checkout":"payments","web":"storefront"},
 *            "default":"unowned"}
 *   labelKey  pod label to read from properties.labels (default "team")
 *   teams     label value -> team; a value not listed maps to "default"
 *   default   team for unlabeled or unmapped rows (default "unowned")
 * Output: each row unchanged except for a top-level "team" string (replaced if present) and
 * "teamSource": "label" | "default".
 */
#include "trimtab_plugin.h"

#define MAX_TEAMS 1024

static tt_str label_key, default_team;
static tt_str map_from[MAX_TEAMS], map_to[MAX_TEAMS];
static int map_count;

static void read_settings(tt_str settings) {
  label_key.p = "team";
  label_key.n = 4;
  default_team.p = "unowned";
  default_team.n = 7;
  map_count = 0;
  tt_json j = {settings.p, settings.p + settings.n, 0};
  int first = 1;
  tt_str key;
  if (!tt_object_begin(&j)) return;
  while (tt_object_next(&j, &key, &first)) {
    if (tt_eq(key, "labelKey") && tt_peek(&j) == '"') {
      label_key = tt_string(&j);
    } else if (tt_eq(key, "default") && tt_peek(&j) == '"') {
      default_team = tt_string(&j);
    } else if (tt_eq(key, "teams") && tt_peek(&j) == '{') {
      int f2 = 1;
      tt_str from;
      tt_object_begin(&j);
      while (tt_object_next(&j, &from, &f2)) {
        if (tt_peek(&j) == '"' && map_count < MAX_TEAMS) {
          map_from[map_count] = from;
          map_to[map_count] = tt_string(&j);
          map_count++;
        } else {
          tt_skip(&j);
        }
      }
    } else {
      tt_skip(&j);
    }
  }
}

/* properties.labels[label_key] of one row, if present. */
static int row_label(tt_str row, tt_str* value) {
  tt_str props, labels;
  if (!tt_member(row, "properties", &props) || props.n == 0 || props.p[0] != '{') return 0;
  if (!tt_member(props, "labels", &labels) || labels.n == 0 || labels.p[0] != '{') return 0;
  tt_json j = {labels.p, labels.p + labels.n, 0};
  int first = 1;
  tt_str key;
  tt_object_begin(&j);
  while (tt_object_next(&j, &key, &first)) {
    if (tt_eq_str(key, label_key) && tt_peek(&j) == '"') {
      *value = tt_string(&j);
      return !j.error;
    }
    tt_skip(&j);
  }
  return 0;
}

TRIMTAB_EXPORT("trimtab_allocation_rule") uint64_t allocation_rule(uint32_t ptr, uint32_t len) {
  tt_request req = tt_parse_request(ptr, len);
  if (!req.ok) return trimtab_error("request envelope not understood", 2);
  read_settings(req.settings);

  tt_buf out = {0, 0, 0, 0};
  tt_reserve(&out, len + len / 8 + 64);
  tt_puts(&out, "{\"ok\":true,\"items\":[");
  tt_json* items = &req.items;
  int first = 1, n = 0;
  tt_array_begin(items);
  while (tt_array_next(items, &first)) {
    if (tt_peek(items) != '{') return trimtab_error("item is not an object", 2);
    tt_str row = tt_skip(items);
    if (items->error) break;
    tt_str value, team = default_team;
    const char* source = "default";
    if (row_label(row, &value)) {
      for (int i = 0; i < map_count; i++) {
        if (tt_eq_str(map_from[i], value)) {
          team = map_to[i];
          source = "label";
          break;
        }
      }
    }
    /* Copy the row's members except team/teamSource, then append ours. */
    if (n++) tt_put(&out, ",", 1);
    tt_put(&out, "{", 1);
    tt_json r = {row.p, row.p + row.n, 0};
    int f2 = 1, wrote = 0;
    tt_str key;
    tt_object_begin(&r);
    while (tt_object_next(&r, &key, &f2)) {
      tt_str v = tt_skip(&r);
      if (tt_eq(key, "team") || tt_eq(key, "teamSource")) continue;
      if (wrote++) tt_put(&out, ",", 1);
      tt_put(&out, "\"", 1);
      tt_put(&out, key.p, key.n);
      tt_put(&out, "\":", 2);
      tt_put(&out, v.p, v.n);
    }
    if (r.error) return trimtab_error("row is not valid JSON", 2);
    if (wrote) tt_put(&out, ",", 1);
    tt_puts(&out, "\"team\":\"");
    tt_put(&out, team.p, team.n);
    tt_puts(&out, "\",\"teamSource\":\"");
    tt_puts(&out, source);
    tt_puts(&out, "\"}");
  }
  if (items->error) return trimtab_error("items array is not valid JSON", 2);
  tt_puts(&out, "]}");
  return trimtab_result(&out);
}
