#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <nlohmann/json.hpp>

#include "client/async_signal.hpp"
#include "client/backoff.hpp"
#include "client/catch_up.hpp"
#include "client/known_names.hpp"
#include "client/password_source.hpp"
#include "client/pending_requests.hpp"
#include "client/presenter.hpp"
#include "client/request_builder.hpp"
#include "client/resume_state.hpp"

namespace chat::client {

class LineSocket;

struct ServerLinkOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7777;
  // TLS on every connection (make_client_tls_context); null: plain TCP.
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::optional<Credentials> credentials;  // log in automatically on every connect
  std::vector<std::string> autojoin;       // rooms to join after the first login
  bool join_member_rooms = false;          // also join the rooms the login reply lists
  bool join_default_room = false;          // also join the server's default room (the login reply's default_room)
  // The passwords the automatic login may try in all: a refused one is asked again with ask_password while
  // tries remain. Without ask_password, or at 1, the first refusal ends the session (AuthFailed).
  int login_attempts = 1;
  AskPassword ask_password;
  BackoffPolicy backoff;
  std::chrono::milliseconds connect_timeout{10'000};
  // A ping this often keeps the server's idle timeout away; a server silent
  // for two intervals is taken for dead and the connection is re-made.
  std::chrono::milliseconds keepalive{60'000};
  // Interactively: fetch the room list once after the first login, without
  // showing it, so that completion knows the rooms before any /rooms.
  // Scripts leave it off: they send only what they say.
  bool fetch_room_names = false;
};

enum class LinkEnd {
  Quit,           // the user asked to leave
  ConnectFailed,  // the first connection could not be made
  GaveUp,         // the connection was lost and reconnecting ran out of attempts
  AuthFailed,     // the server refused the automatic login
};

// The client's side of one chat session, across any number of connections:
// connects, logs in, rejoins its rooms with `since` after a reconnect (and
// fetches what the replay left out, see CatchUp), sends what the user asks,
// and hands replies and events (minus duplicates) to the presenter.
// Single-threaded: everything runs on one io_context.
class ServerLink {
 public:
  using Clock = AsyncSignal::Clock;

  ServerLink(asio::any_io_executor executor, ServerLinkOptions options, Presenter& presenter);
  ~ServerLink();

  // Runs until quit() or a failure that reconnecting cannot fix.
  asio::awaitable<LinkEnd> run();

  // Sends a request for the user, or queues it until the connection is
  // back. Returns its id, or nullopt when it cannot be sent at all (said why).
  std::optional<std::int64_t> submit(nlohmann::json request);

  // Scripts wait for each reply: from now on, the reply to each request
  // submit()ted is kept until wait_reply() takes it. Nothing else is kept:
  // not the replies to the client's own joins, nor a reply that comes after
  // its wait_reply() gave up.
  void keep_replies() { keep_replies_ = true; }
  asio::awaitable<std::optional<nlohmann::json>> wait_reply(std::int64_t id, Clock::time_point deadline);
  std::size_t kept_replies() const noexcept { return replies_.size(); }

  // Waits until commands can be given: connected, logged in if credentials
  // were given, and the first joins answered. False at the deadline or end.
  asio::awaitable<bool> wait_ready(Clock::time_point deadline);

  // Waits until no room is still catching up after a reconnect, so that a
  // script does not end in the middle of showing what it missed. False at
  // the deadline or end.
  asio::awaitable<bool> wait_caught_up(Clock::time_point deadline);
  bool catching_up() const noexcept { return catch_up_.active(); }

  // Makes a joined room the current one; false when it is not joined.
  bool switch_room(const std::string& room);

  void quit();

  // /reconnect: while waiting between reconnect attempts, try at once
  // (true); false when there is no wait to cut short.
  bool reconnect_now();

  const std::string& current_room() const noexcept { return current_room_; }
  // The name logged in as, as the server spells it; "" before the first login.
  const std::string& user() const noexcept { return user_; }
  const ResumeState& resume() const noexcept { return resume_; }
  const KnownNames& names() const noexcept { return names_; }
  bool ended() const noexcept { return ended_; }
  // Replies with an error to requests the user made (exit status of scripts).
  int failed_requests() const noexcept { return failed_requests_; }

 private:
  asio::awaitable<LinkEnd> connect_loop();
  asio::awaitable<void> serve_connection();
  asio::awaitable<void> keepalive(std::shared_ptr<LineSocket> connection, std::uint64_t number);
  asio::awaitable<bool> back_off(std::string_view what, const std::string& reason);
  void drop_connection();

  void handle_line(const std::string& line);
  void handle_event(const nlohmann::json& event);
  void handle_hello(const nlohmann::json& hello);
  void handle_reply(PendingRequest request, const nlohmann::json& reply);
  void handle_auth_reply(const PendingRequest& request, const nlohmann::json& reply);
  bool may_ask_password_again() const;
  asio::awaitable<void> ask_password_again();
  void handle_rejoin_reply(const PendingRequest& request, const nlohmann::json& reply);
  void handle_catch_up_reply(const PendingRequest& request, const nlohmann::json& reply);
  void advance(const std::string& room, CatchUp::Progress progress);
  void apply_user_reply(const PendingRequest& request, const nlohmann::json& reply);
  void logged_in(const nlohmann::json& reply);
  void room_gone(const std::string& room);
  void set_current_room(const std::string& room);

  void send_now(nlohmann::json request, Origin origin);
  void flush();
  bool user_login_pending() const;

  asio::any_io_executor executor_;
  ServerLinkOptions options_;
  Presenter& presenter_;
  Backoff backoff_;
  PendingRequests pending_;
  ResumeState resume_;
  CatchUp catch_up_{resume_};
  KnownNames names_;
  AsyncSignal changed_;

  std::shared_ptr<LineSocket> connection_;
  std::uint64_t connection_number_ = 0;
  Clock::time_point last_heard_{};
  bool hello_ = false;      // this connection got the server's hello
  bool logged_in_ = false;  // this connection is logged in
  bool ever_connected_ = false;
  bool ever_logged_in_ = false;
  std::optional<Credentials> credentials_;
  int login_attempts_ = 1;  // passwords the automatic login has tried
  bool asking_password_ = false;  // a refused password is being asked again: no login to send meanwhile
  std::string user_;  // as the server spells it, once logged in
  std::string current_room_;

  bool keep_replies_ = false;
  std::set<std::int64_t> awaited_;                  // submitted; wait_reply() will want the reply
  std::map<std::int64_t, nlohmann::json> replies_;  // replies to awaited_ requests, until taken
  int failed_requests_ = 0;
  bool quitting_ = false;
  bool backing_off_ = false;   // waiting between reconnect attempts
  bool reconnect_now_ = false;  // /reconnect cut that wait short
  bool ended_ = false;
  std::optional<LinkEnd> fatal_;
};

}  // namespace chat::client
