#include "server/dedup_window.hpp"

namespace chat {

std::string DedupWindow::key(const std::string& sender, const std::string& client_id) {
  // Names cannot contain '\n', so the pair maps to one key unambiguously.
  return sender + '\n' + client_id;
}

std::optional<std::int64_t> DedupWindow::find(const std::string& sender, const std::string& client_id) const {
  const auto it = seqs_.find(key(sender, client_id));
  if (it == seqs_.end()) return std::nullopt;
  return it->second;
}

void DedupWindow::remember(const std::string& sender, const std::string& client_id, std::int64_t seq) {
  if (capacity_ == 0) return;
  auto entry = key(sender, client_id);
  if (!seqs_.emplace(entry, seq).second) return;
  order_.push_back(std::move(entry));
  if (order_.size() > capacity_) {
    seqs_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace chat
