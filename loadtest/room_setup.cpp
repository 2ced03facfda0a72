#include "loadtest/room_setup.hpp"

#include <stdexcept>

#include "loadtest/blocking_client.hpp"

namespace chat::loadtest {
namespace {

constexpr std::chrono::milliseconds kTimeout{10'000};

bool is_ok(const nlohmann::json& reply) { return reply.value("type", "") == "ok"; }
std::string code_of(const nlohmann::json& reply) { return reply.value("code", "unknown"); }

void expect_ok(const nlohmann::json& reply, const std::string& what) {
  if (!is_ok(reply)) {
    throw std::runtime_error(what + " failed: " + code_of(reply) + " " + reply.value("message", ""));
  }
}

void log_in_owner(BlockingClient& client, const LoadOptions& options) {
  const nlohmann::json credentials{{"name", options.owner}, {"password", options.owner_password}};
  auto reply = client.request("login", credentials);
  if (is_ok(reply)) return;
  reply = client.request("register", credentials);
  expect_ok(reply, "registering the room owner '" + options.owner + "'");
}

}  // namespace

RoomSetupResult create_rooms(const LoadOptions& options, const std::vector<std::string>& room_names) {
  RoomSetupResult result{"guest"};
  if (room_names.empty()) return result;
  const auto tls = options.tls ? make_tls_context(options.ca_file, options.insecure) : nullptr;
  BlockingClient client(options.host, options.port, kTimeout, tls.get());
  const auto hello = client.read_message();
  if (hello.value("type", "") != "hello") throw std::runtime_error("the server did not say hello: " + hello.dump());

  std::size_t first = 0;
  const bool guests = hello.value("guests", true);
  if (guests) {
    auto reply = client.request("guest", {{"name", options.name_prefix + "setup" + options.run_tag}});
    expect_ok(reply, "guest login of the room creator");
    reply = client.request("create", {{"room", room_names[0]}});
    if (is_ok(reply)) {
      first = 1;
    } else if (code_of(reply) == "forbidden") {
      expect_ok(client.request("logout"), "logout");
      result.created_by = "account";
      log_in_owner(client, options);
    } else {
      expect_ok(reply, "creating room " + room_names[0]);
    }
  } else {
    result.created_by = "account";
    log_in_owner(client, options);
  }
  for (std::size_t i = first; i < room_names.size(); ++i) {
    expect_ok(client.request("create", {{"room", room_names[i]}}), "creating room " + room_names[i]);
  }
  return result;
}

}  // namespace chat::loadtest
