#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chat::client {

class ResumeState;

// How much a catch-up holds back, over all rooms together. The defaults take
// the whole replay of a default server (1000 messages, at most 2 MiB) for a
// few rooms at once, and a busy room's live traffic while a gap is fetched.
struct HoldLimits {
  std::size_t messages = 10'000;
  std::size_t bytes = 8 * 1024 * 1024;  // counted as the messages' JSON text
};

// Resuming rooms after a reconnect so that every missed message is shown,
// once, in seq order. A rejoin's replay (before its reply) holds only the
// newest messages; when the reply says `truncated`, the older ones are
// fetched with history pages (docs/protocol.md, `join`). So from the rejoin
// until the room has caught up its msg events are held back; the gap is
// shown first, page by page, then what was held, de-duplicated through the
// ResumeState. A message that arrives past the hold limits is not kept: it
// and every later one of its room are fetched with history afterwards, like
// the gap, so memory stays bounded and nothing is lost.
//
// Pure bookkeeping, no I/O: the session sends the requests it asks for and
// shows what it returns. Single-threaded, like the session.
class CatchUp {
 public:
  // A history page to ask for: forward from `after` up to `before`, both exclusive.
  struct Fetch {
    std::string room;
    std::int64_t after = 0;
    std::int64_t before = 0;
    std::int64_t missing = 0;  // on a gap's first page, how many messages the gap spans; 0 on later pages
  };

  // What to do next for one room.
  struct Progress {
    std::vector<nlohmann::json> show;   // msg events not shown before, in this order; already recorded as seen
    std::vector<std::string> ignored;   // why history entries were skipped, one line each
    std::optional<Fetch> fetch;         // the next page to ask for
    bool done = false;                  // the room has caught up: its messages flow as usual again
    std::int64_t missed = 0;            // once done: messages shown that were sent while away
  };

  explicit CatchUp(ResumeState& resume, HoldLimits limits = {});

  // A rejoin of `room` with `since` is being sent: hold its messages from now on.
  void rejoining(const std::string& room, std::int64_t since);

  // Takes a msg event (checked by malformation()) of a room being caught up
  // and returns true; false when its room is not being caught up, and the
  // caller shows it as usual.
  bool hold(const nlohmann::json& event);

  // The rejoin's reply: the room's last seq, and, when the replay was
  // truncated, the seq it began at (history_before).
  Progress joined(const std::string& room, std::int64_t last_seq, std::optional<std::int64_t> history_before);

  // The reply to a Fetch: the page's `messages`, oldest first.
  Progress page(const std::string& room, const nlohmann::json& messages);

  // A page could not be had: what was held is shown and the room goes on
  // without the rest of the gap.
  Progress give_up(const std::string& room);

  // The room is no longer joined: what was held is dropped.
  void forget(const std::string& room);

  // The connection was lost, with the replies still due on it: everything is
  // dropped. The next rejoin asks from the last message shown, which is in
  // order, so nothing is missed.
  void connection_lost();

  bool active() const noexcept { return !rooms_.empty(); }
  bool active(const std::string& room) const { return rooms_.contains(room); }
  std::size_t held_messages() const noexcept { return held_messages_; }

 private:
  struct Held {
    std::int64_t seq;
    nlohmann::json event;
    std::size_t bytes;
  };
  struct Room {
    std::int64_t after = 0;                 // everything up to here has been handed out
    std::optional<std::int64_t> last_seq;   // from the rejoin reply: later messages are live, not missed
    std::optional<std::int64_t> before;     // while a gap is fetched, where it ends
    std::deque<Held> held;                  // in arrival order, which is seq order
    std::optional<std::int64_t> dropped;    // the newest message not held for lack of room
    std::int64_t missed = 0;
  };

  void show(const std::string& room, Room& state, nlohmann::json event, std::int64_t seq, Progress& progress);
  // Starts fetching (state.after, before), or releases what is held when that is empty.
  Progress fetch_or_release(const std::string& room, Room& state, std::int64_t before, Progress progress);
  Progress release(const std::string& room, Room& state, Progress progress);
  void drop_held(Room& state);

  ResumeState& resume_;
  HoldLimits limits_;
  std::map<std::string, Room> rooms_;
  std::size_t held_messages_ = 0;
  std::size_t held_bytes_ = 0;
};

}  // namespace chat::client
