#include "client/resume_state.hpp"

#include <algorithm>

namespace chat::client {

void ResumeState::joining(const std::string& room) { rooms_.try_emplace(room); }

void ResumeState::joined(const std::string& room, std::int64_t last_seq) {
  auto& state = rooms_[room];
  state.confirmed = true;
  state.last_seq = std::max(state.last_seq.value_or(last_seq), last_seq);
}

void ResumeState::join_failed(const std::string& room) {
  const auto it = rooms_.find(room);
  if (it != rooms_.end() && !it->second.confirmed) rooms_.erase(it);
}

void ResumeState::left(const std::string& room) { rooms_.erase(room); }

bool ResumeState::accept_message(const std::string& room, std::int64_t seq) {
  const auto it = rooms_.find(room);
  // Messages for untracked rooms cannot be duplicates of anything shown.
  if (it == rooms_.end()) return true;
  auto& last = it->second.last_seq;
  if (last && seq <= *last) return false;
  last = seq;
  return true;
}

bool ResumeState::accept_dm(std::int64_t dm_id) {
  if (seen_dms_.size() >= kMaxRememberedDms && dm_id < *seen_dms_.begin()) return false;
  if (!seen_dms_.insert(dm_id).second) return false;
  if (seen_dms_.size() > kMaxRememberedDms) seen_dms_.erase(seen_dms_.begin());
  return true;
}

std::optional<std::int64_t> ResumeState::since(const std::string& room) const {
  const auto it = rooms_.find(room);
  return it == rooms_.end() ? std::nullopt : it->second.last_seq;
}

bool ResumeState::is_joined(const std::string& room) const {
  const auto it = rooms_.find(room);
  return it != rooms_.end() && it->second.confirmed;
}

std::vector<std::string> ResumeState::joined_rooms() const {
  std::vector<std::string> names;
  for (const auto& [name, state] : rooms_) {
    if (state.confirmed) names.push_back(name);
  }
  return names;
}

std::vector<ResumeState::Rejoin> ResumeState::rejoin_plan() const {
  std::vector<Rejoin> plan;
  for (const auto& [name, state] : rooms_) {
    if (state.confirmed) plan.push_back({name, state.last_seq});
  }
  return plan;
}

}  // namespace chat::client
