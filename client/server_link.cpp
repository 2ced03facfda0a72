#include "client/server_link.hpp"

#include <boost/asio/ssl/error.hpp>

#include <cstdio>
#include <random>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/line_socket.hpp"
#include "client/server_fields.hpp"
#include "client/server_message.hpp"
#include "common/frames.hpp"
#include "common/protocol.hpp"

namespace chat::client {
namespace {

// Distinct per run, so that two runs of a script never share a message cid.
std::string random_cid_prefix() {
  std::random_device random;
  char text[17];
  std::snprintf(text, sizeof text, "%08x%08x", random(), random());
  return text;
}

bool is_auth_op(const nlohmann::json& request) {
  const auto op = request.value("op", "");
  return op == "login" || op == "register" || op == "guest";
}

bool is_error(const nlohmann::json& reply) { return string_field(reply, "type") == "error"; }

std::string reason_text(const boost::system::error_code& code) {
  if (code == asio::error::eof || code == asio::error::connection_reset) return "the server closed the connection";
  if (code == asio::error::operation_aborted) return "connection closed";
  return code.message();
}

std::string seconds_text(std::chrono::milliseconds delay) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(delay.count()) / 1000.0);
  return text;
}

std::string error_text(const nlohmann::json& reply) {
  // Appended rather than chained with operator+, which trips g++ 12's -Wrestrict at -O3.
  std::string text = "[";
  text.append(string_field(reply, "code")).append("] ").append(string_field(reply, "message"));
  return text;
}

}  // namespace

ServerLink::ServerLink(asio::any_io_executor executor, ServerLinkOptions options, Presenter& presenter)
    : executor_(executor),
      options_(std::move(options)),
      presenter_(presenter),
      backoff_(options_.backoff),
      pending_(random_cid_prefix()),
      changed_(executor),
      credentials_(options_.credentials) {}

ServerLink::~ServerLink() = default;

asio::awaitable<LinkEnd> ServerLink::run() {
  const LinkEnd end = co_await connect_loop();
  ended_ = true;
  changed_.notify();
  co_return end;
}

asio::awaitable<LinkEnd> ServerLink::connect_loop() {
  for (;;) {
    std::string reason;
    try {
      co_await serve_connection();
    } catch (const boost::system::system_error& e) {
      // A failed TLS handshake's text says why (the certificate's problem), where its code alone would not.
      reason = e.code().category() == asio::error::get_ssl_category() ? std::string(e.what()) : reason_text(e.code());
    }
    const bool was_up = hello_;
    drop_connection();
    if (quitting_) co_return LinkEnd::Quit;
    if (fatal_) co_return *fatal_;
    if (!ever_connected_) {
      presenter_.problem("cannot connect to " + options_.host + ":" + std::to_string(options_.port) + ": " + reason);
      co_return LinkEnd::ConnectFailed;
    }
    if (!co_await back_off(was_up ? "connection lost" : "reconnect failed", reason)) {
      co_return quitting_ ? LinkEnd::Quit : LinkEnd::GaveUp;
    }
  }
}

asio::awaitable<bool> ServerLink::back_off(std::string_view what, const std::string& reason) {
  const auto delay = backoff_.next_delay();
  const std::string event = std::string(what) + " (" + reason + ")";
  if (!delay) {
    const int attempts = backoff_.attempts();
    presenter_.problem(event + "; gave up after " + std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s") +
                       " to reconnect");
    co_return false;
  }
  backing_off_ = true;  // from here on, /reconnect may cut the wait short
  reconnect_now_ = false;
  presenter_.status(event + "; reconnecting in " + seconds_text(*delay) + " (attempt " +
                    std::to_string(backoff_.attempts()) + ")");
  const auto deadline = Clock::now() + *delay;
  while (!quitting_ && !reconnect_now_ && Clock::now() < deadline) co_await changed_.wait_until(deadline);
  backing_off_ = false;
  co_return !quitting_;
}

asio::awaitable<void> ServerLink::serve_connection() {
  auto connection = std::make_shared<LineSocket>(executor_, options_.tls);
  connection_ = connection;
  const std::uint64_t number = ++connection_number_;
  co_await connection->connect(options_.host, options_.port, options_.connect_timeout);
  last_heard_ = Clock::now();
  asio::co_spawn(executor_, keepalive(connection, number), asio::detached);
  for (;;) {
    const std::string line = co_await connection->read_line();
    last_heard_ = Clock::now();
    handle_line(line);
  }
}

asio::awaitable<void> ServerLink::keepalive(std::shared_ptr<LineSocket> connection, std::uint64_t number) {
  asio::steady_timer timer(executor_);
  for (;;) {
    timer.expires_after(options_.keepalive);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (number != connection_number_ || !connection->is_open()) co_return;
    if (Clock::now() - last_heard_ > 2 * options_.keepalive) {
      presenter_.status("the server stopped answering");
      connection->close();
      co_return;
    }
    if (hello_) send_now(make_request("ping"), Origin::Ping);
  }
}

