#include "kube/stream.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>

#include "kube/internal/objects.h"

namespace trimtab::kube {
namespace {

constexpr std::size_t kMaxDepth = 512;
constexpr std::size_t kMaxSkeletonBytes = 16u << 20;

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

struct ByteTable {
  bool v[256] = {};
  constexpr explicit ByteTable(std::string_view chars) {
    for (char c : chars) v[static_cast<unsigned char>(c)] = true;
  }
  constexpr bool operator[](unsigned char c) const { return v[c]; }
};
constexpr ByteTable kStringSpecial("\"\\");
constexpr ByteTable kStructural("\"{}[]");

}  // namespace

ListStreamDecoder::ListStreamDecoder(Kind kind, std::string source, BatchSink sink,
                                     std::size_t batch_bytes)
    : kind_(kind), source_(std::move(source)), sink_(std::move(sink)), batch_bytes_(batch_bytes) {}

Status ListStreamDecoder::fail_(std::string message) {
  error_ = Error{ErrorCode::kParse, fmt::format("{}: {}", source_, message)};
  return fail(*error_);
}

Status ListStreamDecoder::flushBatch() {
  if (batch_items_ == 0) return {};
  batch_ += "]}";
  batch_.reserve(batch_.size() + model::kJsonPadding);
  std::string name = fmt::format("{} items[{}..{}]", source_, batch_first_item_,
                                 batch_first_item_ + batch_items_ - 1);
  auto decoded = model::decodeObjectsPadded(batch_, name);
  batch_.clear();
  batch_items_ = 0;
  if (!decoded) {
    error_ = decoded.error();
    return fail(*error_);
  }
  if (!internal::allOfKind(decoded->objects, kind_)) {
    return fail_(fmt::format("items: expected only {} objects", kindInfo(kind_).name));
  }
  if (auto s = sink_(std::move(*decoded)); !s) {
    error_ = s.error();
    return s;
  }
  return {};
}

Status ListStreamDecoder::feed(std::string_view chunk) {
  if (error_) return fail(*error_);
  const char* p = chunk.data();
  const std::size_t n = chunk.size();
  std::size_t item_seg = 0;  // start of the current item's bytes within this chunk
  for (std::size_t i = 0; i < n; ++i) {
    if (in_item_ && !escape_) {
      // Hot path: inside an item only strings and nesting matter. Skip ordinary bytes with a
      // table lookup; stop at the byte that closes the item (handled below) or the chunk end.
      while (i < n) {
        unsigned char u = static_cast<unsigned char>(p[i]);
        if (in_string_) {
          if (!kStringSpecial[u]) {
            ++i;
            continue;
          }
          if (p[i] == '\\') {
            if (i + 1 < n) {
              i += 2;
              continue;
            }
            escape_ = true;
            ++i;
            break;
          }
          in_string_ = false;  // '"'
          ++i;
          continue;
        }
        if (!kStructural[u]) {
          ++i;
          continue;
        }
        if (p[i] == '"') {
          in_string_ = true;
        } else if (p[i] == '{' || p[i] == '[') {
          if (++depth_ > kMaxDepth) {
            return fail_(fmt::format("byte {}: nested too deeply", offset_ + i));
          }
        } else if (depth_ > 3) {  // '}' or ']' not closing the item
          --depth_;
        } else {
          break;  // closes the item: the general code below handles it
        }
        ++i;
      }
      if (i >= n) break;
    }
    char c = p[i];
    if (in_string_) {
      if (escape_) {
        escape_ = false;
      } else {
        if (in_items_) {
          // Fast path inside items: jump to the next quote or backslash.
          while (i < n && p[i] != '"' && p[i] != '\\') ++i;
          if (i == n) break;
          c = p[i];
        }
        if (c == '\\') {
          escape_ = true;
        } else if (c == '"') {
          in_string_ = false;
        } else if (depth_ == 1) {
          key_ += c;
        }
      }
      if (!in_items_) skeleton_ += c;
      continue;
    }
    switch (c) {
      case '"':
        if (done_)
          return fail_(fmt::format("byte {}: data after the end of the document", offset_ + i));
        in_string_ = true;
        if (depth_ == 1) key_.clear();
        break;
      case ':':
        if (depth_ == 1) pending_key_ = key_;
        break;
      case ',':
        if (depth_ == 1) pending_key_.clear();
        break;
      case '{':
      case '[':
        if (done_)
          return fail_(fmt::format("byte {}: data after the end of the document", offset_ + i));
        if (depth_ == 1 && c == '[' && pending_key_ == "items" && !in_items_) {
          in_items_ = true;
          ++depth_;
          skeleton_ += '[';
          continue;
        }
        if (in_items_ && depth_ == 2) {
          if (c != '{') return fail_(fmt::format("items[{}]: expected an object", items_));
          in_item_ = true;
          item_seg = i;
          if (batch_items_ == 0) {
            batch_.clear();
            batch_ += fmt::format("{{\"kind\":\"{}\",\"items\":[", kindInfo(kind_).list_kind);
            batch_first_item_ = items_;
          } else {
            batch_ += ',';
          }
        }
        if (++depth_ > kMaxDepth)
          return fail_(fmt::format("byte {}: nested too deeply", offset_ + i));
        break;
      case '}':
      case ']':
        if (depth_ == 0) return fail_(fmt::format("byte {}: unexpected '{}'", offset_ + i, c));
        --depth_;
        if (in_item_ && depth_ == 2) {
          batch_.append(p + item_seg, i + 1 - item_seg);
          in_item_ = false;
          ++items_;
          ++batch_items_;
          if (batch_.size() >= batch_bytes_) {
            if (auto s = flushBatch(); !s) return s;
          }
          continue;
        }
        if (in_items_ && depth_ == 1) {
          in_items_ = false;
          pending_key_.clear();
          skeleton_ += ']';
          continue;
        }
        if (depth_ == 0) done_ = true;
        break;
      default:
        if (in_items_ && depth_ == 2 && !isSpace(c)) {
          return fail_(fmt::format("items[{}]: expected an object", items_));
        }
        if (depth_ == 0 && !isSpace(c)) {
          return fail_(fmt::format("byte {}: expected a JSON object", offset_ + i));
        }
        break;
    }
    if (!in_items_) skeleton_ += c;
  }
  if (in_item_) batch_.append(p + item_seg, n - item_seg);
  offset_ += n;
  if (skeleton_.size() > kMaxSkeletonBytes) {
    return fail_("the list's fields other than items exceed 16 MiB");
  }
  return {};
}

Result<ListMeta> ListStreamDecoder::finish() {
  if (error_) return fail(*error_);
  if (!done_ || in_string_) {
    auto s = fail_(fmt::format("truncated: the response ended after {} bytes and {} complete items",
                               offset_, items_));
    return fail(s.error());
  }
  if (auto s = flushBatch(); !s) return fail(s.error());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(skeleton_);
  if (auto err = parser.parse(padded).get(doc); err) {
    auto s = fail_(fmt::format("not JSON: {}", simdjson::error_message(err)));
    return fail(s.error());
  }
  ListMeta meta;
  meta.items = items_;
  meta.bytes = offset_;
  std::string_view sv;
  if (doc.at_pointer("/metadata/resourceVersion").get(sv) == simdjson::SUCCESS) {
    meta.resource_version = std::string(sv);
  }
  if (doc.at_pointer("/metadata/continue").get(sv) == simdjson::SUCCESS) {
    meta.continue_token = std::string(sv);
  }
  return meta;
}

std::string_view eventTypeName(EventType type) {
  switch (type) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
    case EventType::kBookmark:
      return "BOOKMARK";
    case EventType::kError:
      return "ERROR";
  }
  return "?";
}

