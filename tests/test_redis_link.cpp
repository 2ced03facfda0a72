// RedisLink against a real redis-server on 127.0.0.1: publications reach every subscribed link, a lost
// connection is made again by itself, and what could not be published is reported once Redis is back.
#include <doctest/doctest.h>

#include <utility>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "server/cluster/redis_link.hpp"
#include "server/cluster/redis_url.hpp"
#include "tests/support/loopback_socket.hpp"
#include "tests/support/redis_process.hpp"
#include "tests/test_sync.hpp"

using namespace std::chrono_literals;
using chat::RedisLink;
using chat::test::RedisProcess;

namespace {

// What a link's handlers saw, and a way to wait for it.
struct Observed {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<std::string, std::string>> messages;
  int subscriptions = 0;
  std::vector<std::string> unpublished;

  bool wait_for(const std::function<bool()>& done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, chat::test::kPatience, done);
  }
};

// A link on its own io thread, as a node has one.
struct LinkUnderTest {
  LinkUnderTest(std::uint16_t port, Observed& observed) {
    RedisLink::Options options;
    options.url = chat::RedisUrl{"127.0.0.1", port, {}, {}};
    options.pattern = "test:*";
    options.reconnect_min = 20ms;
    options.reconnect_max = 200ms;
    options.ping_interval = 200ms;
    RedisLink::Handlers handlers;
    handlers.message = [&observed](std::string_view channel, std::string_view payload) {
      std::lock_guard lock(observed.mutex);
      observed.messages.emplace_back(channel, payload);
      observed.changed.notify_all();
    };
    handlers.subscribed = [&observed] {
      std::lock_guard lock(observed.mutex);
      ++observed.subscriptions;
      observed.changed.notify_all();
    };
    handlers.unpublished = [&observed](std::vector<std::string> channels) {
      std::lock_guard lock(observed.mutex);
      observed.unpublished.insert(observed.unpublished.end(), channels.begin(), channels.end());
      observed.changed.notify_all();
    };
    link = std::make_unique<RedisLink>(io, options, handlers);
    link->start();
    thread = std::thread([this] { io.run(); });
  }
  ~LinkUnderTest() {
    link->stop();
    work.reset();
    io.stop();
    thread.join();
  }
  // Publishes until it is taken (the publisher connects in the background).
  bool publish_when_up(const std::string& channel, const std::string& payload) {
    for (int i = 0; i < 200; ++i) {
      if (link->stats().publisher_connected && link->publish(channel, payload)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::unique_ptr<RedisLink> link;
  std::thread thread;
};


}  // namespace

TEST_CASE("parse_redis_url: host, port, credentials; errors never quote the password") {
  auto url = chat::parse_redis_url("redis://127.0.0.1:6380");
  REQUIRE(url);
  CHECK(url->host == "127.0.0.1");
  CHECK(url->port == 6380);
  CHECK(url->password.empty());
  url = chat::parse_redis_url("redis://chat:s3cret@redis.internal/0");
  REQUIRE(url);
  CHECK(url->host == "redis.internal");
  CHECK(url->port == 6379);
  CHECK(url->user == "chat");
  CHECK(url->password == "s3cret");
  CHECK(chat::describe_redis(*url) == "redis.internal:6379");
  url = chat::parse_redis_url("redis://:only@[::1]:7000");
  REQUIRE(url);
  CHECK(url->host == "::1");
  CHECK(url->port == 7000);
  CHECK(url->user.empty());
  CHECK(url->password == "only");
  CHECK(chat::describe_redis(*url) == "[::1]:7000");
  for (const char* bad : {"http://x", "redis://", "redis://h:0", "redis://h:70000", "redis://h:12x",
                          "redis://:pw@h/db", "redis://[::1"}) {
    std::string error;
    CHECK_MESSAGE(!chat::parse_redis_url(bad, &error), bad);
    CHECK(!error.empty());
    CHECK(error.find("pw") == std::string::npos);
  }
}

TEST_CASE("RedisLink: a publication reaches every subscribed link, in order") {
  RedisProcess redis;
  Observed a_seen, b_seen;
  LinkUnderTest a(redis.port(), a_seen), b(redis.port(), b_seen);
  REQUIRE(a_seen.wait_for([&] { return a_seen.subscriptions == 1; }));
  REQUIRE(b_seen.wait_for([&] { return b_seen.subscriptions == 1; }));

  REQUIRE(a.publish_when_up("test:room", "first"));
  for (int i = 0; i < 100; ++i) REQUIRE(a.link->publish("test:room", std::to_string(i)));
  REQUIRE(a.link->publish("other:room", "not subscribed"));
  REQUIRE(a.link->publish("test:end", std::string(100'000, 'x')));  // a payload larger than one read
  for (Observed* seen : {&a_seen, &b_seen}) {
    REQUIRE(seen->wait_for([&] { return seen->messages.size() == 102; }));
    std::lock_guard lock(seen->mutex);
    CHECK(seen->messages[0] == std::pair<std::string, std::string>("test:room", "first"));
    for (int i = 0; i < 100; ++i) CHECK(seen->messages[1 + i].second == std::to_string(i));
    CHECK(seen->messages[101].first == "test:end");
    CHECK(seen->messages[101].second.size() == 100'000);
  }
  CHECK(a_seen.wait_for([&] { return a.link->stats().published == 103; }));
  const auto stats = b.link->stats();
  CHECK(stats.received == 102);
  CHECK(stats.publish_failures == 0);
  CHECK(stats.subscriber_connected);
}

TEST_CASE("RedisLink: Redis restarted — both connections come back, the subscription is made again, and "
          "what could not be published is reported") {
  RedisProcess redis;
  Observed seen;
  LinkUnderTest link(redis.port(), seen);
  REQUIRE(seen.wait_for([&] { return seen.subscriptions == 1; }));
  REQUIRE(link.publish_when_up("test:a", "before"));
  REQUIRE(seen.wait_for([&] { return seen.messages.size() == 1; }));

  redis.kill();
  // Until the link notices, a publication may still be taken and then lost in flight; after, it is refused.
  bool refused = false;
  for (int i = 0; i < 500 && !refused; ++i) {
    refused = !link.link->publish("test:a", "while down " + std::to_string(i));
    if (!refused) std::this_thread::sleep_for(10ms);
  }
  CHECK(refused);
  CHECK(link.link->publish("test:b", "refused too") == false);
  CHECK(link.link->stats().publish_failures >= 2);
  CHECK_FALSE(link.link->stats().publisher_connected);

  redis.restart();
  REQUIRE(seen.wait_for([&] { return seen.subscriptions == 2; }));
  REQUIRE(seen.wait_for([&] { return seen.unpublished.size() >= 2; }));
  {
    std::lock_guard lock(seen.mutex);
    std::sort(seen.unpublished.begin(), seen.unpublished.end());
    CHECK(seen.unpublished == std::vector<std::string>{"test:a", "test:b"});  // each channel once
  }
  REQUIRE(link.publish_when_up("test:a", "after"));
  REQUIRE(seen.wait_for([&] { return seen.messages.size() >= 2 && seen.messages.back().second == "after"; }));
  CHECK(link.link->stats().reconnects >= 2);
}

TEST_CASE("RedisLink: Redis unreachable — publications fail at once, counted, nothing blocks") {
  const std::uint16_t port = chat::test::free_port();  // nobody listens there
  Observed seen;
  LinkUnderTest link(port, seen);
  std::this_thread::sleep_for(100ms);
  for (int i = 0; i < 10; ++i) CHECK_FALSE(link.link->publish("test:x", "lost"));
  const auto stats = link.link->stats();
  CHECK(stats.publish_failures == 10);
  CHECK_FALSE(stats.publisher_connected);
  CHECK_FALSE(stats.subscriber_connected);
  std::lock_guard lock(seen.mutex);
  CHECK(seen.subscriptions == 0);
}

TEST_CASE("RedisLink: stop() while connected and while reconnecting returns, and no handler runs after it") {
  RedisProcess redis;
  Observed stopped_seen, publisher_seen;
  LinkUnderTest stopped(redis.port(), stopped_seen);
  LinkUnderTest publisher(redis.port(), publisher_seen);
  REQUIRE(stopped_seen.wait_for([&] { return stopped_seen.subscriptions == 1; }));
  REQUIRE(publisher_seen.wait_for([&] { return publisher_seen.subscriptions == 1; }));
  stopped.link->stop();
  stopped.link->stop();  // idempotent
  CHECK_FALSE(stopped.link->publish("test:a", "after stop"));
  // Publications keep reaching a live subscriber, and none reaches the stopped link's handler.
  REQUIRE(publisher.publish_when_up("test:a", "one"));
  REQUIRE(publisher.publish_when_up("test:a", "two"));
  REQUIRE(publisher_seen.wait_for([&] { return publisher_seen.messages.size() == 2; }));
  std::this_thread::sleep_for(200ms);
  {
    std::lock_guard lock(stopped_seen.mutex);
    CHECK(stopped_seen.messages.empty());
    CHECK(stopped_seen.subscriptions == 1);
  }

  // While reconnecting (Redis gone): stop() returns at once, and Redis coming back wakes no handler.
  Observed down_seen;
  LinkUnderTest down(redis.port(), down_seen);
  REQUIRE(down_seen.wait_for([&] { return down_seen.subscriptions == 1; }));
  redis.kill();
  std::this_thread::sleep_for(100ms);
  const auto before = std::chrono::steady_clock::now();
  down.link->stop();
  CHECK(std::chrono::steady_clock::now() - before < 1s);
  redis.restart();
  std::this_thread::sleep_for(500ms);  // longer than the reconnection delay
  std::lock_guard lock(down_seen.mutex);
  CHECK(down_seen.subscriptions == 1);
  CHECK(down_seen.unpublished.empty());
}
