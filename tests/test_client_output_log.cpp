#include <doctest/doctest.h>

#include <optional>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "client/output_log.hpp"

using namespace chat::client;
using namespace std::chrono_literals;

namespace {

// Runs one /wait to its end; a deadline of now checks only what is kept.
bool wait_for(boost::asio::io_context& io, OutputLog& log, std::string text,
              std::chrono::milliseconds patience = 0ms) {
  std::optional<bool> found;
  boost::asio::co_spawn(io, log.wait_for(std::move(text), AsyncSignal::Clock::now() + patience),
                        [&](std::exception_ptr, bool result) { found = result; });
  io.restart();
  io.run_for(10s);
  REQUIRE(found.has_value());
  return *found;
}

}  // namespace

TEST_CASE("lines printed before a /wait count, and each line satisfies one /wait") {
  boost::asio::io_context io;
  OutputLog log(io.get_executor());
  log.record("-- joined #ops");
  log.record("<bob> hi");
  log.record("<bob> hi again");
  CHECK(wait_for(io, log, "<bob> hi"));
  CHECK(wait_for(io, log, "<bob> hi"));
  CHECK_FALSE(wait_for(io, log, "<bob> hi"));
  CHECK(wait_for(io, log, "joined"));
}

TEST_CASE("a /wait is satisfied by a line printed while it waits") {
  boost::asio::io_context io;
  OutputLog log(io.get_executor());
  std::optional<bool> found;
  boost::asio::co_spawn(io, log.wait_for("later", AsyncSignal::Clock::now() + 10s),
                        [&](std::exception_ptr, bool result) { found = result; });
  io.poll();
  CHECK_FALSE(found.has_value());
  log.record("not this one");
  log.record("printed later");
  io.run_for(10s);
  CHECK(found == true);
}

TEST_CASE("only the most recent lines are kept, by count and by bytes") {
  boost::asio::io_context io;
  SUBCASE("lines") {
    OutputLog log(io.get_executor(), {3, 1 << 20});
    for (int i = 1; i <= 1000; ++i) log.record("line " + std::to_string(i));
    CHECK(log.kept_lines() == 3);
    CHECK_FALSE(wait_for(io, log, "line 997"));
    CHECK(wait_for(io, log, "line 998"));
    CHECK(wait_for(io, log, "line 1000"));
  }
  SUBCASE("bytes") {
    OutputLog log(io.get_executor(), {1000, 10});
    log.record("aaaaa");
    log.record("bbbbb");
    log.record("ccccc");
    CHECK(log.kept_bytes() <= 10);
    CHECK_FALSE(wait_for(io, log, "aaaaa"));
    CHECK(wait_for(io, log, "bbbbb"));
  }
  SUBCASE("the newest line, however long") {
    OutputLog log(io.get_executor(), {10, 4});
    log.record(std::string(100, 'x') + " the end");
    CHECK(log.kept_lines() == 1);
    CHECK(wait_for(io, log, "the end"));
  }
}

TEST_CASE("a matched line is let go") {
  boost::asio::io_context io;
  OutputLog log(io.get_executor());
  log.record("first");
  log.record("second");
  CHECK(wait_for(io, log, "first"));
  CHECK(log.kept_lines() == 1);
  CHECK(log.kept_bytes() == std::string("second").size());
}
