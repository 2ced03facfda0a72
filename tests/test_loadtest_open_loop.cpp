// The open-loop generator's schedule, driven against stand-in senders: no
// server, no timing assertions (only what was sent and what was counted).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "loadtest/clock.hpp"
#include "loadtest/message_sender.hpp"
#include "loadtest/open_loop_sender.hpp"

using namespace chat::loadtest;

namespace {

struct StandInSender final : MessageSender {
  bool is_ready = false;
  std::vector<std::uint64_t> sends;
  bool ready() const noexcept override { return is_ready; }
  void send_message(std::uint64_t send_us) override { sends.push_back(send_us); }
};

constexpr MeasureWindow kAlways{0, std::numeric_limits<std::uint64_t>::max()};
constexpr auto kPatience = std::chrono::seconds(10);

// Runs handlers until done() or the bound; false when the bound came first
// or nothing was left to run (the generator had stopped).
template <typename Done>
bool run_until(boost::asio::io_context& io, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline || io.run_one_for(kPatience) == 0) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("open loop: a moment without a ready sender costs its slots, not the rest of the run") {
  boost::asio::io_context io;
  RunStats stats;
  StandInSender a, b;
  OpenLoopSender generator(io, {&a, &b}, 1000.0, stats, kAlways);
  // Started 20 ms ago: about 20 slots are due at once, and nobody is ready.
  generator.start(now_us() - 20'000);
  REQUIRE(run_until(io, [&] { return stats.missed_slots >= 20; }));
  CHECK(a.sends.empty());
  CHECK(b.sends.empty());

  // A sender comes back: the generator is still on its schedule and uses it.
  a.is_ready = true;
  CHECK(run_until(io, [&] { return a.sends.size() >= 3; }));
  CHECK(b.sends.empty());
  const auto missed = stats.missed_slots;
  CHECK(missed >= 20);
  CHECK(stats.send_lag_us.count() == a.sends.size());  // only slots actually sent have a lag

  // Both ready: slots are dealt in turn.
  b.is_ready = true;
  CHECK(run_until(io, [&] { return b.sends.size() >= 3; }));
  CHECK(stats.missed_slots == missed);
  generator.stop();
}

TEST_CASE("open loop: a slot whose sender is not ready goes to the next ready one") {
  boost::asio::io_context io;
  RunStats stats;
  StandInSender a, b, c;
  b.is_ready = true;
  OpenLoopSender generator(io, {&a, &b, &c}, 1000.0, stats, kAlways);
  generator.start(now_us() - 10'000);
  REQUIRE(run_until(io, [&] { return b.sends.size() >= 10; }));
  CHECK(a.sends.empty());
  CHECK(c.sends.empty());
  CHECK(stats.missed_slots == 0);
  generator.stop();
}
