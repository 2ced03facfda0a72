#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/names.hpp"
#include "common/protocol.hpp"
#include "loadtest/load_options.hpp"
#include "loadtest/topology.hpp"

using chat::loadtest::LoadOptions;
using chat::loadtest::parse_options;
using chat::loadtest::Protocol;
using chat::loadtest::SendMode;
using chat::loadtest::Transport;
using chat::loadtest::Topology;

namespace {

LoadOptions parse_ok(std::vector<std::string> args) {
  const auto parsed = parse_options(args);
  INFO(parsed.message);
  REQUIRE(parsed.options.has_value());
  return *parsed.options;
}

int parse_fails(std::vector<std::string> args) {
  const auto parsed = parse_options(args);
  CHECK_FALSE(parsed.options.has_value());
  CHECK_FALSE(parsed.message.empty());
  return parsed.exit_code;
}

}  // namespace

TEST_CASE("defaults need only a port") {
  const auto o = parse_ok({"--port", "9000"});
  CHECK(o.port == 9000);
  CHECK(o.host == "127.0.0.1");
  CHECK(o.mode == SendMode::Closed);
  CHECK(o.protocol == Protocol::Chat);
  CHECK(o.connections == 20);
  CHECK(o.resolved_workers() == 1);
  CHECK_FALSE(o.is_worker());
}

TEST_CASE("every flag parses") {
  const auto o = parse_ok({"--host", "127.0.0.9", "--port", "1", "--source-addrs", "4", "--connections", "600", "-r", "6",
                           "--senders", "3", "--mode", "open", "-w", "4", "--rate", "2500.5", "--message-bytes", "100",
                           "--churners", "10", "--churn-hold-ms", "50", "--warmup", "0.5", "-d", "2", "--drain",
                           "3", "--connect-timeout", "20", "--connect-concurrency", "64", "--workers", "2",
                           "--max-per-worker", "1000", "--name-prefix", "abc", "--owner", "boss",
                           "--owner-password", "12345678", "--server-pid", "42", "--max-rss-growth-kb", "8192",
                           "--progress", "0", "--json-out",
                           "/tmp/x.json", "-q", "--protocol", "redis"});
  CHECK(o.host == "127.0.0.9");
  CHECK(o.source_addrs == 4);
  CHECK(o.connections == 600);
  CHECK(o.rooms == 6);
  CHECK(o.senders == 3);
  CHECK(o.mode == SendMode::Open);
  CHECK(o.rate == 2500.5);
  CHECK(o.churners == 10);
  CHECK(o.warmup_s == 0.5);
  CHECK(o.workers == 2);
  CHECK(o.server_pid == 42);
  CHECK(o.max_rss_growth_kb == 8192);
  CHECK(o.json_out == "/tmp/x.json");
  CHECK(o.quiet);
  CHECK(o.protocol == Protocol::Redis);
}

