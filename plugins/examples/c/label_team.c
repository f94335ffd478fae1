/* Allocation rule: attribute each container-grain allocation row to a team from one of its pod
 * labels, with a default for rows whose label is missing or unmapped.
 *
 * settings: {"labelKey":"app","teams":{"checkout":"payments","web":"storefront"},
 *            "default":"unowned"}
 *   labelKey  pod label to read from properties.labels (default "team")
 *   teams     label value -> team; a value not listed maps to "default"
 *   default   team for unlabeled or unmapped rows (default "unowned")
 *   echo      true (default): each output row is the input row; false: only its "name" and
 *             the members the rule sets (the host reads only those, so this is the same
 *             result with a fraction of the bytes)
 * Output: each row unchanged except for a top-level "team" string (replaced if present) and
 * "teamSource": "label" | "default"; with "echo": false, {"name", "team", "teamSource"}.
 */
#include "trimtab_plugin.h"

#define MAX_TEAMS 1024

static tt_str label_key, default_team;
static tt_str map_from[MAX_TEAMS], map_to[MAX_TEAMS];
static int map_count;
static int echo;

static void read_settings(tt_str settings) {
  label_key.p = "team";
  label_key.n = 4;
  default_team.p = "unowned";
  default_team.n = 7;
  map_count = 0;
  echo = 1;
  tt_json j = {settings.p, settings.p + settings.n, 0};
  int first = 1;
  tt_str key;
  if (!tt_object_begin(&j)) return;
  while (tt_object_next(&j, &key, &first)) {
    if (tt_eq(key, "labelKey") && tt_peek(&j) == '"') {
      label_key = tt_string(&j);
    } else if (tt_eq(key, "default") && tt_peek(&j) == '"') {
      default_team = tt_string(&j);
    } else if (tt_eq(key, "echo")) {
      echo = !tt_eq(tt_skip(&j), "false");
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

/* One pass over the row at the items cursor (left just past it): the row's text, whether it has
 * a top-level "team" or "teamSource" member, its member count, and properties.labels[label_key]
 * when present (first occurrence of each key). */
typedef struct {
  tt_str row, label, name; /* name: the raw string token, quotes included */
  int has_label, has_team, members;
} row_scan;

static int scan_row(tt_json* j, row_scan* r) {
  memset(r, 0, sizeof *r);
  tt_ws(j);
  const char* start = j->p;
  int first = 1, seen_props = 0;
  tt_str key;
  if (!tt_object_begin(j)) return 0;
  while (tt_object_next(j, &key, &first)) {
    r->members++;
    if (!seen_props && tt_eq(key, "properties") && tt_peek(j) == '{') {
      seen_props = 1;
      int f2 = 1, seen_labels = 0;
      tt_str k2;
      tt_object_begin(j);
      while (tt_object_next(j, &k2, &f2)) {
        if (!seen_labels && tt_eq(k2, "labels") && tt_peek(j) == '{') {
          seen_labels = 1;
          int f3 = 1;
          tt_str k3;
          tt_object_begin(j);
          while (tt_object_next(j, &k3, &f3)) {
            if (!r->has_label && tt_eq_str(k3, label_key) && tt_peek(j) == '"') {
              r->label = tt_string(j);
              r->has_label = 1;
            } else {
              tt_skip(j);
            }
          }
        } else {
          tt_skip(j);
        }
      }
    } else if (r->name.p == 0 && tt_eq(key, "name") && tt_peek(j) == '"') {
      r->name = tt_skip(j);
    } else {
      if (tt_eq(key, "team") || tt_eq(key, "teamSource")) r->has_team = 1;
      tt_skip(j);
    }
  }
  r->row.p = start;
  r->row.n = (size_t)(j->p - start);
  return !j->error && r->row.n >= 2;
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
    if (tt_peek(items) != '{') {
      free(out.data);
      return trimtab_error("item is not an object", 2);
    }
    row_scan r;
    if (!scan_row(items, &r)) break;
    tt_str team = default_team;
    const char* source = "default";
    if (r.has_label) {
      for (int i = 0; i < map_count; i++) {
        if (tt_eq_str(map_from[i], r.label)) {
          team = map_to[i];
          source = "label";
          break;
        }
      }
    }
    if (n++) tt_put(&out, ",", 1);
    if (!echo) {
      tt_puts(&out, "{");
      if (r.name.p) {
        tt_puts(&out, "\"name\":");
        tt_put(&out, r.name.p, r.name.n);
        tt_puts(&out, ",");
      }
    } else if (!r.has_team) {
      /* The common case: the row verbatim up to its closing brace, then our members. */
      tt_put(&out, r.row.p, r.row.n - 1);
      if (r.members) tt_put(&out, ",", 1);
    } else {
      /* Copy the row's members except team/teamSource, then append ours. */
      tt_put(&out, "{", 1);
      tt_json m = {r.row.p, r.row.p + r.row.n, 0};
      int f2 = 1, wrote = 0;
      tt_str key;
      tt_object_begin(&m);
      while (tt_object_next(&m, &key, &f2)) {
        tt_str v = tt_skip(&m);
        if (tt_eq(key, "team") || tt_eq(key, "teamSource")) continue;
        if (wrote++) tt_put(&out, ",", 1);
        tt_put(&out, "\"", 1);
        tt_put(&out, key.p, key.n);
        tt_put(&out, "\":", 2);
        tt_put(&out, v.p, v.n);
      }
      if (wrote) tt_put(&out, ",", 1);
    }
    tt_puts(&out, "\"team\":\"");
    tt_put(&out, team.p, team.n);
    tt_puts(&out, "\",\"teamSource\":\"");
    tt_puts(&out, source);
    tt_puts(&out, "\"}");
  }
  if (items->error) {
    free(out.data);
    return trimtab_error("items array is not valid JSON", 2);
  }
  tt_puts(&out, "]}");
  return trimtab_result(&out);
}
