#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace chat {

// The most recent client message ids of one room, so that a retried send is
// recognised without a database read. Bounded: the oldest entries go first.
// Not thread-safe: the owner serializes access.
class DedupWindow {
 public:
  explicit DedupWindow(std::size_t capacity) : capacity_(capacity) {}

  std::optional<std::int64_t> find(const std::string& sender, const std::string& client_id) const;
  void remember(const std::string& sender, const std::string& client_id, std::int64_t seq);
  std::size_t size() const noexcept { return seqs_.size(); }

 private:
  static std::string key(const std::string& sender, const std::string& client_id);

  std::size_t capacity_;
  std::unordered_map<std::string, std::int64_t> seqs_;
  std::deque<std::string> order_;
};

}  // namespace chat
