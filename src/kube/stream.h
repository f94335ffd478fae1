// Incremental decoding of Kubernetes list and watch responses, so that a list of 100k pods is
// never held as one string.
//
// ListStreamDecoder: fed the body of a list response chunk by chunk. It splits the top-level
// "items" array item by item (a byte scanner that tracks strings, escapes and nesting), hands
// batches of whole items (about batch_bytes each) to model::decodeObjectsPadded, and keeps the
// rest of the document (kind, apiVersion, metadata) as a small skeleton, parsed at finish() for
// metadata.resourceVersion and metadata.continue. Memory: one batch plus one item.
//
// WatchStreamDecoder: fed the body of a watch response; events are newline-delimited JSON
// objects ({"type": ..., "object": {...}}) as the API server writes them. Each complete line is
// decoded with decodeWatchEvent.
//
// Neither ever crashes or asserts on bad input: errors name the source (e.g. the URL), the item
// or event number and what was wrong. Thread-compatible.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "kube/kinds.h"
#include "model/decode.h"
#include "model/error.h"
#include "model/objects.h"

namespace trimtab::kube {

struct ListMeta {
  std::string resource_version;  // metadata.resourceVersion
  std::string continue_token;    // metadata.continue (empty on the last page)
  std::size_t items = 0;         // items seen in this document
  std::size_t bytes = 0;         // body bytes decoded
};

class ListStreamDecoder {
 public:
  // Receives each decoded batch (objects of kind, plus decoder warnings). Returning an error
  // stops decoding with that error.
  using BatchSink = std::function<Status(model::DecodeResult&& batch)>;

  ListStreamDecoder(Kind kind, std::string source, BatchSink sink,
                    std::size_t batch_bytes = 4u << 20);

  // Feeds the next bytes. After an error every later call returns the same error.
  Status feed(std::string_view chunk);
  // Flushes the last batch and parses the skeleton. Errors when the document is incomplete.
  Result<ListMeta> finish();

 private:
  Status fail_(std::string message);
  Status flushBatch();

  Kind kind_;
  std::string source_;
  BatchSink sink_;
  std::size_t batch_bytes_;
  std::string batch_;  // {"kind":"<Kind>List","items":[item,item
  std::size_t batch_items_ = 0;
  std::size_t batch_first_item_ = 0;
  std::string skeleton_;     // the document without the items' contents
  std::string key_;          // last string at depth 1
  std::string pending_key_;  // key whose value comes next at depth 1
  std::size_t depth_ = 0;
  std::size_t offset_ = 0;  // bytes consumed
  std::size_t items_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
  bool in_items_ = false;  // inside the top-level items array
  bool in_item_ = false;   // inside one element of it
  bool done_ = false;      // the top-level value closed
  std::optional<Error> error_;
};

enum class EventType { kAdded, kModified, kDeleted, kBookmark, kError };
std::string_view eventTypeName(EventType type);

struct WatchEvent {
  EventType type = EventType::kAdded;
  std::string resource_version;  // object's metadata.resourceVersion (bookmarks: the new point)
  model::ObjectSet object;       // one object for ADDED/MODIFIED/DELETED; empty otherwise
  // ERROR events (a metav1.Status): code 410 means the resourceVersion is too old (relist).
  int error_code = 0;
  std::string error_reason;
  std::string error_message;
};

// Decodes one watch event line. Objects of other kinds than expected are an error.
Result<WatchEvent> decodeWatchEvent(std::string_view line, Kind expected, std::string_view source);

class WatchStreamDecoder {
 public:
  using EventSink = std::function<Status(WatchEvent&& event)>;
  WatchStreamDecoder(Kind kind, std::string source, EventSink sink,
                     std::size_t max_line_bytes = 64u << 20);
  Status feed(std::string_view chunk);
  // Errors when the stream ended inside an event (a truncated stream).
  Status finish();
  std::size_t events() const { return events_; }

 private:
  Status line(std::string_view text);
  Kind kind_;
  std::string source_;
  EventSink sink_;
  std::size_t max_line_bytes_;
  std::string partial_;
  std::size_t events_ = 0;
  std::optional<Error> error_;
};

}  // namespace trimtab::kube
