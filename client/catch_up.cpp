#include "client/catch_up.hpp"

#include <algorithm>
#include <utility>

#include "client/resume_state.hpp"
#include "client/server_fields.hpp"
#include "client/server_message.hpp"

namespace chat::client {
namespace {

// A history entry as the msg event the replay would have sent for it, so
// that the presenter (and a --json reader) sees every missed message alike.
nlohmann::json as_msg_event(const std::string& room, const nlohmann::json& entry) {
  nlohmann::json event = entry.is_object() ? entry : nlohmann::json::object();
  event["type"] = "msg";
  event["room"] = room;
  event["replay"] = true;
  return event;
}

}  // namespace

CatchUp::CatchUp(ResumeState& resume, HoldLimits limits) : resume_(resume), limits_(limits) {}

void CatchUp::rejoining(const std::string& room, std::int64_t since) {
  forget(room);
  rooms_[room].after = since;
}

bool CatchUp::hold(const nlohmann::json& event) {
  const auto room = string_field(event, "room");
  const auto it = rooms_.find(room);
  if (it == rooms_.end()) return false;
  auto& state = it->second;
  const auto seq = int_field(event, "seq").value_or(0);
  // Already shown (a replay overlapping what the last connection delivered): nothing to keep.
  if (const auto seen = resume_.since(room); seen && seq <= *seen) return true;
  const auto bytes = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
  // Once one message of the room did not fit, none after it is kept either:
  // what is held must stay a run without holes, so that it can be shown
  // before the fetched rest.
  const bool fits = !state.dropped && held_messages_ < limits_.messages && held_bytes_ + bytes <= limits_.bytes;
  if (!fits) {
    state.dropped = std::max(state.dropped.value_or(seq), seq);
    return true;
  }
  state.held.push_back({seq, event, bytes});
  ++held_messages_;
  held_bytes_ += bytes;
  return true;
}

CatchUp::Progress CatchUp::joined(const std::string& room, std::int64_t last_seq,
                                  std::optional<std::int64_t> history_before) {
  const auto it = rooms_.find(room);
  if (it == rooms_.end()) {  // a rejoin without `since`: nothing to catch up
    Progress progress;
    progress.done = true;
    return progress;
  }
  auto& state = it->second;
  state.last_seq = last_seq;
  if (!history_before) return release(room, state, {});
  return fetch_or_release(room, state, *history_before, {});
}

CatchUp::Progress CatchUp::page(const std::string& room, const nlohmann::json& messages) {
  const auto it = rooms_.find(room);
  if (it == rooms_.end() || !it->second.before) return {};  // a page nobody waits for any more
  auto& state = it->second;
  const auto before = *state.before;
  Progress progress;
  std::int64_t last = state.after;
  std::vector<std::pair<std::int64_t, nlohmann::json>> entries;
  for (const auto& entry : messages.is_array() ? messages : nlohmann::json::array()) {
    const auto seq = int_field(entry, "seq");
    const bool in_gap = seq && *seq > state.after && *seq < before;
    // Paging moves past an entry the client cannot show, so one bad entry cannot stall it.
    if (in_gap) last = std::max(last, *seq);
    auto event = as_msg_event(room, entry);
    if (const auto why = malformation(event)) {
      progress.ignored.push_back(*why);
    } else if (in_gap) {
      entries.emplace_back(*seq, std::move(event));
    }
  }
  // Pages come oldest first; sorting costs nothing then and keeps the order whatever a server does.
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [seq, event] : entries) show(room, state, std::move(event), seq, progress);
  // The gap ends at an empty page (or one that brought nothing new), or once it is filled.
  const bool more = last > state.after && last + 1 < before;
  state.after = last;
  if (more) {
    progress.fetch = Fetch{room, last, before, 0};
    return progress;
  }
  return release(room, state, std::move(progress));
}

CatchUp::Progress CatchUp::give_up(const std::string& room) {
  const auto it = rooms_.find(room);
  if (it == rooms_.end()) return {};
  it->second.dropped.reset();
  return release(room, it->second, {});
}

void CatchUp::forget(const std::string& room) {
  const auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  drop_held(it->second);
  rooms_.erase(it);
}

void CatchUp::connection_lost() {
  rooms_.clear();
  held_messages_ = 0;
  held_bytes_ = 0;
}

void CatchUp::show(const std::string& room, Room& state, nlohmann::json event, std::int64_t seq,
                   Progress& progress) {
  if (!resume_.accept_message(room, seq)) return;
  if (state.last_seq && seq <= *state.last_seq) ++state.missed;
  progress.show.push_back(std::move(event));
}

CatchUp::Progress CatchUp::fetch_or_release(const std::string& room, Room& state, std::int64_t before,
                                            Progress progress) {
  if (before <= state.after + 1) return release(room, state, std::move(progress));
  state.before = before;
  progress.fetch = Fetch{room, state.after, before, before - state.after - 1};
  return progress;
}

CatchUp::Progress CatchUp::release(const std::string& room, Room& state, Progress progress) {
  state.before.reset();
  for (auto& held : state.held) {
    state.after = std::max(state.after, held.seq);
    show(room, state, std::move(held.event), held.seq, progress);
  }
  drop_held(state);
  // What did not fit was not shown: it is fetched now, and what arrives meanwhile is held again.
  if (const auto dropped = std::exchange(state.dropped, std::nullopt); dropped && *dropped > state.after) {
    return fetch_or_release(room, state, *dropped + 1, std::move(progress));
  }
  progress.done = true;
  progress.missed = state.missed;
  rooms_.erase(room);
  return progress;
}

void CatchUp::drop_held(Room& state) {
  for (const auto& held : state.held) held_bytes_ -= held.bytes;
  held_messages_ -= state.held.size();
  state.held.clear();
}

}  // namespace chat::client