TEST_CASE("--help names --protocol, its choices and its default") {
  const auto help = parse_options({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.message.find("--protocol chat|redis=chat") != std::string::npos);
  CHECK(parse_fails({"--port", "1", "--protocol", "irc"}) == 2);
}

TEST_CASE("redis mode: a sender's second connection counts against the socket budget") {
  const auto chat = parse_ok({"--port", "1", "--connections", "19900", "-r", "100", "--senders", "1"});
  CHECK(chat.sockets() == 19900);
  CHECK(chat.resolved_workers() == 1);
  const auto redis = parse_ok({"--port", "1", "--connections", "19900", "-r", "100", "--senders", "1", "--protocol", "redis"});
  CHECK(redis.sockets() == 20000);
  CHECK(redis.resolved_workers() == 2);
}

TEST_CASE("to_args round-trips, worker fields included") {
  auto o = parse_ok({"--port", "7", "--mode", "open", "--rate", "0.1", "--warmup", "0.3333333333333333",
                     "--connections", "50", "-r", "5", "--senders", "2", "--churners", "3", "--server-pid", "9", "--max-rss-growth-kb", "5"});
  o.worker_index = 1;
  o.workers = 2;
  o.run_tag = "a1b2c3";
  CHECK(parse_ok(o.to_args()) == o);
  o.protocol = Protocol::Redis;
  CHECK(parse_ok(o.to_args()) == o);
  o.protocol = Protocol::Chat;
  o.also_ports = {8, 9};
  CHECK(parse_ok(o.to_args()) == o);
  o.also_ports.clear();
  o.transport = Transport::Ws;
  o.http_port = 8080;
  CHECK(parse_ok(o.to_args()) == o);
}

TEST_CASE("--also-port names other nodes of the chat, for the chat protocol over TCP") {
  CHECK(parse_ok({"--port", "7", "--also-port", "8", "--also-port", "9"}).also_ports ==
        std::vector<std::uint16_t>{8, 9});
  CHECK(parse_fails({"--port", "7", "--also-port", "0"}) != 0);
  CHECK(parse_fails({"--port", "7", "--also-port", "8", "--protocol", "redis"}) != 0);
  CHECK(parse_fails({"--port", "7", "--also-port", "8", "--transport", "ws", "--http-port", "80"}) != 0);
}

TEST_CASE("--transport ws needs the HTTP port, and this server's protocol") {
  const auto o = parse_ok({"--port", "7", "--transport", "ws", "--http-port", "8080"});
  CHECK(o.transport == Transport::Ws);
  CHECK(o.http_port == 8080);
  CHECK(parse_ok({"--port", "7"}).transport == Transport::Tcp);
  CHECK(parse_fails({"--port", "7", "--transport", "ws"}) != 0);
  CHECK(parse_fails({"--port", "7", "--transport", "ws", "--http-port", "8080", "--protocol", "redis"}) != 0);
  CHECK(parse_fails({"--port", "7", "--transport", "quic"}) != 0);
}

TEST_CASE("--tls with --ca-file or --insecure round-trips to the workers; the two exclude each other") {
  auto o = parse_ok({"--port", "7", "--tls", "--ca-file", "/tmp/cert.pem"});
  CHECK(o.tls);
  CHECK(o.ca_file == "/tmp/cert.pem");
  CHECK(parse_ok(o.to_args()) == o);
  o = parse_ok({"--port", "7", "--tls", "--insecure"});
  CHECK(o.insecure);
  CHECK(parse_ok(o.to_args()) == o);
  CHECK(parse_fails({"--port", "7", "--insecure"}) == 2);                       // needs --tls
  CHECK(parse_fails({"--port", "7", "--ca-file", "x.pem"}) == 2);               // needs --tls
  CHECK(parse_fails({"--port", "7", "--tls", "--insecure", "--ca-file", "x"}) == 2);
  CHECK(parse_fails({"--port", "7", "--tls", "--protocol", "redis"}) == 2);     // chat protocol only
}

TEST_CASE("--tls with --transport ws: members speak wss: to --http-port, verified or --insecure") {
  auto o = parse_ok({"--port", "7", "--tls", "--ca-file", "/tmp/cert.pem", "--transport", "ws", "--http-port", "8443"});
  CHECK(o.tls);
  CHECK(o.transport == Transport::Ws);
  CHECK(o.http_port == 8443);
  CHECK(parse_ok(o.to_args()) == o);
  o = parse_ok({"--port", "7", "--tls", "--insecure", "--transport", "ws", "--http-port", "8443"});
  CHECK(o.insecure);
  CHECK(parse_ok(o.to_args()) == o);
  CHECK(parse_fails({"--port", "7", "--tls", "--transport", "ws"}) == 2);  // still needs --http-port
}

TEST_CASE("usage errors") {
  CHECK(parse_fails({}) != 0);                                        // --port is required
  CHECK(parse_fails({"--port", "1", "--host", "10.0.0.1"}) != 0);     // loopback only
  CHECK(parse_fails({"--port", "1", "--host", "127.0.1.1"}) != 0);    // 127.0.0.x only
  CHECK(parse_fails({"--port", "1", "--mode", "sideways"}) != 0);
  CHECK(parse_fails({"--port", "1", "--mode", "open"}) != 0);         // no rate
  CHECK(parse_fails({"--port", "1", "--connections", "10", "-r", "5", "--senders", "3"}) != 0);  // 2 members per room
  CHECK(parse_fails({"--port", "1", "--connections", "10", "-r", "11", "--senders", "0"}) != 0);
  CHECK(parse_fails({"--port", "1", "-r", "0", "--senders", "1"}) != 0);
  CHECK(parse_fails({"--port", "1", "--name-prefix", "bad name"}) != 0);
  CHECK(parse_fails({"--port", "1", "-d", "100000"}) != 0);           // bounded in time
  CHECK(parse_fails({"--port", "1", "--source-addrs", "255"}) != 0);
  CHECK(parse_fails({"--port", "1", "--connections", "30000", "-r", "0", "--senders", "0", "--workers", "1"}) != 0);
  CHECK(parse_fails({"--port", "1", "--max-rss-growth-kb", "100"}) != 0);  // nothing to measure it on
  CHECK(parse_fails({"--help"}) == 0);
}

TEST_CASE("every usage error exits with 2, whichever rule it breaks") {
  CHECK(parse_fails({}) == 2);                                          // missing required
  CHECK(parse_fails({"--port", "1", "-d", "10", "-d", "60"}) == 2);     // given twice
  CHECK(parse_fails({"--port", "1", "--no-such-flag"}) == 2);           // unknown
  CHECK(parse_fails({"--port", "1", "--connections", "0"}) == 2);                  // out of range
  CHECK(parse_fails({"--port", "1", "--mode", "sideways"}) == 2);       // not a choice
  CHECK(parse_fails({"--port", "1", "--host", "10.0.0.1"}) == 2);       // cross-field rule
}

TEST_CASE("the socket budget decides the number of workers") {
  const auto o = parse_ok({"--port", "1", "--connections", "39000", "-r", "1", "--senders", "0", "--churners", "1000"});
  CHECK(o.resolved_workers() == 3);
}

TEST_CASE("topology: rooms, senders and workers") {
  auto o = parse_ok({"--port", "1", "--connections", "10", "-r", "2", "--senders", "2"});
  const Topology one(o, 1, "t");
  const auto all = one.members_of_worker(0);
  REQUIRE(all.size() == 10);
  unsigned senders = 0;
  for (const auto& m : all) {
    CHECK(m.room == static_cast<int>(m.index % 2));
    senders += m.sender ? 1 : 0;
  }
  CHECK(senders == 4);
  CHECK(one.room_name(1) == "ltrt_1");
  CHECK(one.guest_name(0, 7) == "ltt_0_7");

  o.mode = SendMode::Open;
  o.rate = 1000;
  const Topology two(o, 2, "t");
  const auto w0 = two.members_of_worker(0);
  const auto w1 = two.members_of_worker(1);
  CHECK(w0.size() + w1.size() == 10);
  bool room0_in_both = false;
  for (const auto& a : w0) {
    for (const auto& b : w1) room0_in_both |= a.room == 0 && b.room == 0;
  }
  CHECK(room0_in_both);
  CHECK(two.senders_in_worker(0) + two.senders_in_worker(1) == 4);
  CHECK(two.rate_of_worker(0) + two.rate_of_worker(1) == doctest::Approx(1000));
}

TEST_CASE("topology: streams are the rooms in chat mode, the senders on Redis") {
  auto o = parse_ok({"--port", "1", "--connections", "30", "-r", "3", "--senders", "2"});
  const Topology chat(o, 2, "t");
  CHECK(chat.streams() == 3);
  CHECK(chat.streams_per_room() == 1);
  CHECK(chat.first_stream_of_room(2) == 2);

  o.protocol = Protocol::Redis;
  const Topology redis(o, 2, "t");
  CHECK(redis.streams() == 6);
  CHECK(redis.streams_per_room() == 2);
  CHECK(redis.first_stream_of_room(2) == 4);
  // Every sender of a room has its own rank there, below the room's senders.
  std::vector<std::vector<unsigned>> ranks(3);
  for (unsigned w = 0; w < 2; ++w) {
    for (const auto& m : redis.members_of_worker(w)) {
      if (m.sender) ranks[static_cast<unsigned>(m.room)].push_back(m.rank);
    }
  }
  for (auto& room : ranks) {
    std::sort(room.begin(), room.end());
    CHECK(room == std::vector<unsigned>{0, 1});
  }
}

TEST_CASE("topology: guest names are new in every run, like room names") {
  const auto o = parse_ok({"--port", "1", "--connections", "10", "-r", "2", "--senders", "1", "--churners", "2"});
  const Topology run1(o, 2, "a1b2c3");
  const Topology run2(o, 2, "00ff00");
  CHECK(run1.guest_name(1, 7) != run2.guest_name(1, 7));
  CHECK(run1.churner_name(1, 0, 3) != run2.churner_name(1, 0, 3));
  CHECK(run1.room_name(0) != run2.room_name(0));
  // Within a run every member and churner cycle has its own name.
  CHECK(run1.guest_name(0, 1) != run1.guest_name(0, 11));
  CHECK(run1.guest_name(1, 1) != run1.guest_name(0, 11));
  CHECK(run1.churner_name(0, 1, 2) != run1.churner_name(0, 12, 2));
  CHECK(run1.churner_name(0, 1, 2) != run1.churner_name(0, 1, 3));
}

TEST_CASE("options: the longest names of a run are valid user names, and the run tag is checked") {
  const auto o = parse_ok({"--port", "1", "--name-prefix", "abcdefgh"});
  const Topology t(o, 64, "ffffff");
  CHECK(chat::canonical_user_name(t.churner_name(63, 999'999, Topology::kChurnCycleNames - 1)).has_value());
  CHECK(t.churner_name(0, 0, Topology::kChurnCycleNames) == t.churner_name(0, 0, 0));  // wraps, never too long
  CHECK(chat::canonical_user_name(t.guest_name(63, 999'999)).has_value());
  CHECK(parse_fails({"--port", "1", "--name-prefix", "abcdefghi"}) == 2);
  CHECK(parse_fails({"--port", "1", "--run-tag", "1234567"}) == 2);
  CHECK(parse_fails({"--port", "1", "--run-tag", "XYZ"}) == 2);
  CHECK(parse_ok({"--port", "1", "--run-tag", "0a9f"}).run_tag == "0a9f");
}

TEST_CASE("short flags mean what they mean in the server and the client, or do not exist") {
  CHECK(parse_ok({"-p", "7777"}).port == 7777);                   // -p is --port everywhere
  CHECK(parse_fails({"--port", "1", "-c", "10"}) == 2);           // the server's -c is --config
  CHECK(parse_fails({"--port", "1", "--rooms", "1", "-s", "1"}) == 2);  // the client's -s is --script
}

TEST_CASE("--version and --help work without --port, and --help shows words and defaults") {
  const auto version = parse_options({"--version"});
  CHECK_FALSE(version.options.has_value());
  CHECK(version.exit_code == 0);
  CHECK(version.message.find(std::string(chat::protocol::kServerVersion)) != std::string::npos);
  const auto help = parse_options({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.message.find("closed|open") != std::string::npos);
  CHECK(help.message.find("chat|redis") != std::string::npos);
  CHECK(help.message.find("ENUM") == std::string::npos);
  CHECK(help.message.find("->") == std::string::npos);
}