void ServerLink::drop_connection() {
  if (connection_) connection_->close();
  connection_.reset();
  hello_ = false;
  logged_in_ = false;
  pending_.connection_lost();
  catch_up_.connection_lost();
}

bool ServerLink::reconnect_now() {
  if (!backing_off_) return false;
  reconnect_now_ = true;
  changed_.notify();
  return true;
}

void ServerLink::quit() {
  quitting_ = true;
  if (connection_) connection_->close();
  changed_.notify();
}

// The one place server lines enter: a line the client cannot act on is
// reported in one line and dropped, and the session carries on.
void ServerLink::handle_line(const std::string& line) {
  const auto message = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  const auto ignore = [&](std::string_view why) {
    presenter_.problem("ignored a line from the server (" + std::string(why) + "): " + line_sample(line));
  };
  if (const auto why = malformation(message)) return ignore(*why);
  try {
    if (is_reply(message)) {
      auto request = pending_.take(message);
      if (!request) return ignore("a reply to no request of this client");
      handle_reply(std::move(*request), message);
    } else {
      handle_event(message);
    }
  } catch (const nlohmann::json::exception& e) {
    // A field read without server_fields.hpp; the line is still only one line.
    ignore(e.what());
  }
  changed_.notify();
}

// Events reach here checked by malformation(): their required fields exist.
void ServerLink::handle_event(const nlohmann::json& event) {
  const auto type = string_field(event, "type");
  const auto room = string_field(event, "room");
  if (type == "hello") return handle_hello(event);
  if (type == "msg") {
    if (catch_up_.hold(event)) return;
    if (!resume_.accept_message(room, *int_field(event, "seq"))) return;
    names_.add_member(room, string_field(event, "from"));
  } else if (type == "dm") {
    if (!resume_.accept_dm(*int_field(event, "dm_id"))) return;
    names_.add_user(string_field(event, "from"));
  } else if (type == "presence") {
    // "You joined" is already said by the join reply.
    if (string_field(event, "user") == user_) return;
    names_.add_member(room, string_field(event, "user"));
  } else if (type == "kicked" || type == "banned") {
    room_gone(room);
  }
  presenter_.event(event);
}

void ServerLink::handle_hello(const nlohmann::json& hello) {
  hello_ = true;
  ever_connected_ = true;
  if (const auto version = *int_field(hello, "protocol"); version != protocol::kVersion) {
    presenter_.problem("the server speaks protocol " + std::to_string(version) +
                       ", this client " + std::to_string(protocol::kVersion) + "; expect surprises");
  }
  presenter_.status("connected to " + string_field(hello, "server") + " " + string_field(hello, "version") + " at " +
                    options_.host + ":" + std::to_string(options_.port));
  // A connection is good once it is usable: at its login when there is one
  // to make (a server that takes the connection but refuses the login must
  // not be retried at full speed), else here.
  if (!credentials_) backoff_.reset();
  if (credentials_) {
    if (!asking_password_) send_now(auth_request(*credentials_), Origin::Auth);
  } else if (!user_login_pending()) {
    presenter_.status("not logged in: /login NAME, /register NAME or /guest NAME");
  }
  flush();
}

void ServerLink::handle_reply(PendingRequest request, const nlohmann::json& reply) {
  switch (request.origin) {
    case Origin::Ping: return;
    case Origin::Names: return apply_user_reply(request, reply);
    case Origin::Auth: return handle_auth_reply(request, reply);
    case Origin::Rejoin: return handle_rejoin_reply(request, reply);
    case Origin::CatchUp: return handle_catch_up_reply(request, reply);
    case Origin::User:
    case Origin::Autojoin: break;
  }
  apply_user_reply(request, reply);
  presenter_.reply(request.request, reply);
  if (is_error(reply)) ++failed_requests_;
  if (awaited_.contains(request.id)) replies_[request.id] = reply;
}

void ServerLink::handle_auth_reply(const PendingRequest& request, const nlohmann::json& reply) {
  const auto name = request.request.value("name", "");
  if (!is_error(reply)) {
    presenter_.status((ever_logged_in_ ? "logged in again as " : "logged in as ") + string_field(reply, "user") +
                      (bool_field(reply, "guest") ? " (guest)" : ""));
    credentials_ = credentials_from(request.request);
    return logged_in(reply);
  }
  // Wrong credentials stay wrong; anything else (a guest name still held by
  // our previous connection, an overloaded server) may pass on a later try.
  const auto code = string_field(reply, "code");
  if (code == "unauthorized" && may_ask_password_again()) {
    // The connection stays open, logged out, for the next try.
    presenter_.problem("login as " + name + " failed: " + error_text(reply));
    asio::co_spawn(executor_, ask_password_again(), asio::detached);
    return;
  }
  if (!ever_logged_in_ || code == "unauthorized" || code == "forbidden" || code == "bad_request") {
    presenter_.problem("login as " + name + " failed: " + error_text(reply));
    fatal_ = LinkEnd::AuthFailed;
  } else {
    presenter_.problem("login as " + name + " refused for now: " + error_text(reply));
  }
  if (connection_) connection_->close();
}

