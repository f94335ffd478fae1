/* Trimtab plugin ABI v1 helpers for C plugins (clang --target=wasm32-wasi, wasi-libc).
 *
 * Build:  clang-14 --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all \
 *           -Wl,--max-memory=67108864 -I plugins/sdk/c -o p.wasm p.c
 *
 * Provides the ABI exports (memory comes from the linker, `trimtab_abi_v1`, `trimtab_alloc`,
 * `trimtab_free`), the host log import, an output buffer, and a small JSON scanner that works
 * on the raw request bytes without building a tree.
 *
 * One instance serves many calls: globals persist from call to call (until a failed call, after
 * which the host starts a fresh instance), so per-call state must be reset by the hook. A plugin defines its hook(s):
 *   TRIMTAB_EXPORT("trimtab_allocation_rule") uint64_t rule(uint32_t ptr, uint32_t len);
 * and returns trimtab_result(&out) or trimtab_error(...).
 *
 * Define TRIMTAB_NO_DEFAULT_EXPORTS before including to provide the ABI exports yourself.
 */
#ifndef TRIMTAB_PLUGIN_H
#define TRIMTAB_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TRIMTAB_EXPORT(name) __attribute__((export_name(name)))

__attribute__((import_module("trimtab"), import_name("log"))) void trimtab_host_log(int32_t level, const char* ptr,
                                                                                    int32_t len);

static inline void trimtab_log(int level, const char* msg) { trimtab_host_log(level, msg, (int32_t)strlen(msg)); }

#ifndef TRIMTAB_NO_DEFAULT_EXPORTS
TRIMTAB_EXPORT("trimtab_abi_v1") void trimtab_abi_v1(void) {}
TRIMTAB_EXPORT("trimtab_alloc") uint32_t trimtab_alloc(uint32_t size) {
  void* p = malloc(size ? size : 1);
  return (uint32_t)(uintptr_t)p;
}
TRIMTAB_EXPORT("trimtab_free") void trimtab_free(uint32_t ptr, uint32_t size) {
  (void)size;
  free((void*)(uintptr_t)ptr);
}
#endif

/* ---- output buffer ---------------------------------------------------------------------- */

typedef struct {
  char* data;
  size_t len, cap;
  int failed; /* allocation failed: result becomes an error */
} tt_buf;

static inline void tt_reserve(tt_buf* b, size_t extra) {
  if (b->failed || b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) cap *= 2;
  char* p = (char*)realloc(b->data, cap);
  if (!p) {
    b->failed = 1;
    return;
  }
  b->data = p;
  b->cap = cap;
}
static inline void tt_put(tt_buf* b, const char* s, size_t n) {
  tt_reserve(b, n);
  if (b->failed) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
}
static inline void tt_puts(tt_buf* b, const char* s) { tt_put(b, s, strlen(s)); }

static inline uint64_t trimtab_pack(const char* ptr, size_t len) {
  return ((uint64_t)(uint32_t)(uintptr_t)ptr << 32) | (uint32_t)len;
}

/* Appends a non-negative decimal integer. */
static inline void tt_put_u64(tt_buf* b, uint64_t v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  tt_reserve(b, (size_t)n);
  if (b->failed) return;
  while (n) b->data[b->len++] = digits[--n];
}

/* {"ok":false,"error":msg,"code":code}; msg must not need escaping. Like every response it is
 * a fresh heap buffer: the host frees it with trimtab_free after reading it. */
static inline uint64_t trimtab_error(const char* msg, unsigned code) {
  tt_buf err = {0, 0, 0, 0};
  tt_puts(&err, "{\"ok\":false,\"error\":\"");
  tt_put(&err, msg, strlen(msg) > 400 ? 400 : strlen(msg));
  tt_puts(&err, "\",\"code\":");
  tt_put_u64(&err, code);
  tt_puts(&err, "}");
  if (err.failed) return 0;
  return trimtab_pack(err.data, err.len);
}

/* Finishes `out` as the hook's result. The host frees the buffer (trimtab_free) after reading
 * it, and frees the request buffer too: the instance lives on for the next call, so a plugin
 * must not keep pointers into either, and should free what else it allocates. */
static inline uint64_t trimtab_result(tt_buf* out) {
  if (out->failed) return trimtab_error("out of memory building the response", 12);
  return trimtab_pack(out->data, out->len);
}

/* ---- JSON scanning over raw bytes ------------------------------------------------------- */
/* A span of the request; strings are kept raw (escapes not decoded), which is enough for
 * comparing keys and label values that contain no escapes. */
typedef struct {
  const char* p;
  size_t n;
} tt_str;

static inline int tt_eq(tt_str s, const char* lit) { return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0; }
static inline int tt_eq_str(tt_str a, tt_str b) { return a.n == b.n && memcmp(a.p, b.p, a.n) == 0; }

typedef struct {
  const char* p;
  const char* end;
  int error;
} tt_json;

