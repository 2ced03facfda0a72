#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chat::client {

// Why a request was made; decides what its reply does and whether it
// survives a lost connection.
enum class Origin {
  User,      // typed by the user or a script line: shown, re-sent after a reconnect
  Autojoin,  // a join the client makes right after the first login: like User
  Auth,      // the automatic login of a (re)connect: belongs to its connection
  Rejoin,    // a join with `since` after a reconnect: belongs to its connection
  CatchUp,   // a history page of what a rejoin did not replay: belongs to its connection
  Ping,      // keep-alive: belongs to its connection
  Names,     // the room list fetched once after the first login, for completion: never shown
};

struct PendingRequest {
  std::int64_t id = 0;
  nlohmann::json request;  // as sent: id (and cid) included
  Origin origin = Origin::User;
  std::uint64_t sent_on = 0;  // connection number it was last sent on; 0: not yet
};

// Requests waiting for their reply, by id. Messages get a `cid` derived from
// their id, so re-sending one after a reconnect can never store it twice.
class PendingRequests {
 public:
  explicit PendingRequests(std::string cid_prefix) : cid_prefix_(std::move(cid_prefix)) {}

  // Gives the request its id (and a cid for send and dm) and keeps it.
  PendingRequest& add(nlohmann::json request, Origin origin);

  // Removes and returns the request a reply answers, matched by id.
  std::optional<PendingRequest> take(const nlohmann::json& reply);

  // The connection died: requests that belonged to it are forgotten, the
  // others wait to be sent again.
  void connection_lost();

  // Requests not yet sent on connection `connection`, oldest first.
  std::vector<PendingRequest*> unsent(std::uint64_t connection);

  bool has_user_requests() const;
  bool any(const std::function<bool(const PendingRequest&)>& predicate) const;
  bool empty() const noexcept { return requests_.empty(); }

 private:
  std::string cid_prefix_;
  std::int64_t next_id_ = 1;
  std::map<std::int64_t, PendingRequest> requests_;
};

}  // namespace chat::client
