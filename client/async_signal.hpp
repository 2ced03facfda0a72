#pragma once

#include <chrono>
#include <memory>
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
// A wait may outlive its signal: coroutines still suspended when the loop
// stops are destroyed with the io_context, after the objects they wait on.
class AsyncSignal {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AsyncSignal(asio::any_io_executor executor)
      : executor_(std::move(executor)), waiters_(std::make_shared<std::vector<asio::steady_timer*>>()) {}
  AsyncSignal(const AsyncSignal&) = delete;
  AsyncSignal& operator=(const AsyncSignal&) = delete;

  // Returns at notify() or at the deadline, whichever comes first.
  asio::awaitable<void> wait_until(Clock::time_point deadline);

  void notify();

 private:
  asio::any_io_executor executor_;
  // Shared with each wait, which unregisters itself from it however it ends.
  std::shared_ptr<std::vector<asio::steady_timer*>> waiters_;
};

}  // namespace chat::client
