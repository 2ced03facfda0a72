#pragma once
// A fixed set of read-only connections handed out one caller at a time. Internal to the storage layer.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "server/storage/connection.hpp"

namespace chat {

// Thread-safe. In WAL mode readers never wait for the writer, so the pool size bounds only how many
// reads run at once; a caller finding every connection busy waits for one to be returned.
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

  // Opens `size` (at least 1) read-only connections; the database must already exist in WAL mode.
  ConnectionPool(const StoreOptions& options, std::size_t size);

  // Blocks until a connection is free.
  Lease acquire();

 private:
  void release(std::unique_ptr<Connection> connection) noexcept;

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace chat
