#pragma once

#include <string>
#include <utility>

#include "server/net/connection_limiter.hpp"

namespace chat {

// One HTTP connection's place under the listener's limits (http.max_connections, http.max_connections_per_ip),
// taken at accept and given back when the connection's coroutine ends, however it ends (its destruction with
// the io_context included): a handoff to the chat side (GET /ws) leaves the count that way too. Move-only;
// used on the HTTP thread, while the limiter itself is thread-safe (stats are read from elsewhere).
class HttpConnectionSlot {
 public:
  // `address` was admitted by limiter.try_admit().
  HttpConnectionSlot(ConnectionLimiter& limiter, std::string address)
      : limiter_(&limiter), address_(std::move(address)) {}
  ~HttpConnectionSlot() {
    if (limiter_) limiter_->release(address_);
  }
  HttpConnectionSlot(HttpConnectionSlot&& other) noexcept
      : limiter_(std::exchange(other.limiter_, nullptr)), address_(std::move(other.address_)) {}
  HttpConnectionSlot& operator=(HttpConnectionSlot&&) = delete;
  HttpConnectionSlot(const HttpConnectionSlot&) = delete;
  HttpConnectionSlot& operator=(const HttpConnectionSlot&) = delete;

 private:
  ConnectionLimiter* limiter_;
  std::string address_;
};

}  // namespace chat
