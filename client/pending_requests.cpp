#include "client/pending_requests.hpp"

namespace chat::client {
namespace {

bool survives_reconnect(Origin origin) { return origin == Origin::User || origin == Origin::Autojoin; }

}  // namespace

PendingRequest& PendingRequests::add(nlohmann::json request, Origin origin) {
  const std::int64_t id = next_id_++;
  request["id"] = id;
  const auto op = request.value("op", "");
  if ((op == "send" || op == "dm") && !request.contains("cid")) request["cid"] = cid_prefix_ + "-" + std::to_string(id);
  auto& entry = requests_[id];
  entry = PendingRequest{id, std::move(request), origin, 0};
  return entry;
}

std::optional<PendingRequest> PendingRequests::take(const nlohmann::json& reply) {
  const auto id = reply.find("id");
  if (id == reply.end() || !id->is_number_integer()) return std::nullopt;
  const auto it = requests_.find(id->get<std::int64_t>());
  if (it == requests_.end()) return std::nullopt;
  PendingRequest request = std::move(it->second);
  requests_.erase(it);
  return request;
}

void PendingRequests::connection_lost() {
  std::erase_if(requests_, [](const auto& entry) { return !survives_reconnect(entry.second.origin); });
}

std::vector<PendingRequest*> PendingRequests::unsent(std::uint64_t connection) {
  std::vector<PendingRequest*> result;
  for (auto& [id, request] : requests_) {
    if (request.sent_on != connection) result.push_back(&request);
  }
  return result;
}

bool PendingRequests::has_user_requests() const {
  return any([](const PendingRequest& request) { return survives_reconnect(request.origin); });
}

bool PendingRequests::any(const std::function<bool(const PendingRequest&)>& predicate) const {
  for (const auto& [id, request] : requests_) {
    if (predicate(request)) return true;
  }
  return false;
}

}  // namespace chat::client
