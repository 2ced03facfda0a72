#include "server/messaging/dedup_window.hpp"

#include <cstring>

namespace chat {

std::string DedupWindow::key(std::int64_t sender_id, const std::string& client_id) {
  // The id's eight bytes, then the client id: a fixed-width prefix maps the pair to one key unambiguously.
  std::string entry(sizeof sender_id, '\0');
  std::memcpy(entry.data(), &sender_id, sizeof sender_id);
  entry += client_id;
  return entry;
}

std::optional<std::int64_t> DedupWindow::find(std::int64_t sender_id, const std::string& client_id) const {
  const auto it = seqs_.find(key(sender_id, client_id));
  if (it == seqs_.end()) return std::nullopt;
  return it->second;
}

void DedupWindow::remember(std::int64_t sender_id, const std::string& client_id, std::int64_t seq) {
  if (capacity_ == 0) return;
  auto entry = key(sender_id, client_id);
  if (!seqs_.emplace(entry, seq).second) return;
  order_.push_back(std::move(entry));
  if (order_.size() > capacity_) {
    seqs_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace chat
