// ServerLink against a scripted fake server on loopback: the reconnect path,
// step by step, with the exact lines the server sends. (The real server is
// exercised by test_client_script.)
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "client/server_link.hpp"
#include "common/frames.hpp"

using namespace chat::client;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// One scripted peer at a time; every wait is bounded so a client that does
// not do what the script expects fails the test instead of hanging it.
class FakeServer {
 public:
  FakeServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener_, 4) == 0);
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
  }
  ~FakeServer() {
    close_peer();
    ::close(listener_);
  }

  std::uint16_t port() const { return port_; }

  bool accept() {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, 10'000) != 1) return false;
    peer_ = ::accept(listener_, nullptr, nullptr);
    buffer_.clear();
    return peer_ >= 0;
  }
  void close_peer() {
    if (peer_ >= 0) ::close(peer_);
    peer_ = -1;
  }

  void send(const json& message) { send_raw(chat::to_line(message)); }
  void send_raw(std::string_view line) { [[maybe_unused]] auto n = ::write(peer_, line.data(), line.size()); }

  // The next request; a null json on timeout or close.
  json next() {
    for (;;) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        const auto line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return json::parse(line);
      }
      pollfd ready{peer_, POLLIN, 0};
      if (::poll(&ready, 1, 10'000) != 1) return nullptr;
      char chunk[4096];
      const auto n = ::read(peer_, chunk, sizeof chunk);
      if (n <= 0) return nullptr;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // The next request other than a ping (answered on the way).
  json next_request() {
    for (;;) {
      auto request = next();
      if (request.is_null() || request.value("op", "") != "ping") return request;
      send({{"type", "pong"}, {"id", request["id"]}, {"time", 0}});
    }
  }

  void hello() { send({{"type", "hello"}, {"server", "fake"}, {"version", "0"}, {"protocol", 1}}); }

  static json ok(const json& request, json fields = json::object()) {
    fields["type"] = "ok";
    fields["op"] = request["op"];
    fields["id"] = request["id"];
    return fields;
  }

  static json msg(std::int64_t seq, std::string_view text, bool replay = false) {
    json m{{"type", "msg"}, {"room", "r"}, {"seq", seq}, {"from", "bob"}, {"ts", 0}, {"text", text}};
    if (replay) m["replay"] = true;
    return m;
  }

 private:
  int listener_ = -1;
  int peer_ = -1;
  std::uint16_t port_ = 0;
  std::string buffer_;
};

// Records what the session shows; `on_event` lets the test act on it.
struct Recorder : Presenter {
  std::vector<std::string> texts;
  std::vector<std::string> notes;
  std::function<void(const json&)> on_event;
  std::function<void(std::string_view)> on_status;

  void event(const json& event) override {
    if (event.value("type", "") == "msg") texts.push_back(event.value("text", ""));
    if (on_event) on_event(event);
  }
  void reply(const json&, const json& reply) override { notes.push_back("reply " + reply.value("op", "")); }
  void status(std::string_view text) override {
    notes.emplace_back(text);
    if (on_status) on_status(text);
  }
  void problem(std::string_view text) override { notes.push_back("problem " + std::string(text)); }
};

bool contains(const std::vector<std::string>& lines, std::string_view text) {
  for (const auto& line : lines) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

// Runs the session until it ends, for 20 s at most. Should the script have gone wrong
// and it still runs, `on_stuck` is called and the session quits, so that the fake
// server's thread ends too. `error` receives what run() threw, if anything.
std::optional<LinkEnd> run_session(boost::asio::io_context& io, ServerLink& session,
                                      const std::function<void()>& on_stuck = {}, std::exception_ptr* error = nullptr) {
  std::optional<LinkEnd> end;
  boost::asio::co_spawn(io, session.run(), [&](std::exception_ptr e, LinkEnd result) {
    if (error) *error = e;
    end = result;
    io.stop();  // the keep-alive timer would hold run_for() to its limit
  });
  io.run_for(20s);
  if (!end) {
    if (on_stuck) on_stuck();
    session.quit();
    io.restart();
    io.run_for(1s);
  }
  return end;
}

std::string joined(const std::vector<std::string>& notes) {
  std::string text;
  for (const auto& note : notes) text += note + " | ";
  return text;
}

}  // namespace

TEST_CASE("after a drop the session logs in, rejoins with since, re-sends what was queued, and shows nothing twice") {
  FakeServer server;
  std::vector<std::string> script_errors;
  json rejoin;
  json resent;
  const auto expect = [&](bool ok, std::string what) {
    if (!ok) script_errors.push_back(std::move(what));
    return ok;
  };

  std::thread peer([&] {
    // First connection: log in, join, one live message, then drop.
    if (!expect(server.accept(), "no first connection")) return;
    server.hello();
    auto request = server.next_request();
    if (!expect(request.value("op", "") == "guest", "expected guest, got " + request.dump())) return;
    server.send(FakeServer::ok(request, {{"user", "tester"}, {"guest", true}, {"rooms", json::array()}}));
    request = server.next_request();
    if (!expect(request.value("op", "") == "join" && !request.contains("since"), "expected join: " + request.dump())) {
      return;
    }
    server.send(FakeServer::ok(request, {{"room", "r"}, {"last_seq", 5}}));
    server.send(FakeServer::msg(6, "six"));
    server.next_request();  // wait for the client's reaction below before dropping
    server.close_peer();

    // Second connection: the rejoin replays an overlap (6) and a miss (7).
    if (!expect(server.accept(), "no reconnect")) return;
    server.hello();
    request = server.next_request();
    if (!expect(request.value("op", "") == "guest", "expected guest again, got " + request.dump())) return;
    server.send(FakeServer::ok(request, {{"user", "tester"}, {"guest", true}, {"rooms", json::array()}}));
    rejoin = server.next_request();
    server.send(FakeServer::msg(6, "six", true));
    server.send(FakeServer::msg(7, "seven", true));
    server.send(FakeServer::ok(rejoin, {{"room", "r"}, {"last_seq", 7}, {"replayed", 2}}));
    resent = server.next_request();
    server.send(FakeServer::ok(resent, {{"room", "r"}, {"seq", 8}}));
    server.send(FakeServer::msg(8, "queued"));
    server.next();  // until the client quits
  });

  boost::asio::io_context io;
  ServerLinkOptions options;
  options.port = server.port();
  options.credentials = Credentials{AuthMode::Guest, "tester", {}};
  options.autojoin = {"r"};
  options.backoff = BackoffPolicy{10ms, 100ms, 2.0, 0.0, 5};
  Recorder recorder;
  ServerLink session(io.get_executor(), options, recorder);
  std::optional<std::int64_t> queued_id;
  recorder.on_event = [&](const json& event) {
    // Sent on the first connection; the fake server drops it unanswered.
    if (event.value("text", "") == "six" && !queued_id) {
      queued_id = session.submit({{"op", "send"}, {"room", "r"}, {"text", "queued"}});
    }
    if (event.value("text", "") == "queued") session.quit();
  };
  const auto end = run_session(io, session);
  peer.join();

  INFO("notes: " << joined(recorder.notes));
  CHECK(script_errors.empty());
  for (const auto& error : script_errors) MESSAGE(error);
  REQUIRE(end.has_value());
  CHECK(*end == LinkEnd::Quit);
  CHECK(recorder.texts == std::vector<std::string>{"six", "seven", "queued"});
  CHECK(rejoin.value("op", "") == "join");
  CHECK(rejoin.value("since", -1) == 6);
  // The queued message went after the rejoin, with the cid it had the first time.
  REQUIRE(queued_id.has_value());
  CHECK(resent.value("op", "") == "send");
  CHECK(resent.value("id", -1) == *queued_id);
  CHECK(resent.value("cid", "").ends_with("-" + std::to_string(*queued_id)));
  CHECK(contains(recorder.notes, "connection lost"));
  CHECK(contains(recorder.notes, "logged in again as tester"));
  CHECK(contains(recorder.notes, "rejoined #r"));
  CHECK(session.failed_requests() == 0);
}

TEST_CASE("a truncated rejoin fetches the gap with history first; replay and live messages follow, each once") {
  FakeServer server;
  std::vector<std::string> script_errors;
  json rejoin;
  std::vector<json> pages;
  const auto expect = [&](bool ok, std::string what) {
    if (!ok) script_errors.push_back(std::move(what));
    return ok;
  };
  const auto entries = [](std::int64_t first, std::int64_t last) {
    json messages = json::array();
    for (auto seq = first; seq <= last; ++seq) {
      messages.push_back({{"seq", seq}, {"from", "bob"}, {"ts", 0}, {"text", "m" + std::to_string(seq)}});
    }
    return messages;
  };
  const auto msg = [](std::int64_t seq, bool replay = false) {
    return FakeServer::msg(seq, "m" + std::to_string(seq), replay);
  };

  std::thread peer([&] {
    // First connection: log in, join, see seq 6, then drop.
    if (!expect(server.accept(), "no first connection")) return;
    server.hello();
    auto request = server.next_request();
    server.send(FakeServer::ok(request, {{"user", "tester"}, {"guest", true}, {"rooms", json::array()}}));
    request = server.next_request();
    if (!expect(request.value("op", "") == "join", "expected join: " + request.dump())) return;
    server.send(FakeServer::ok(request, {{"room", "r"}, {"last_seq", 5}}));
    server.send(msg(6));
    server.close_peer();

    // Second connection: 7..20 were sent meanwhile; the replay holds only 19 and 20.
    if (!expect(server.accept(), "no reconnect")) return;
    server.hello();
    request = server.next_request();
    server.send(FakeServer::ok(request, {{"user", "tester"}, {"guest", true}, {"rooms", json::array()}}));
    rejoin = server.next_request();
    server.send(msg(19, true));
    server.send(msg(20, true));
    server.send(FakeServer::ok(
        rejoin, {{"room", "r"}, {"last_seq", 20}, {"replayed", 2}, {"truncated", true}, {"history_before", 19}}));
    server.send(msg(21));  // live, while the gap is still to be fetched
    pages.push_back(server.next_request());
    if (!expect(pages.back().value("op", "") == "history", "expected history: " + pages.back().dump())) return;
    server.send(FakeServer::ok(pages.back(), {{"room", "r"}, {"messages", entries(7, 12)}, {"truncated", true}}));
    server.send(msg(22));
    pages.push_back(server.next_request());
    if (!expect(pages.back().value("op", "") == "history", "expected history: " + pages.back().dump())) return;
    server.send(FakeServer::ok(pages.back(), {{"room", "r"}, {"messages", entries(13, 18)}}));
    server.send(msg(23));
    server.next();  // until the client quits
  });

  boost::asio::io_context io;
  ServerLinkOptions options;
  options.port = server.port();
  options.credentials = Credentials{AuthMode::Guest, "tester", {}};
  options.autojoin = {"r"};
  options.backoff = BackoffPolicy{10ms, 100ms, 2.0, 0.0, 5};
  Recorder recorder;
  ServerLink session(io.get_executor(), options, recorder);
  std::optional<bool> caught_up_at_rejoined;
  recorder.on_status = [&](std::string_view text) {
    if (text.starts_with("rejoined")) caught_up_at_rejoined = !session.catching_up();
  };
  recorder.on_event = [&](const json& event) {
    if (event.value("seq", 0) == 23) session.quit();
  };
  const auto end = run_session(io, session);
  peer.join();

  INFO("notes: " << joined(recorder.notes));
  CHECK(script_errors.empty());
  for (const auto& error : script_errors) MESSAGE(error);
  REQUIRE(end.has_value());
  std::vector<std::string> expected;
  for (int seq = 6; seq <= 23; ++seq) expected.push_back("m" + std::to_string(seq));
  CHECK(recorder.texts == expected);
  CHECK(rejoin.value("since", -1) == 6);
  REQUIRE(pages.size() == 2);
  CHECK(pages[0].value("room", "") == "r");
  CHECK(pages[0].value("after", -1) == 6);
  CHECK(pages[0].value("before", -1) == 19);
  CHECK(pages[1].value("after", -1) == 12);
  CHECK(pages[1].value("before", -1) == 19);
  CHECK(contains(recorder.notes, "fetching 12 missed messages of #r"));
  CHECK(contains(recorder.notes, "rejoined #r, 14 missed messages"));
  CHECK(caught_up_at_rejoined == true);
  CHECK(session.resume().since("r") == 23);
  CHECK(session.failed_requests() == 0);
}

TEST_CASE("reconnecting gives up after the allowed attempts") {
  auto server = std::make_unique<FakeServer>();
  const std::uint16_t port = server->port();
  std::thread peer([&server] {
    if (server->accept()) {
      server->hello();
      server->close_peer();
    }
    server.reset();  // the listener is gone: every reconnect is refused
  });
  boost::asio::io_context io;
  ServerLinkOptions options;
  options.port = port;
  options.backoff = BackoffPolicy{1ms, 4ms, 2.0, 0.0, 3};
  Recorder recorder;
  ServerLink session(io.get_executor(), options, recorder);
  const auto end = run_session(io, session);
  peer.join();
  REQUIRE(end.has_value());
  CHECK(*end == LinkEnd::GaveUp);
  CHECK(contains(recorder.notes, "gave up after 3 attempts"));
}

TEST_CASE("an account registered at start-up is logged in to after a reconnect") {
  FakeServer server;
  std::vector<std::string> ops;
  std::thread peer([&] {
    for (int connection = 0; connection < 2 && server.accept(); ++connection) {
      server.hello();
      const auto request = server.next_request();
      ops.push_back(request.value("op", "") + " " + request.value("name", "") + " " + request.value("password", ""));
      server.send(FakeServer::ok(request, {{"user", "newbie"}, {"rooms", json::array()}}));
      if (connection == 0) server.close_peer();
    }
    server.next();  // until the client quits
  });

  boost::asio::io_context io;
  ServerLinkOptions options;
  options.port = server.port();
  options.credentials = Credentials{AuthMode::Register, "newbie", "long enough"};
  options.backoff = BackoffPolicy{10ms, 100ms, 2.0, 0.0, 5};
  Recorder recorder;
  ServerLink session(io.get_executor(), options, recorder);
  recorder.on_status = [&](std::string_view text) {
    if (text.starts_with("logged in again")) session.quit();
  };
  const auto end = run_session(io, session);
  peer.join();

  CHECK(end == LinkEnd::Quit);
  CHECK(ops == std::vector<std::string>{"register newbie long enough", "login newbie long enough"});
}

TEST_CASE("a malformed or unexpected server line is reported in one line and skipped; the session goes on") {
  FakeServer server;
  std::vector<std::string> script_errors;
  std::thread peer([&] {
    if (!server.accept()) return script_errors.push_back("no connection");
    server.hello();
    auto request = server.next_request();
    if (request.is_null()) return script_errors.push_back("no login");
    // Wrongly typed optional fields: read as absent.
    server.send(FakeServer::ok(request, {{"user", "tester"}, {"guest", "yes"}, {"rooms", "none"}}));
    request = server.next_request();
    if (request.is_null() || request.value("op", "") != "join") {
      return script_errors.push_back("expected join: " + request.dump());
    }
    server.send(FakeServer::ok(request, {{"room", "r"}, {"last_seq", "five"}}));
    for (const auto* junk : {
             R"({"type":5})",
             R"([1,2])",
             R"(not json at all)",
             R"({"type":"msg","room":"r","seq":"7","from":"bob","ts":0,"text":"bad seq"})",
             R"({"type":"presence","room":"r","user":7,"action":"join"})",
             R"({"type":"dm","dm_id":1,"from":"bob","to":"tester"})",
             R"({"type":"ok","op":"join","id":999})",
             R"({"type":"error","code":1,"message":"?"})",
             R"({"type":"brand-new","text":"from a newer server"})",
         }) {
      server.send_raw(std::string(junk) + "\n");
    }
    server.send(FakeServer::msg(6, "after the junk"));
    server.next();  // until the client quits
  });

  boost::asio::io_context io;
  ServerLinkOptions options;
  options.port = server.port();
  options.credentials = Credentials{AuthMode::Guest, "tester", {}};
  options.autojoin = {"r"};
  options.backoff = BackoffPolicy{10ms, 100ms, 2.0, 0.0, 1};
  Recorder recorder;
  ServerLink session(io.get_executor(), options, recorder);
  recorder.on_event = [&](const json& event) {
    if (event.value("text", "") == "after the junk") session.quit();
  };
  std::exception_ptr error;
  const auto end = run_session(io, session, {}, &error);
  peer.join();

  std::string notes;
  std::size_t ignored = 0;
  for (const auto& note : recorder.notes) {
    notes += note + " | ";
    if (note.starts_with("problem ignored a line from the server (")) ++ignored;
  }
  INFO("notes: " << notes);
  CHECK(script_errors.empty());
  CHECK_FALSE(error);
  REQUIRE(end.has_value());
  CHECK(*end == LinkEnd::Quit);
  CHECK(recorder.texts == std::vector<std::string>{"after the junk"});
  CHECK(ignored == 9);
  CHECK(contains(recorder.notes, "(msg without an integer \"seq\")"));
  CHECK(contains(recorder.notes, "(a reply to no request of this client)"));
  CHECK(contains(recorder.notes, "(unknown type \"brand-new\")"));
  CHECK(contains(recorder.notes, "logged in as tester"));
  CHECK(session.resume().is_joined("r"));
}

TEST_CASE("a script's session keeps only the replies someone waits for") {
  FakeServer server;
  std::vector<std::string> script_errors;
  std::atomic<bool> gave_up{false};
  std::thread peer([&] {
    if (!server.accept()) return script_errors.push_back("no connection");
    server.hello();
    auto request = server.next_request();
    if (request.is_null()) return script_errors.push_back("no login");
    server.send(FakeServer::ok(request, {{"user", "tester"}, {"guest", true}, {"rooms", json::array()}}));
    request = server.next_request();  // the --join, which no script line waits for
    if (request.is_null()) return script_errors.push_back("no join");
    server.send(FakeServer::ok(request, {{"room", "r"}, {"last_seq", 0}}));
    request = server.next_request();  // answered only after the client stopped waiting
    if (request.is_null()) return script_errors.push_back("no rooms request");
    for (int i = 0; i < 1000 && !gave_up; ++i) std::this_thread::sleep_for(10ms);
    server.send(FakeServer::ok(request, {{"rooms", json::array()}}));
    server.send(FakeServer::msg(1, "after the late reply"));
    server.next();  // until the client quits
  });

  boost::asio::io_context io;
  ServerLinkOptions options;
  options.port = server.port();
  options.credentials = Credentials{AuthMode::Guest, "tester", {}};
  options.autojoin = {"r"};
  options.backoff = BackoffPolicy{10ms, 100ms, 2.0, 0.0, 1};
  Recorder recorder;
  ServerLink session(io.get_executor(), options, recorder);
  session.keep_replies();
  std::optional<std::size_t> kept_at_end;
  recorder.on_event = [&](const json& event) {
    if (event.value("text", "") != "after the late reply") return;
    kept_at_end = session.kept_replies();
    session.quit();
  };
  std::optional<bool> timed_out;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        if (!co_await session.wait_ready(ServerLink::Clock::now() + 10s)) co_return;
        const auto id = session.submit({{"op", "rooms"}});
        timed_out = !(co_await session.wait_reply(*id, ServerLink::Clock::now() + 20ms)).has_value();
        gave_up = true;
      },
      boost::asio::detached);
  const auto end = run_session(io, session, [&] { gave_up = true; });
  peer.join();

  CHECK(script_errors.empty());
  REQUIRE(end.has_value());
  CHECK(timed_out == true);
  REQUIRE(kept_at_end.has_value());
  CHECK(*kept_at_end == 0);
  CHECK(contains(recorder.notes, "reply rooms"));  // shown all the same
}

