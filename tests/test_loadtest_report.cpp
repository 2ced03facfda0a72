#include <doctest/doctest.h>

#include <string>

#include "loadtest/line_fields.hpp"
#include "loadtest/message_stamp.hpp"
#include "loadtest/report.hpp"

using namespace chat::loadtest;

TEST_CASE("line fields: the members of a msg event, whatever their order") {
  const auto f = LineFields::scan(
      R"({"cid":"c-1","from":"lt0_3","room":"ltr1_0","seq":42,"text":"123 \"quoted\" \\ x","ts":1764000000123,"type":"msg","nested":{"a":[1,{"b":"}"}]},"flag":true})");
  REQUIRE(f.has_value());
  CHECK(f->string("type") == "msg");
  CHECK(f->string("room") == "ltr1_0");
  CHECK(f->integer("seq") == 42);
  CHECK(f->integer("ts") == 1764000000123);
  CHECK(f->string("text") == R"(123 \"quoted\" \\ x)");
  CHECK(f->has("nested"));
  CHECK(f->has("flag"));
  CHECK_FALSE(f->string("seq").has_value());   // not a string
  CHECK_FALSE(f->integer("room").has_value());  // not an integer
  CHECK_FALSE(f->string("missing").has_value());
}

TEST_CASE("line fields: replies and malformed lines") {
  const auto ok = LineFields::scan(R"( { "type" : "ok", "op":"send", "id" : -7 } )");
  REQUIRE(ok.has_value());
  CHECK(ok->integer("id") == -7);
  CHECK(LineFields::scan("{}").has_value());
  CHECK_FALSE(LineFields::scan("").has_value());
  CHECK_FALSE(LineFields::scan("[1,2]").has_value());
  CHECK_FALSE(LineFields::scan(R"({"a":"unterminated})").has_value());
  CHECK_FALSE(LineFields::scan(R"({"a":1} {"b":2})").has_value());
  CHECK_FALSE(LineFields::scan(R"({"a":})").has_value());
  CHECK_FALSE(LineFields::scan(R"({"a":{"b":1})").has_value());
  CHECK_FALSE(LineFields::scan(R"({"a":1,})").has_value());
}

TEST_CASE("line fields: a quote ends a string unless an odd run of backslashes escapes it") {
  const auto even = LineFields::scan(R"({"a":"x\\\\","b":"\\\"q\\\"","c":1})");
  REQUIRE(even.has_value());
  CHECK(even->string("a") == R"(x\\\\)");
  CHECK(even->string("b") == R"(\\\"q\\\")");
  CHECK(even->integer("c") == 1);
  CHECK_FALSE(LineFields::scan(R"({"a":"x\"})").has_value());  // the closing quote is escaped
  CHECK_FALSE(LineFields::scan(R"({"a":"x\\\"})").has_value());  // so is this one, after three
}

TEST_CASE("message stamps carry the send time and pad to size") {
  const auto text = stamped_text(123456789, 40);
  CHECK(text.size() == 40);
  CHECK(read_stamp(text) == 123456789u);
  CHECK(read_stamp(stamped_text(987, 1)) == 987u);  // never truncated below the digits
  CHECK_FALSE(read_stamp("hello").has_value());
  CHECK_FALSE(read_stamp("12ab").has_value());
  CHECK_FALSE(read_stamp("").has_value());
}

TEST_CASE("sender stamps carry the send time, the sender and its seq, and pad to size") {
  std::string text = "reused";
  text.clear();
  append_stamped_text(text, {123456789, 4, 17}, 40);
  CHECK(text.size() == 40);
  CHECK(text.starts_with("123456789 4 17 x"));
  CHECK(read_sender_stamp(text) == SenderStamp{123456789, 4, 17});
  CHECK(read_stamp(text) == 123456789u);  // the send time reads as in chat mode
  text.clear();
  append_stamped_text(text, {987, 0, 1}, 1);
  CHECK(text == "987 0 1");  // never cut below the stamp
  CHECK(read_sender_stamp(text) == SenderStamp{987, 0, 1});
  CHECK_FALSE(read_sender_stamp(stamped_text(987, 40)).has_value());  // no sender, no seq
  CHECK_FALSE(read_sender_stamp("1 2").has_value());
  CHECK_FALSE(read_sender_stamp("1 2 3x").has_value());
  CHECK_FALSE(read_sender_stamp("1  2 3").has_value());
  CHECK_FALSE(read_sender_stamp("1 99999999999 3").has_value());  // no such sender rank
  CHECK_FALSE(read_sender_stamp("").has_value());
}

