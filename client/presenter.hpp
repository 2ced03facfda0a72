#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace chat::client {

// What the session reports to the person (or program) using the client.
class Presenter {
 public:
  virtual ~Presenter() = default;

  // A server event worth showing (duplicates already dropped).
  virtual void event(const nlohmann::json& event) = 0;
  // The reply to a request the user made.
  virtual void reply(const nlohmann::json& request, const nlohmann::json& reply) = 0;
  // The client telling what it is doing.
  virtual void status(std::string_view text) = 0;
  // A mistake or failure outside any reply.
  virtual void problem(std::string_view text) = 0;
  // The current room changed ("" when there is none).
  virtual void room_changed(const std::string& /*room*/) {}
  // Logged in (again) as `user`, as the server spells it.
  virtual void logged_in(const std::string& /*user*/) {}
};

}  // namespace chat::client
