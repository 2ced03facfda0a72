#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace chat {

// The most recent client message ids of one room, so that a retried send is
// recognised without a database read. Keyed on the sender's principal id, not
// its name: a guest's ids are not an account's of the same name. Bounded: the
// oldest entries go first. Not thread-safe: the owner serializes access.
class DedupWindow {
 public:
  explicit DedupWindow(std::size_t capacity) : capacity_(capacity) {}

  std::optional<std::int64_t> find(std::int64_t sender_id, const std::string& client_id) const;
  void remember(std::int64_t sender_id, const std::string& client_id, std::int64_t seq);
  std::size_t size() const noexcept { return seqs_.size(); }

 private:
  static std::string key(std::int64_t sender_id, const std::string& client_id);

  std::size_t capacity_;
  std::unordered_map<std::string, std::int64_t> seqs_;
  std::deque<std::string> order_;
};

}  // namespace chat
