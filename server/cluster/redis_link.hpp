#pragma once

#include <utility>  // before asio's awaitable.hpp (Boost 1.74 under g++ 12)

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio.hpp>

#include "server/cluster/redis_url.hpp"

namespace chat {

// A node's two connections to Redis, driven by Asio on one strand (no thread of their own), Redis's replies
// parsed by hiredis's reader:
//   - the publisher: PUBLISH commands, pipelined; a publication is not queued while the connection is down
//     (it would arrive late and be repaired anyway): it fails, is counted, and its channel is reported by
//     Handlers::unpublished once the connection is back, with the channels of the publications that were in
//     flight when it broke;
//   - the subscriber: PSUBSCRIBE to one pattern; each message goes to Handlers::message; each time the
//     subscription is made (first, and after every reconnection) Handlers::subscribed runs, so that the
//     owner repairs what it missed meanwhile. A PING every ping_interval checks a connection that carries
//     nothing; one silent for three intervals is dropped and made again.
// Both reconnect by themselves with a doubling delay (reconnect_min to reconnect_max).
//
// Thread-safety: publish(), stats() and stop() from any thread. Handlers run on the link's strand, one at a
// time, never after stop() has returned.
class RedisLink {
 public:
  struct Options {
    RedisUrl url;
    std::string pattern;  // PSUBSCRIBE pattern: "chat:*"
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds reconnect_min{100};
    std::chrono::milliseconds reconnect_max{2000};
    std::chrono::milliseconds ping_interval{5000};
    // Bytes written to Redis but not yet answered, or waiting to be written: beyond it a publication fails
    // (Redis is too slow to take what this node publishes).
    std::size_t max_unanswered_bytes = 32 * 1024 * 1024;
  };
  struct Handlers {
    std::function<void(std::string_view channel, std::string_view payload)> message;
    std::function<void()> subscribed;
    std::function<void(std::vector<std::string> channels)> unpublished;
  };
  struct Stats {
    std::uint64_t published = 0;         // answered by Redis
    std::uint64_t publish_failures = 0;  // refused while down or full, or lost in flight
    std::uint64_t received = 0;          // messages from the subscription
    std::uint64_t reconnects = 0;        // connections made again after one was lost (both kinds)
    bool publisher_connected = false;
    bool subscriber_connected = false;   // and subscribed
  };

  RedisLink(boost::asio::io_context& io, Options options, Handlers handlers);
  ~RedisLink();  // stops
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  // Connects both; returns at once.
  void start();
  // Closes both connections; no handler runs once it returns. Idempotent.
  void stop();

  // Publishes `payload` on `channel`. false: not sent (down, or too much unanswered); counted as a failure and,
  // when `repaired`, reported by Handlers::unpublished after the next connection (a publication that the next
  // one makes good anyway, such as a periodic report, is not).
  bool publish(std::string_view channel, std::string_view payload, bool repaired = true);

  Stats stats() const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the connections' coroutines, which may outlive this object
};

}  // namespace chat