Result<WatchEvent> decodeWatchEvent(std::string_view line, Kind expected, std::string_view source) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(line);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: event is not JSON: {}", source, simdjson::error_message(err)));
  }
  if (!doc.is_object()) {
    return fail(ErrorCode::kParse, fmt::format("{}: event: expected a JSON object", source));
  }
  std::string_view type;
  if (doc["type"].get(type) != simdjson::SUCCESS) {
    return fail(ErrorCode::kParse, fmt::format("{}: event: type: missing or not a string", source));
  }
  simdjson::dom::object object;
  if (doc["object"].get(object) != simdjson::SUCCESS) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: {} event: object: missing or not an object", source, type));
  }
  WatchEvent event;
  std::string_view sv;
  if (type == "BOOKMARK") {
    event.type = EventType::kBookmark;
    if (object.at_pointer("/metadata/resourceVersion").get(sv) != simdjson::SUCCESS || sv.empty()) {
      return fail(
          ErrorCode::kParse,
          fmt::format("{}: BOOKMARK event: object.metadata.resourceVersion: missing", source));
    }
    event.resource_version = std::string(sv);
    return event;
  }
  if (type == "ERROR") {
    event.type = EventType::kError;
    std::int64_t code = 0;
    if (object["code"].get(code) == simdjson::SUCCESS && code > -100000 && code < 100000) {
      event.error_code = static_cast<int>(code);
    }
    if (object["reason"].get(sv) == simdjson::SUCCESS) event.error_reason = std::string(sv);
    if (object["message"].get(sv) == simdjson::SUCCESS) event.error_message = std::string(sv);
    return event;
  }
  if (type == "ADDED")
    event.type = EventType::kAdded;
  else if (type == "MODIFIED")
    event.type = EventType::kModified;
  else if (type == "DELETED")
    event.type = EventType::kDeleted;
  else
    return fail(ErrorCode::kParse, fmt::format("{}: event: unknown type \"{}\"", source, type));

  std::string wrapped = fmt::format("{{\"kind\":\"{}\",\"items\":[", kindInfo(expected).list_kind);
  wrapped += simdjson::minify(object);
  wrapped += "]}";
  auto decoded = model::decodeObjects(wrapped, fmt::format("{} {} event", source, type));
  if (!decoded) return fail(decoded.error());
  bool ok = decoded->objects.size() == 1;
  internal::forEachObject(std::move(decoded->objects), [&](internal::Object&& o) {
    if (internal::kindOf(o) != expected) ok = false;
    event.resource_version = internal::metaOf(o).resource_version;
    internal::addTo(event.object, std::move(o));
  });
  if (!ok) {
    return fail(ErrorCode::kParse, fmt::format("{}: {} event: object: expected one {}", source,
                                               type, kindInfo(expected).name));
  }
  return event;
}

