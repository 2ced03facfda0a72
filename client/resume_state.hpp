#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace chat::client {

// What the client has already shown, so that after a reconnect it can ask the
// server for exactly the messages it missed (join with `since`) and drop any
// it is sent twice (a replay overlapping live delivery, a retried send).
class ResumeState {
 public:
  struct Rejoin {
    std::string room;
    std::optional<std::int64_t> since;
  };

  // A join was requested: the room is tracked from now on, so replayed
  // messages arriving before the join reply are already de-duplicated.
  void joining(const std::string& room);

  // The join (or create) reply arrived. Everything up to last_seq has either
  // been shown or was before the client joined; later seqs are new.
  void joined(const std::string& room, std::int64_t last_seq);

  // The join was refused: forget the room unless an earlier join succeeded.
  void join_failed(const std::string& room);

  // The membership ended (leave, kick, ban): stop tracking the room.
  void left(const std::string& room);

  // True when the message is new and should be shown; records it as seen.
  bool accept_message(const std::string& room, std::int64_t seq);

  // Direct message ids are remembered for de-duplication up to this many,
  // the newest ones: a long run must not grow with every message.
  static constexpr std::size_t kMaxRememberedDms = 10'000;

  // True when the direct message was not shown before; records it. An id
  // older than every remembered one, once the memory is full, counts as
  // shown: it can only be a re-delivery from long ago.
  bool accept_dm(std::int64_t dm_id);
  std::size_t remembered_dms() const noexcept { return seen_dms_.size(); }

  // The `since` to send when joining: the last seq seen, if any.
  std::optional<std::int64_t> since(const std::string& room) const;

  bool is_joined(const std::string& room) const;
  std::vector<std::string> joined_rooms() const;

  // The rooms to join again after a reconnect, each with its `since`.
  std::vector<Rejoin> rejoin_plan() const;

 private:
  struct Room {
    bool confirmed = false;  // the server acknowledged the join
    std::optional<std::int64_t> last_seq;
  };
  std::map<std::string, Room> rooms_;
  std::set<std::int64_t> seen_dms_;
};

}  // namespace chat::client
