#include "server/storage/connection_pool.hpp"

#include <algorithm>

namespace chat {

ConnectionPool::ConnectionPool(const StoreOptions& options, std::size_t size) {
  const std::size_t count = std::max<std::size_t>(size, 1);
  idle_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    idle_.push_back(std::make_unique<Connection>(options, Connection::Mode::read_only));
  }
}

ConnectionPool::Lease ConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [this] { return !idle_.empty(); });
  auto connection = std::move(idle_.back());
  idle_.pop_back();
  return Lease(*this, std::move(connection));
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) noexcept {
  {
    std::lock_guard lock(mutex_);
    // Capacity was reserved for every connection, so this push_back cannot allocate (or throw).
    idle_.push_back(std::move(connection));
  }
  available_.notify_one();
}

}  // namespace chat