WatchStreamDecoder::WatchStreamDecoder(Kind kind, std::string source, EventSink sink,
                                       std::size_t max_line_bytes)
    : kind_(kind),
      source_(std::move(source)),
      sink_(std::move(sink)),
      max_line_bytes_(max_line_bytes) {}

Status WatchStreamDecoder::line(std::string_view text) {
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  if (text.empty()) return {};
  auto event = decodeWatchEvent(text, kind_, fmt::format("{}: event {}", source_, events_ + 1));
  if (!event) {
    error_ = event.error();
    return fail(*error_);
  }
  ++events_;
  if (auto s = sink_(std::move(*event)); !s) {
    error_ = s.error();
    return s;
  }
  return {};
}

Status WatchStreamDecoder::feed(std::string_view chunk) {
  if (error_) return fail(*error_);
  while (!chunk.empty()) {
    auto nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(chunk);
      if (partial_.size() > max_line_bytes_) {
        error_ = Error{ErrorCode::kParse, fmt::format("{}: event {} is longer than {} bytes",
                                                      source_, events_ + 1, max_line_bytes_)};
        return fail(*error_);
      }
      return {};
    }
    Status s;
    if (partial_.empty()) {
      s = line(chunk.substr(0, nl));
    } else {
      partial_.append(chunk.substr(0, nl));
      std::string whole = std::move(partial_);
      partial_.clear();
      s = line(whole);
    }
    if (!s) return s;
    chunk.remove_prefix(nl + 1);
  }
  return {};
}

Status WatchStreamDecoder::finish() {
  if (error_) return fail(*error_);
  std::string rest = std::move(partial_);
  partial_.clear();
  std::string_view t = rest;
  while (!t.empty() && isSpace(t.back())) t.remove_suffix(1);
  if (t.empty()) return {};
  // A final event without its newline is accepted when it is complete JSON.
  auto s = line(t);
  if (!s) {
    return fail(ErrorCode::kParse,
                fmt::format("{}: truncated watch stream: event {} is incomplete ({} bytes)",
                            source_, events_ + 1, t.size()));
  }
  return {};
}

}  // namespace trimtab::kube