bool ServerLink::may_ask_password_again() const {
  return !ever_logged_in_ && options_.ask_password && credentials_ && credentials_->mode == AuthMode::Login &&
         login_attempts_ < options_.login_attempts;
}

asio::awaitable<void> ServerLink::ask_password_again() {
  asking_password_ = true;
  const auto password = co_await options_.ask_password("Password for " + credentials_->name + " (try " +
                                                       std::to_string(login_attempts_ + 1) + " of " +
                                                       std::to_string(options_.login_attempts) + "): ");
  asking_password_ = false;
  if (quitting_ || ended_) co_return;
  if (!password) {
    fatal_ = LinkEnd::AuthFailed;
    if (connection_) connection_->close();
    co_return;
  }
  ++login_attempts_;
  credentials_->password = *password;
  // Else the next connection's hello sends it.
  if (hello_) send_now(auth_request(*credentials_), Origin::Auth);
}

void ServerLink::handle_rejoin_reply(const PendingRequest& request, const nlohmann::json& reply) {
  const auto room = request.request.value("room", "");
  if (is_error(reply)) {
    presenter_.problem("could not rejoin #" + room + ": " + error_text(reply));
    return room_gone(room);
  }
  const auto last_seq = int_field(reply, "last_seq").value_or(0);
  std::optional<std::int64_t> history_before;
  // Without history_before the whole range after `since` is fetched: the
  // replay is then fetched again too, and its copies are dropped by seq.
  if (bool_field(reply, "truncated")) history_before = int_field(reply, "history_before").value_or(last_seq + 1);
  advance(room, catch_up_.joined(room, last_seq, history_before));
}

void ServerLink::handle_catch_up_reply(const PendingRequest& request, const nlohmann::json& reply) {
  const auto room = request.request.value("room", "");
  if (!catch_up_.active(room)) return;  // the room was left meanwhile
  if (is_error(reply)) {
    presenter_.problem("could not fetch the missed messages of #" + room + ": " + error_text(reply) +
                       "; /history shows what the server keeps");
    return advance(room, catch_up_.give_up(room));
  }
  advance(room, catch_up_.page(room, array_field(reply, "messages")));
}

// Shows what a room's catch-up released and asks for what it still needs.
void ServerLink::advance(const std::string& room, CatchUp::Progress progress) {
  for (const auto& why : progress.ignored) {
    presenter_.problem("ignored a message in a history page of #" + room + " (" + why + ")");
  }
  for (const auto& event : progress.show) {
    names_.add_member(room, string_field(event, "from"));
    presenter_.event(event);
  }
  if (const auto& fetch = progress.fetch) {
    if (fetch->missing > 0) {
      presenter_.status("fetching " + std::to_string(fetch->missing) + " missed message" +
                        (fetch->missing == 1 ? "" : "s") + " of #" + room);
    }
    send_now(history_page_request(room, fetch->after, fetch->before), Origin::CatchUp);
  }
  if (progress.done) {
    presenter_.status("rejoined #" + room + ", " + std::to_string(progress.missed) + " missed message" +
                      (progress.missed == 1 ? "" : "s"));
  }
}

void ServerLink::apply_user_reply(const PendingRequest& request, const nlohmann::json& reply) {
  const auto op = request.request.value("op", "");
  const auto room = request.request.value("room", "");
  if (is_error(reply)) {
    if (op == "join" || op == "create") resume_.join_failed(room);
    return;
  }
  if (op == "join" || op == "create") {
    auto name = string_field(reply, "room");
    if (name.empty()) name = room;  // canonical already, as the server would spell it
    // A room still catching up keeps its cursor at the last message shown:
    // moving it to last_seq would hide the messages still to be shown.
    if (!catch_up_.active(name)) resume_.joined(name, int_field(reply, "last_seq").value_or(0));
    names_.add_room(name);
    if (request.origin == Origin::User || current_room_.empty()) set_current_room(name);
  } else if (op == "leave") {
    room_gone(room);
  } else if (op == "members" || op == "rooms") {
    for (const auto& entry : array_field(reply, op == "members" ? "members" : "rooms")) {
      if (op == "members") names_.add_member(room, string_field(entry, "user"));
      if (op == "rooms") names_.add_room(string_field(entry, "room"));
    }
  } else if (is_auth_op(request.request)) {
    credentials_ = credentials_from(request.request);
    logged_in(reply);
  }
}

