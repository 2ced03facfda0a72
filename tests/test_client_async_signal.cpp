#include <doctest/doctest.h>

#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "client/async_signal.hpp"

using namespace chat::client;
using namespace std::chrono_literals;

TEST_CASE("notify wakes every waiter; the deadline wakes one nobody notifies") {
  boost::asio::io_context io;
  AsyncSignal signal(io.get_executor());
  int woken = 0;
  const auto wait = [&](AsyncSignal::Clock::time_point deadline) -> boost::asio::awaitable<void> {
    co_await signal.wait_until(deadline);
    ++woken;
  };
  boost::asio::co_spawn(io, wait(AsyncSignal::Clock::time_point::max()), boost::asio::detached);
  boost::asio::co_spawn(io, wait(AsyncSignal::Clock::time_point::max()), boost::asio::detached);
  io.poll();
  CHECK(woken == 0);
  signal.notify();
  io.poll();
  CHECK(woken == 2);
  boost::asio::co_spawn(io, wait(AsyncSignal::Clock::now() + 1ms), boost::asio::detached);
  io.restart();
  io.run_for(10s);
  CHECK(woken == 3);
}

// The loop's coroutines are destroyed with the io_context, which outlives
// the objects they wait on (the session ended while a prompt was open).
TEST_CASE("a wait still pending when its signal is gone is destroyed safely") {
  auto io = std::make_unique<boost::asio::io_context>();
  auto signal = std::make_unique<AsyncSignal>(io->get_executor());
  bool finished = false;
  boost::asio::co_spawn(
      *io,
      [&]() -> boost::asio::awaitable<void> {
        co_await signal->wait_until(AsyncSignal::Clock::time_point::max());
        finished = true;
      },
      boost::asio::detached);
  io->poll();
  signal.reset();
  io.reset();  // destroys the suspended frame, and its registration with it
  CHECK_FALSE(finished);
}