namespace {

RunStats clean_run() {
  RunStats stats;
  stats.connected = 4;
  stats.connect_phase_us = 2'000'000;
  stats.sent = stats.acked = 100;
  stats.sent_measured = 50;
  stats.delivered_measured = 200;
  for (std::uint64_t v = 1; v <= 1000; ++v) stats.latency_us.record(v);
  RoomTracker tracker;
  for (std::uint64_t s = 1; s <= 100; ++s) tracker.on_message(s);
  stats.rooms.resize(1);
  for (int i = 0; i < 4; ++i) stats.rooms[0].add(tracker);
  stats.rooms[0].note_acked(100);
  return stats;
}

LoadOptions options() {
  LoadOptions o;
  o.port = 1;
  o.connections = 4;
  o.rooms = 1;
  o.senders = 1;
  o.duration_s = 10;
  return o;
}

}  // namespace

TEST_CASE("report: figures of a clean run") {
  auto o = options();
  o.server_pid = 1234;
  RunFacts facts;
  facts.server_before = ServerSample{10'000, 1.0};
  facts.server_window_start = ServerSample{12'000, 2.0};
  facts.server_window_end = ServerSample{14'000, 7.0};
  const auto r = make_report(o, clean_run(), facts);
  CHECK(r["ok"] == true);
  CHECK(r["protocol"] == "chat");
  CHECK(r["sent"] == 100);
  CHECK(r["expected"] == 400);
  CHECK(r["delivered"] == 400);
  CHECK(r["lost"] == 0);
  CHECK(r["dup"] == 0);
  CHECK(r["out_of_order"] == 0);
  CHECK(r["sends_per_s"] == 5.0);
  CHECK(r["deliveries_per_s"] == 20.0);
  // Above 256 buckets are 2 wide: the highest value of the bucket is reported.
  CHECK(r["latency_us"]["p50"] == 501);
  CHECK(r["latency_us"]["p99"] == 991);
  CHECK(r["latency_us"]["p99_9"] == 999);  // the 999th of 1,000, in the bucket 996..999
  CHECK(r["latency_us"]["max"] == 1000);
  CHECK(r["connect"]["time_s"] == 2.0);
  CHECK(r["connect"]["rate_per_s"] == 2.0);
  CHECK(r["server"]["rss_per_connection_kb"] == 1000.0);
  CHECK(r["server"]["cpu_s"] == 5.0);
  CHECK(r["server"]["cpu_percent"] == 50.0);
  CHECK_FALSE(r.contains("send_lag_us"));  // closed loop
  // One line, parseable back.
  const std::string line = r.dump();
  CHECK(line.find('\n') == std::string::npos);
  CHECK(nlohmann::json::parse(line) == r);
  const auto text = human_summary(r);
  CHECK(text.find("result     OK") != std::string::npos);
  CHECK(text.find("redis") == std::string::npos);

  o.protocol = Protocol::Redis;
  const auto redis = make_report(o, clean_run(), facts);
  CHECK(redis["protocol"] == "redis");
  CHECK(human_summary(redis).starts_with("chat-loadtest: redis pub/sub, closed loop"));
}

TEST_CASE("report: loss, duplicates and lost connections fail the run") {
  auto stats = clean_run();
  RoomTracker bad;
  bad.on_message(2);
  bad.on_message(2);
  stats.rooms[0].add(bad);
  stats.disconnects = 1;
  auto o = options();
  o.mode = SendMode::Open;
  o.rate = 10;
  const auto r = make_report(o, stats, RunFacts{});
  CHECK(r["ok"] == false);
  CHECK(r["lost"] == 99);
  CHECK(r["dup"] == 1);
  CHECK(r.contains("send_lag_us"));
  const auto text = human_summary(r);
  CHECK(text.find("FAILED") != std::string::npos);
  CHECK(text.find("messages lost") != std::string::npos);
}

TEST_CASE("report: any error, refused send, failed churn cycle or unreadable line fails the run") {
  struct Case {
    const char* name;
    void (*spoil)(RunStats&);
    const char* phrase;
  };
  const Case cases[] = {
      {"refused sends", [](RunStats& s) { s.send_errors = 3, s.errors["rate_limited"] = 3; }, "3 sends refused"},
      {"an error event", [](RunStats& s) { s.errors["overloaded"] = 2; }, "errors (overloaded 2)"},
      {"churn failures", [](RunStats& s) { s.churn_failures = 4; }, "4 churn cycles failed"},
      {"unreadable lines", [](RunStats& s) { s.unreadable_lines = 1; }, "1 unreadable lines"},
      {"connect failures", [](RunStats& s) { s.connect_failures = 5; }, "5 connections failed"},
  };
  auto o = options();
  o.churners = 2;
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto stats = clean_run();
    c.spoil(stats);
    const auto r = make_report(o, stats, RunFacts{});
    CHECK(r["ok"] == false);
    REQUIRE(r["problems"].is_array());
    CHECK(r["problems"].size() >= 1);
    const auto text = human_summary(r);
    CHECK(text.find("FAILED") != std::string::npos);
    CHECK(text.find(c.phrase) != std::string::npos);
  }
  const auto clean = make_report(o, clean_run(), RunFacts{});
  CHECK(clean["ok"] == true);
  CHECK(clean["problems"].empty());
}

TEST_CASE("report: server memory sampled through the window, growth checked against the tolerance") {
  auto o = options();
  o.server_pid = 1234;
  RunFacts facts;
  facts.server_before = ServerSample{10'000, 1.0};
  facts.server_window_start = ServerSample{12'000, 2.0};
  facts.server_window_mid = ServerSample{14'000, 4.0};
  facts.server_window_end = ServerSample{15'000, 7.0};
  facts.server_after_drain = ServerSample{14'500, 7.5};

  auto r = make_report(o, clean_run(), facts);
  CHECK(r["server"]["rss_window_start_kb"] == 12'000);
  CHECK(r["server"]["rss_window_mid_kb"] == 14'000);
  CHECK(r["server"]["rss_after_kb"] == 15'000);
  CHECK(r["server"]["rss_after_drain_kb"] == 14'500);
  CHECK(r["server"]["rss_growth_kb"] == 3'000);
  CHECK(r["ok"] == true);  // no tolerance given: reported, not judged
  CHECK(human_summary(r).find("growth 3000 KiB") != std::string::npos);

  o.max_rss_growth_kb = 4'000;
  CHECK(make_report(o, clean_run(), facts)["ok"] == true);
  o.max_rss_growth_kb = 2'000;
  r = make_report(o, clean_run(), facts);
  CHECK(r["ok"] == false);
  CHECK(human_summary(r).find("server RSS grew 3000 KiB in the window (tolerance 2000 KiB)") != std::string::npos);

  facts.server_window_end.reset();  // asked for, but not measured: not a pass
  r = make_report(o, clean_run(), facts);
  CHECK(r["ok"] == false);
  CHECK(human_summary(r).find("server RSS not measured") != std::string::npos);
}

TEST_CASE("report: a server connection still open after the churners left is a leak") {
  auto o = options();
  o.server_pid = 1234;
  o.churners = 10;
  RunFacts facts;
  facts.sockets_at_start = 505;
  facts.sockets_after = 505;
  auto r = make_report(o, clean_run(), facts);
  CHECK(r["server"]["leaked_connections"] == 0);
  CHECK(r["ok"] == true);
  CHECK(human_summary(r).find("0 leaked") != std::string::npos);

  facts.sockets_after = 503;  // members the server dropped are not leaks (they show as disconnects)
  CHECK(make_report(o, clean_run(), facts)["server"]["leaked_connections"] == 0);

  facts.sockets_after = 508;
  r = make_report(o, clean_run(), facts);
  CHECK(r["server"]["leaked_connections"] == 3);
  CHECK(r["ok"] == false);
  CHECK(human_summary(r).find("3 server connections leaked") != std::string::npos);
}

TEST_CASE("report: connections the server refused say why, on the connect line and in the verdict") {
  auto stats = clean_run();
  stats.connect_failures = 9'000;
  stats.connect_errors["overloaded"] = 8'990;
  stats.connect_errors["timeout"] = 10;
  const auto r = make_report(options(), stats, RunFacts{});
  CHECK(r["ok"] == false);
  CHECK(r["connect_errors"]["overloaded"] == 8'990);
  const auto text = human_summary(r);
  CHECK(text.find("9000 failed (overloaded 8990, timeout 10)") != std::string::npos);
  CHECK(text.find("FAILED: 9000 connections failed (overloaded 8990, timeout 10)") != std::string::npos);
}

TEST_CASE("report: the summary writes large rates in full, never with an exponent") {
  auto stats = clean_run();
  stats.delivered_measured = 10'932'105;  // over 10 s
  const auto text = human_summary(make_report(options(), stats, RunFacts{}));
  CHECK(text.find("1093210.5/s to other members") != std::string::npos);
  CHECK(text.find("e+") == std::string::npos);
}