void ServerLink::logged_in(const nlohmann::json& reply) {
  logged_in_ = true;
  user_ = string_field(reply, "user");
  backoff_.reset();
  const bool first = !ever_logged_in_;
  ever_logged_in_ = true;
  presenter_.logged_in(user_);
  if (first && options_.fetch_room_names) send_now(make_request("rooms"), Origin::Names);
  if (!first) {
    for (const auto& [room, since] : resume_.rejoin_plan()) {
      if (since) catch_up_.rejoining(room, *since);
      send_now(join_request(room, since), Origin::Rejoin);
    }
    return flush();
  }
  std::vector<std::string> rooms = options_.autojoin;
  std::string member_of;
  for (const auto& entry : array_field(reply, "rooms")) {
    const auto room = string_field(entry, "room");
    names_.add_room(room);
    member_of += (member_of.empty() ? "#" : ", #") + room;
    if (options_.join_member_rooms) rooms.push_back(room);
  }
  if (!member_of.empty() && !options_.join_member_rooms) presenter_.status("your rooms: " + member_of);
  if (const auto room = string_field(reply, "default_room"); options_.join_default_room && !room.empty()) {
    rooms.push_back(room);
  }
  std::set<std::string> asked;
  for (const auto& room : rooms) {
    if (!asked.insert(room).second || resume_.since(room)) continue;
    resume_.joining(room);
    send_now(join_request(room, std::nullopt), Origin::Autojoin);
  }
  flush();
}

void ServerLink::room_gone(const std::string& room) {
  resume_.left(room);
  catch_up_.forget(room);
  if (current_room_ != room) return;
  const auto joined = resume_.joined_rooms();
  set_current_room(joined.empty() ? std::string{} : joined.front());
}

void ServerLink::set_current_room(const std::string& room) {
  if (room == current_room_) return;
  current_room_ = room;
  presenter_.room_changed(room);
}

bool ServerLink::switch_room(const std::string& room) {
  if (!resume_.is_joined(room)) return false;
  set_current_room(room);
  return true;
}

std::optional<std::int64_t> ServerLink::submit(nlohmann::json request) {
  if (ended_ || quitting_) {
    presenter_.problem("the session has ended");
    return std::nullopt;
  }
  if (!is_auth_op(request) && !logged_in_ && !credentials_ && !user_login_pending()) {
    presenter_.problem("not logged in: /login NAME, /register NAME or /guest NAME first");
    return std::nullopt;
  }
  if (request.value("op", "") == "join") resume_.joining(request.value("room", ""));
  const std::int64_t id = pending_.add(std::move(request), Origin::User).id;
  if (keep_replies_) awaited_.insert(id);
  flush();
  return id;
}

void ServerLink::send_now(nlohmann::json request, Origin origin) {
  auto& pending = pending_.add(std::move(request), origin);
  if (!connection_) return;
  connection_->send(to_line(pending.request));
  pending.sent_on = connection_number_;
}

// Sends what waits for this connection: logins once the hello is in, the
// rest once logged in (after the rejoins, so a guest is back in its rooms).
void ServerLink::flush() {
  if (!connection_ || !hello_) return;
  for (auto* pending : pending_.unsent(connection_number_)) {
    if (!logged_in_ && !is_auth_op(pending->request)) continue;
    connection_->send(to_line(pending->request));
    pending->sent_on = connection_number_;
  }
}

bool ServerLink::user_login_pending() const {
  return pending_.any([](const PendingRequest& pending) {
    return pending.origin == Origin::User && is_auth_op(pending.request);
  });
}

asio::awaitable<std::optional<nlohmann::json>> ServerLink::wait_reply(std::int64_t id, Clock::time_point deadline) {
  for (;;) {
    if (const auto it = replies_.find(id); it != replies_.end()) {
      auto reply = std::move(it->second);
      replies_.erase(it);
      awaited_.erase(id);
      co_return reply;
    }
    if (ended_ || Clock::now() >= deadline) {
      awaited_.erase(id);  // a reply that comes later is shown, not kept
      co_return std::nullopt;
    }
    co_await changed_.wait_until(deadline);
  }
}

asio::awaitable<bool> ServerLink::wait_caught_up(Clock::time_point deadline) {
  for (;;) {
    if (!catch_up_.active()) co_return true;
    if (ended_ || Clock::now() >= deadline) co_return false;
    co_await changed_.wait_until(deadline);
  }
}

asio::awaitable<bool> ServerLink::wait_ready(Clock::time_point deadline) {
  for (;;) {
    const bool authenticated = logged_in_ || !credentials_;
    if (hello_ && authenticated && !pending_.has_user_requests()) co_return true;
    if (ended_ || Clock::now() >= deadline) co_return false;
    co_await changed_.wait_until(deadline);
  }
}

}  // namespace chat::client