static inline void tt_ws(tt_json* j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) j->p++;
}
static inline int tt_peek(tt_json* j) {
  tt_ws(j);
  return j->p < j->end ? *j->p : -1;
}
static inline int tt_expect(tt_json* j, char c) {
  if (tt_peek(j) != c) {
    j->error = 1;
    return 0;
  }
  j->p++;
  return 1;
}
/* Reads a string token; returns its raw contents (between the quotes). Eight bytes at a time
 * until a word holds a '"' or a backslash (the "has a zero byte" word trick on w ^ '"' and
 * w ^ '\\'); strings are most of the bytes a rule scans. */
static inline tt_str tt_string(tt_json* j) {
  tt_str s = {0, 0};
  if (!tt_expect(j, '"')) return s;
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  const char* start = j->p;
  const char* p = j->p;
  for (;;) {
    while (p + 8 <= j->end) {
      uint64_t w;
      memcpy(&w, p, 8);
      const uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
      if ((((q - ones) & ~q) | ((b - ones) & ~b)) & high) break;
      p += 8;
    }
    while (p < j->end && *p != '"' && *p != '\\') p++;
    if (p < j->end && *p == '\\') {
      p += 2;
      continue;
    }
    break;
  }
  if (p >= j->end) {
    j->p = j->end;
    j->error = 1;
    return s;
  }
  s.p = start;
  s.n = (size_t)(p - start);
  j->p = p + 1;
  return s;
}
/* Skips one value of any type; returns its raw text span. */
static inline tt_str tt_skip(tt_json* j) {
  tt_str s = {0, 0};
  int c = tt_peek(j);
  const char* start = j->p;
  if (c == '"') {
    tt_string(j);
  } else if (c == '{' || c == '[') {
    int depth = 0;
    while (j->p < j->end) {
      char ch = *j->p;
      if (ch == '"') {
        tt_string(j);
        if (j->error) return s;
        continue;
      }
      j->p++;
      if (ch == '{' || ch == '[') depth++;
      if (ch == '}' || ch == ']') {
        if (--depth == 0) break;
      }
    }
    if (depth != 0) j->error = 1;
  } else if (c == -1) {
    j->error = 1;
  } else {
    while (j->p < j->end && *j->p != ',' && *j->p != '}' && *j->p != ']' && *j->p != ' ' && *j->p != '\n') j->p++;
  }
  s.p = start;
  s.n = (size_t)(j->p - start);
  return s;
}
/* Object iteration: tt_object_begin, then while (tt_object_next(j, &key)) { read value }. */
static inline int tt_object_begin(tt_json* j) { return tt_expect(j, '{'); }
static inline int tt_object_next(tt_json* j, tt_str* key, int* first) {
  if (j->error) return 0;
  int c = tt_peek(j);
  if (c == '}') {
    j->p++;
    return 0;
  }
  if (!*first && !tt_expect(j, ',')) return 0;
  *first = 0;
  *key = tt_string(j);
  if (!tt_expect(j, ':')) return 0;
  return !j->error;
}
static inline int tt_array_begin(tt_json* j) { return tt_expect(j, '['); }
static inline int tt_array_next(tt_json* j, int* first) {
  if (j->error) return 0;
  int c = tt_peek(j);
  if (c == ']') {
    j->p++;
    return 0;
  }
  if (!*first && !tt_expect(j, ',')) return 0;
  *first = 0;
  return !j->error;
}
/* Finds member `name` of the object starting at j->p; leaves j at its value. 0 if absent. */
static inline int tt_find(tt_json* j, const char* name) {
  int first = 1;
  tt_str key;
  if (!tt_object_begin(j)) return 0;
  while (tt_object_next(j, &key, &first)) {
    if (tt_eq(key, name)) return 1;
    tt_skip(j);
  }
  return 0;
}
/* Value of member `name` of the object `obj` (raw span, strings without quotes). */
static inline int tt_member(tt_str obj, const char* name, tt_str* out) {
  tt_json j = {obj.p, obj.p + obj.n, 0};
  if (!tt_find(&j, name)) return 0;
  if (tt_peek(&j) == '"') {
    *out = tt_string(&j);
  } else {
    *out = tt_skip(&j);
  }
  return !j.error;
}

/* Walks the request envelope: settings span and the items array position. */
typedef struct {
  tt_str settings;
  tt_json items; /* positioned at '[' */
  int ok;
} tt_request;

static inline tt_request tt_parse_request(uint32_t ptr, uint32_t len) {
  tt_request r;
  memset(&r, 0, sizeof r);
  tt_json j = {(const char*)(uintptr_t)ptr, (const char*)(uintptr_t)ptr + len, 0};
  int first = 1, have_items = 0, have_settings = 0;
  tt_str key;
  r.settings.p = "{}";
  r.settings.n = 2;
  if (!tt_object_begin(&j)) return r;
  while (tt_object_next(&j, &key, &first)) {
    if (tt_eq(key, "settings")) {
      r.settings = tt_skip(&j);
      have_settings = 1;
    } else if (tt_eq(key, "items")) {
      tt_ws(&j);
      r.items = j;
      have_items = 1;
      /* The host writes "items" last, after "settings": stop here rather than scan every item
       * twice (the rule's own walk over the items finds any syntax error). */
      if (have_settings) break;
      tt_skip(&j);
    } else {
      tt_skip(&j);
    }
  }
  r.ok = have_items && !j.error;
  return r;
}

#endif /* TRIMTAB_PLUGIN_H */
