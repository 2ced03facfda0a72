#pragma once
// A fixed set of database connections handed out one caller at a time (SQLite's read-only readers,
// PostgreSQL's connections). Internal to the storage layer.

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace chat {

// Thread-safe. The pool size bounds how many operations run at once; a caller finding every connection busy
// waits for one to be returned.
template <typename Connection>
class ConnectionPool {
 public:
  // Returns its connection to the pool when destroyed. Must not outlive the pool.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection) noexcept
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_->release(std::move(connection_)); }

    Connection& operator*() const noexcept { return *connection_; }
    Connection* operator->() const noexcept { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // Opens `size` (at least 1) connections with open(), which returns a std::unique_ptr<Connection> or throws.
  template <typename Open>
  ConnectionPool(std::size_t size, Open&& open) {
    const std::size_t count = std::max<std::size_t>(size, 1);
    idle_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) idle_.push_back(open());
  }

  // Blocks until a connection is free.
  Lease acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(connection));
  }

 private:
  void release(std::unique_ptr<Connection> connection) noexcept {
    {
      std::lock_guard lock(mutex_);
      // Capacity was reserved for every connection, so this push_back cannot allocate (or throw).
      idle_.push_back(std::move(connection));
    }
    available_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace chat