TEST_CASE("without a login, every connection that reached the hello starts the back-off afresh") {
  FakeServer server;
  constexpr int kConnections = 4;
  std::thread peer([&] {
    for (int connection = 0; connection < kConnections && server.accept(); ++connection) {
      server.hello();
      if (connection + 1 < kConnections) server.close_peer();
    }
    server.next();  // until the client quits
  });

  boost::asio::io_context io;
  ServerLinkOptions options;
  options.port = server.port();
  // Two attempts in a row may fail; each drop here is followed by a good connection.
  options.backoff = BackoffPolicy{1ms, 4ms, 2.0, 0.0, 2};
  Recorder recorder;
  ServerLink session(io.get_executor(), options, recorder);
  int connected = 0;
  recorder.on_status = [&](std::string_view text) {
    if (text.starts_with("connected to") && ++connected == kConnections) session.quit();
  };
  const auto end = run_session(io, session);
  peer.join();

  INFO("notes: " << joined(recorder.notes));
  CHECK(connected == kConnections);
  CHECK(end == LinkEnd::Quit);
}

TEST_CASE("/reconnect cuts the wait between reconnect attempts short") {
  auto server = std::make_unique<FakeServer>();
  const std::uint16_t port = server->port();
  std::thread peer([&server] {
    if (server->accept()) {
      server->hello();
      server->close_peer();
    }
    server.reset();  // every reconnect is refused
  });
  boost::asio::io_context io;
  ServerLinkOptions options;
  options.port = port;
  // A minute between tries: only reconnect_now() ends this within the test's 20 s.
  options.backoff = BackoffPolicy{60'000ms, 60'000ms, 2.0, 0.0, 2};
  Recorder recorder;
  ServerLink session(io.get_executor(), options, recorder);
  CHECK_FALSE(session.reconnect_now());  // not waiting: nothing to cut short
  int cut_short = 0;
  recorder.on_status = [&](std::string_view text) {
    if (text.find("reconnecting in") != std::string_view::npos && session.reconnect_now()) ++cut_short;
  };
  const auto started = std::chrono::steady_clock::now();
  const auto end = run_session(io, session);
  peer.join();
  REQUIRE(end.has_value());
  CHECK(*end == LinkEnd::GaveUp);
  CHECK(cut_short == 2);
  CHECK(std::chrono::steady_clock::now() - started < 15s);
}
