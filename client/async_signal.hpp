#pragma once

#include <chrono>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace chat::client {

namespace asio = boost::asio;

// Wakes the coroutines waiting for "something changed" (a reply arrived, a
// line was printed, the session state moved). Waiters re-check their own
// condition after waking, so a wake-up carries no data and spurious ones are
// harmless. Single-threaded: used only on the client's one io_context.
class AsyncSignal {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AsyncSignal(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  AsyncSignal(const AsyncSignal&) = delete;
  AsyncSignal& operator=(const AsyncSignal&) = delete;

  // Returns at notify() or at the deadline, whichever comes first.
  asio::awaitable<void> wait_until(Clock::time_point deadline);

  void notify();

 private:
  asio::any_io_executor executor_;
  std::vector<asio::steady_timer*> waiters_;
};

}  // namespace chat::client
