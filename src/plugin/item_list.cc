#include "plugin/item_list.h"

namespace trimtab::plugin {

ItemList::ItemList() : data_(kPadding, '\0'), offsets_{0} {}

ItemList::ItemList(std::span<const std::string> items) : ItemList() {
  std::size_t bytes = 0;
  for (const std::string& s : items) bytes += s.size() + 1;
  reserve(items.size(), bytes);
  for (const std::string& s : items) push_back(s);
}

void ItemList::reserve(std::size_t items, std::size_t bytes) {
  offsets_.reserve(items + 1);
  data_.reserve(bytes + kPadding);
}

void ItemList::push_back(std::string_view item) {
  data_.resize(offsets_.back());
  data_.append(item);
  close();
}

void ItemList::close() {
  data_ += ',';
  offsets_.push_back(data_.size());
  data_.append(kPadding, '\0');
}

void ItemList::truncate(std::size_t n) {
  if (n >= size()) return;
  offsets_.resize(n + 1);
  data_.resize(offsets_.back());
  data_.append(kPadding, '\0');
}

std::vector<std::string> ItemList::toStrings() const {
  std::vector<std::string> out;
  out.reserve(size());
  for (std::string_view s : *this) out.emplace_back(s);
  return out;
}

bool operator==(const ItemList& a, const ItemList& b) {
  return a.offsets_ == b.offsets_ &&
         std::string_view(a.data_).substr(0, a.bytes()) ==
             std::string_view(b.data_).substr(0, b.bytes());
}

}  // namespace trimtab::plugin
