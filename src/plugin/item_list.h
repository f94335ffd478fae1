// The items that cross the plugin boundary (allocation rows, recommendations, alerts), held as
// one buffer of JSON objects plus their offsets instead of one heap string per item: 250,000
// rows cost two allocations, not 250,000, and a batch's items sit side by side, separated by
// commas, so the body of a request's "items" array is one contiguous copy.
//
// Every item is followed by at least kPadding readable bytes (the separator, the next items,
// then zeroed padding after the last), so a parser such as simdjson can read any item in
// place without copying it into a padded buffer.
//
// Value type; not thread-safe for writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace trimtab::plugin {

class ItemList;

// A range [begin, end) of an ItemList's items. Cheap to copy; valid while the list is alive and
// unmodified.
class ItemView {
 public:
  ItemView() = default;
  ItemView(const ItemList& list, std::size_t begin, std::size_t end)
      : list_(&list), begin_(begin), end_(end) {}

  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::string_view operator[](std::size_t i) const;
  // The items as they sit in the buffer, comma-separated: the body of a JSON array.
  std::string_view joined() const;

 private:
  const ItemList* list_ = nullptr;
  std::size_t begin_ = 0, end_ = 0;
};

class ItemList {
 public:
  // Readable bytes guaranteed after every item (simdjson's SIMDJSON_PADDING; checked where
  // simdjson is used).
  static constexpr std::size_t kPadding = 64;

  ItemList();
  // Copies `items` (tests, tools).
  explicit ItemList(std::span<const std::string> items);

  std::size_t size() const { return offsets_.size() - 1; }
  bool empty() const { return size() == 0; }
  std::string_view operator[](std::size_t i) const {
    return {data_.data() + offsets_[i], offsets_[i + 1] - offsets_[i] - 1};
  }
  // Bytes of items and separators.
  std::size_t bytes() const { return offsets_.back(); }

  ItemView view(std::size_t begin, std::size_t end) const { return {*this, begin, end}; }
  ItemView all() const { return {*this, 0, size()}; }

  void reserve(std::size_t items, std::size_t bytes);
  void push_back(std::string_view item);
  // Appends one item produced by `write(std::string& out)`, which may only append to `out`.
  template <class Write>
  void emplace(Write&& write) {
    data_.resize(offsets_.back());
    write(data_);
    close();
  }
  // Drops the items from index `n` on.
  void truncate(std::size_t n);

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;
    Iterator() = default;
    Iterator(const ItemList* list, std::size_t i) : list_(list), i_(i) {}
    std::string_view operator*() const { return (*list_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++i_;
      return old;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    const ItemList* list_ = nullptr;
    std::size_t i_ = 0;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, size()}; }

  std::vector<std::string> toStrings() const;
  friend bool operator==(const ItemList& a, const ItemList& b);

 private:
  friend class ItemView;
  void close();

  // Items, each followed by ',', then kPadding zero bytes (outside offsets_.back()).
  std::string data_;
  // offsets_[i]: start of item i; offsets_[size()]: end of the last separator.
  std::vector<std::size_t> offsets_;
};

inline std::string_view ItemView::operator[](std::size_t i) const { return (*list_)[begin_ + i]; }

inline std::string_view ItemView::joined() const {
  if (empty()) return {};
  const std::size_t from = list_->offsets_[begin_];
  return {list_->data_.data() + from, list_->offsets_[end_] - 1 - from};
}

}  // namespace trimtab::plugin
