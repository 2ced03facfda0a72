#include "client/async_signal.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace chat::client {

asio::awaitable<void> AsyncSignal::wait_until(Clock::time_point deadline) {
  asio::steady_timer timer(executor_, deadline);
  waiters_->push_back(&timer);
  // Unregisters even when the coroutine frame is destroyed mid-wait (shutdown),
  // which may be after the signal itself is gone: it holds the list alive.
  struct Unregister {
    std::shared_ptr<std::vector<asio::steady_timer*>> waiters;
    asio::steady_timer* timer;
    ~Unregister() { std::erase(*waiters, timer); }
  } unregister{waiters_, &timer};
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

void AsyncSignal::notify() {
  for (auto* timer : *waiters_) timer->cancel();
}

}  // namespace chat::client
