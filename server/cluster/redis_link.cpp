#include "server/cluster/redis_link.hpp"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <array>
#include <deque>
#include <mutex>
#include <set>

namespace chat {

namespace asio = boost::asio;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct ReplyDeleter {
  void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

struct ReaderDeleter {
  void operator()(redisReader* reader) const noexcept { redisReaderFree(reader); }
};

std::string format_command(std::initializer_list<std::string_view> words) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto word : words) {
    argv.push_back(word.data());
    lengths.push_back(word.size());
  }
  char* command = nullptr;
  const int length = redisFormatCommandArgv(&command, static_cast<int>(argv.size()), argv.data(), lengths.data());
  if (length < 0) throw std::bad_alloc();
  std::string text(command, static_cast<std::size_t>(length));
  redisFreeCommand(command);
  return text;
}

std::string_view text_of(const redisReply& reply) { return {reply.str, reply.len}; }

}  // namespace

// One connection to Redis: its socket, hiredis's reader of its replies, and when it last heard from Redis.
// Shared by the coroutine that reads it and the handlers that write to it or watch it.
struct RedisConnection {
  explicit RedisConnection(const asio::strand<asio::io_context::executor_type>& strand)
      : socket(strand), resolver(strand), watchdog(strand), reader(redisReaderCreate()) {}

  // The next reply, reading from the socket as needed. Throws boost::system::system_error when the connection
  // fails, std::runtime_error when Redis sends what is no reply.
  asio::awaitable<ReplyPtr> next_reply() {
    for (;;) {
      void* parsed = nullptr;
      if (redisReaderGetReply(reader.get(), &parsed) != REDIS_OK) throw std::runtime_error("malformed reply");
      if (parsed) co_return ReplyPtr(static_cast<redisReply*>(parsed));
      const std::size_t n = co_await socket.async_read_some(asio::buffer(buffer), use_awaitable);
      last_read = Clock::now();
      if (redisReaderFeed(reader.get(), buffer.data(), n) != REDIS_OK) throw std::runtime_error("malformed reply");
    }
  }

  tcp::socket socket;
  tcp::resolver resolver;
  asio::steady_timer watchdog;  // the connect timeout, then the PING rhythm
  bool timed_out = false;
  std::unique_ptr<redisReader, ReaderDeleter> reader;
  Clock::time_point last_read = Clock::now();
  bool ping_writing = false;
  std::array<char, 64 * 1024> buffer{};
};

struct RedisLink::State : std::enable_shared_from_this<RedisLink::State> {
  State(asio::io_context& io, Options options_in, Handlers handlers_in)
      : strand(asio::make_strand(io)), options(std::move(options_in)), handlers(std::move(handlers_in)) {}

  struct Item {
    std::string channel;  // empty for a PING
    std::size_t bytes = 0;
    bool repaired = true;  // reported by Handlers::unpublished when it fails
  };

  asio::strand<asio::io_context::executor_type> strand;
  const Options options;
  const Handlers handlers;

  // Handlers run under it, and stop() takes it: once stop() has it, no handler runs or will.
  std::mutex handler_mutex;
  bool stopped = false;  // handler_mutex; read on the strand too (atomic below)
  std::atomic<bool> stopping{false};

  // The publisher's queue: what publish() added since the last write.
  std::mutex queue_mutex;
  bool publisher_up = false;  // queue_mutex
  std::string queued;         // queue_mutex
  std::vector<Item> queued_items;  // queue_mutex
  bool write_posted = false;  // queue_mutex
  std::set<std::string> missed;  // channels whose publications failed; queue_mutex
  std::size_t unanswered_bytes = 0;  // queue_mutex

  // On the strand only.
  std::shared_ptr<RedisConnection> publisher;
  std::shared_ptr<RedisConnection> subscriber;
  std::deque<Item> in_flight;  // written to the publisher, not yet answered, in order
  std::string writing;         // the buffer of the write in progress
  bool write_in_progress = false;
  bool publish_refusing = false;   // the last answer to a PUBLISH was an error: said once a streak
  bool subscribe_refused = false;  // the last PSUBSCRIBE was refused: said once a streak

  std::atomic<std::uint64_t> published{0}, publish_failures{0}, received{0}, reconnects{0};
  std::atomic<bool> publisher_connected{false}, subscriber_connected{false};

  template <class Call>
  void run_handler(Call&& call) {
    std::lock_guard lock(handler_mutex);
    if (stopped) return;
    try {
      call();
    } catch (const std::exception& e) {
      spdlog::error("redis: a handler failed: {}", e.what());
    }
  }

  // Resolves, connects (both within connect_timeout) and authenticates. false: not connected (logged).
  asio::awaitable<bool> connect(std::shared_ptr<RedisConnection> connection, const char* role, bool quiet) {
    connection->watchdog.expires_after(options.connect_timeout);
    connection->watchdog.async_wait([connection](boost::system::error_code ec) {
      if (ec) return;
      connection->timed_out = true;
      connection->resolver.cancel();
      boost::system::error_code ignored;
      connection->socket.close(ignored);
    });
    std::string why;
    try {
      const auto endpoints = co_await connection->resolver.async_resolve(
          options.url.host, std::to_string(options.url.port), use_awaitable);
      co_await asio::async_connect(connection->socket, endpoints, use_awaitable);
      connection->socket.set_option(tcp::no_delay(true));
      connection->socket.set_option(asio::socket_base::keep_alive(true));
      if (!options.url.password.empty()) {
        const std::string auth = options.url.user.empty()
                                     ? format_command({"AUTH", options.url.password})
                                     : format_command({"AUTH", options.url.user, options.url.password});
        co_await asio::async_write(connection->socket, asio::buffer(auth), use_awaitable);
        const auto reply = co_await connection->next_reply();
        if (reply->type == REDIS_REPLY_ERROR) why = "AUTH refused: " + std::string(text_of(*reply));
      }
    } catch (const std::exception& e) {
      why = e.what();
    }
    connection->watchdog.cancel();
    if (connection->timed_out) why = "no answer within " + std::to_string(options.connect_timeout.count()) + " ms";
    if (why.empty()) co_return true;
    boost::system::error_code ignored;
    connection->socket.close(ignored);
    if (!quiet) spdlog::warn("redis: {} cannot connect to {}: {}", role, describe_redis(options.url), why);
    co_return false;
  }

  asio::awaitable<void> wait(std::chrono::milliseconds delay) {
    asio::steady_timer timer(strand, delay);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ignored));
  }

  // Every ping_interval: a PING, unless one is being written; a connection that answered nothing for three
  // intervals is closed (its reader then fails and reconnects).
  void watch(const std::shared_ptr<RedisConnection>& connection, bool counts_as_publication) {
    connection->watchdog.expires_after(options.ping_interval);
    connection->watchdog.async_wait([self = shared_from_this(), connection,
                                     counts_as_publication](boost::system::error_code ec) {
      if (ec || !connection->socket.is_open()) return;
      if (Clock::now() - connection->last_read > 3 * self->options.ping_interval) {
        spdlog::warn("redis: {} silent for {} ms: reconnecting", counts_as_publication ? "publisher" : "subscriber",
                     std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - connection->last_read).count());
        boost::system::error_code ignored;
        connection->socket.close(ignored);
        return;
      }
      if (counts_as_publication) {
        self->enqueue_ping();
        self->report_missed();
      } else if (!connection->ping_writing) {
        connection->ping_writing = true;
        static const std::string ping = format_command({"PING"});
        asio::async_write(connection->socket, asio::buffer(ping),
                          [connection](boost::system::error_code, std::size_t) { connection->ping_writing = false; });
      }
      self->watch(connection, counts_as_publication);
    });
  }

  // --- publisher ---
  // Channels whose publications failed while the connection stayed up (too much unanswered, or refused by
  // Redis): reported on the PING rhythm, as those lost to a reconnection are after it.
  void report_missed() {
    std::vector<std::string> channels;
    {
      std::lock_guard lock(queue_mutex);
      if (!publisher_up || missed.empty()) return;
      channels.assign(std::make_move_iterator(missed.begin()), std::make_move_iterator(missed.end()));
      missed.clear();
    }
    run_handler([&] { handlers.unpublished(std::move(channels)); });
  }

  void enqueue_ping() {
    static const std::string ping = format_command({"PING"});
    std::lock_guard lock(queue_mutex);
    if (!publisher_up) return;
    queued += ping;
    queued_items.push_back(Item{{}, ping.size()});
    unanswered_bytes += ping.size();
    schedule_write_locked();
  }

  void schedule_write_locked() {
    if (std::exchange(write_posted, true)) return;
    asio::post(strand, [self = shared_from_this()] { self->start_write(); });
  }

  // On the strand: writes what is queued, unless a write is in progress (its completion writes the rest).
  void start_write() {
    if (write_in_progress || !publisher || !publisher->socket.is_open()) {
      std::lock_guard lock(queue_mutex);
      write_posted = false;
      return;
    }
    {
      std::lock_guard lock(queue_mutex);
      write_posted = false;
      if (queued.empty()) return;
      writing.swap(queued);
      queued.clear();
      for (auto& item : queued_items) in_flight.push_back(std::move(item));
      queued_items.clear();
    }
    write_in_progress = true;
    asio::async_write(publisher->socket, asio::buffer(writing),
                      [self = shared_from_this(), connection = publisher](boost::system::error_code ec, std::size_t) {
                        self->write_in_progress = false;
                        self->writing.clear();
                        if (ec) {
                          boost::system::error_code ignored;
                          connection->socket.close(ignored);  // its reader fails and accounts for what was lost
                        }
                        // Also after a reconnection: what the new connection queued meanwhile waits for this.
                        if (!self->stopping) self->start_write();
                      });
  }

  bool publish(std::string_view channel, std::string_view payload, bool repaired) {
    std::string command = format_command({"PUBLISH", channel, payload});
    std::lock_guard lock(queue_mutex);
    if (!publisher_up || unanswered_bytes + command.size() > options.max_unanswered_bytes) {
      publish_failures.fetch_add(1, std::memory_order_relaxed);
      if (repaired) missed.emplace(channel);
      return false;
    }
    queued += command;
    queued_items.push_back(Item{std::string(channel), command.size(), repaired});
    unanswered_bytes += command.size();
    schedule_write_locked();
    return true;
  }

  // The publisher connection broke: whatever it had not had answered failed.
  void publisher_lost() {
    std::lock_guard lock(queue_mutex);
    publisher_up = false;
    publisher_connected = false;
    std::uint64_t lost = 0;
    const auto account = [&](Item& item) {
      if (item.channel.empty()) return;
      ++lost;
      if (item.repaired) missed.insert(std::move(item.channel));
    };
    for (auto& item : in_flight) account(item);
    for (auto& item : queued_items) account(item);
    in_flight.clear();
    queued_items.clear();
    queued.clear();
    unanswered_bytes = 0;
    publish_failures.fetch_add(lost, std::memory_order_relaxed);
  }

  // How a connection loop gets its next connection: at once, then after a doubling delay; only the first failure
  // of a streak is logged at warn.
  struct Reconnection {
    const char* role;
    std::chrono::milliseconds delay;
    bool ever = false;   // a connection was made before: the next one counts as a reconnection
    bool quiet = false;  // the streak's first failure was logged
  };

  // The next connection into `slot` (publisher or subscriber), or null once stopping.
  asio::awaitable<std::shared_ptr<RedisConnection>> next_connection(std::shared_ptr<RedisConnection>& slot,
                                                                    Reconnection& state) {
    while (!stopping) {
      auto connection = std::make_shared<RedisConnection>(strand);
      slot = connection;
      const bool connected = co_await connect(connection, state.role, state.quiet);
      if (stopping) break;
      if (!connected) {
        state.quiet = true;
        co_await wait(state.delay);
        state.delay = std::min(state.delay * 2, options.reconnect_max);
        continue;
      }
      if (state.ever) reconnects.fetch_add(1, std::memory_order_relaxed);
      if (state.quiet) spdlog::info("redis: {} connected to {} again", state.role, describe_redis(options.url));
      state.ever = true;
      state.quiet = false;
      state.delay = options.reconnect_min;
      co_return connection;
    }
    co_return nullptr;
  }

  asio::awaitable<void> run_publisher() {
    auto self = shared_from_this();
    Reconnection reconnection{"publisher", options.reconnect_min};
    for (;;) {
      const auto connection = co_await next_connection(publisher, reconnection);
      if (!connection) break;
      std::vector<std::string> missed_channels;
      {
        std::lock_guard lock(queue_mutex);
        publisher_up = true;
        publisher_connected = true;
        missed_channels.assign(std::make_move_iterator(missed.begin()), std::make_move_iterator(missed.end()));
        missed.clear();
      }
      if (!missed_channels.empty()) run_handler([&] { handlers.unpublished(std::move(missed_channels)); });
      watch(connection, true);
      try {
        for (;;) {
          const auto reply = co_await connection->next_reply();
          if (in_flight.empty()) throw std::runtime_error("a reply to no command");
          Item item = std::move(in_flight.front());
          in_flight.pop_front();
          {
            std::lock_guard lock(queue_mutex);
            unanswered_bytes -= item.bytes;
          }
          if (item.channel.empty()) continue;  // PING
          if (reply->type == REDIS_REPLY_ERROR) {
            // Once a streak: a Redis that refuses (an ACL, out of memory) refuses every publication.
            if (!publish_refusing) spdlog::warn("redis: PUBLISH refused: {}", text_of(*reply));
            publish_refusing = true;
            std::lock_guard lock(queue_mutex);
            publish_failures.fetch_add(1, std::memory_order_relaxed);
            if (item.repaired) missed.insert(std::move(item.channel));
            continue;
          }
          publish_refusing = false;
          published.fetch_add(1, std::memory_order_relaxed);
        }
      } catch (const std::exception& e) {
        if (!stopping) spdlog::warn("redis: publisher connection to {} lost: {}", describe_redis(options.url), e.what());
      }
      boost::system::error_code ignored;
      connection->socket.close(ignored);
      connection->watchdog.cancel();
      publisher_lost();
    }
  }

  // --- subscriber ---
  asio::awaitable<void> run_subscriber() {
    auto self = shared_from_this();
    Reconnection reconnection{"subscriber", options.reconnect_min};
    auto refused_delay = options.reconnect_min;  // after a refused PSUBSCRIBE: the connection itself succeeds
    for (;;) {
      if (subscribe_refused) {
        co_await wait(refused_delay);
        refused_delay = std::min(refused_delay * 2, options.reconnect_max);
        if (stopping) break;
      } else {
        refused_delay = options.reconnect_min;
      }
      const auto connection = co_await next_connection(subscriber, reconnection);
      if (!connection) break;
      try {
        const std::string subscribe = format_command({"PSUBSCRIBE", options.pattern});
        co_await asio::async_write(connection->socket, asio::buffer(subscribe), use_awaitable);
        watch(connection, false);
        for (;;) {
          const auto reply = co_await connection->next_reply();
          if (reply->type == REDIS_REPLY_ERROR && !subscriber_connected) {
            // An ACL without the pattern, say: this node would hear nothing. Said once a streak; the
            // subscription is tried again with the reconnection's delay.
            if (!subscribe_refused) {
              spdlog::error("redis: PSUBSCRIBE {} refused: {}; this node hears nothing from the others until it is "
                            "allowed (docs/scale-out.md)",
                            options.pattern, text_of(*reply));
            }
            subscribe_refused = true;
            throw std::runtime_error("PSUBSCRIBE refused");
          }
          if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) continue;  // e.g. a PING's answer
          const std::string_view kind = text_of(*reply->element[0]);
          if (kind == "pmessage" && reply->elements == 4) {
            received.fetch_add(1, std::memory_order_relaxed);
            run_handler([&] { handlers.message(text_of(*reply->element[2]), text_of(*reply->element[3])); });
          } else if (kind == "psubscribe") {
            subscribe_refused = false;
            subscriber_connected = true;
            run_handler([&] { handlers.subscribed(); });
          }
        }
      } catch (const std::exception& e) {
        if (!stopping && !subscribe_refused) {
          spdlog::warn("redis: subscriber connection to {} lost: {}", describe_redis(options.url), e.what());
        }
      }
      subscriber_connected = false;
      boost::system::error_code ignored;
      connection->socket.close(ignored);
      connection->watchdog.cancel();
    }
  }

  void close_all() {
    for (auto* connection : {&publisher, &subscriber}) {
      if (!*connection) continue;
      boost::system::error_code ignored;
      (*connection)->resolver.cancel();
      (*connection)->socket.close(ignored);
      (*connection)->watchdog.cancel();
    }
  }
};

RedisLink::RedisLink(asio::io_context& io, Options options, Handlers handlers)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handlers))) {}

RedisLink::~RedisLink() { stop(); }

void RedisLink::start() {
  const auto log_failure = [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("redis: connection loop failed: {}", e.what());
    }
  };
  asio::co_spawn(state_->strand, state_->run_publisher(), log_failure);
  asio::co_spawn(state_->strand, state_->run_subscriber(), log_failure);
}

void RedisLink::stop() {
  {
    std::lock_guard lock(state_->handler_mutex);
    if (state_->stopped) return;
    state_->stopped = true;
  }
  state_->stopping = true;
  {
    std::lock_guard lock(state_->queue_mutex);
    state_->publisher_up = false;
  }
  asio::post(state_->strand, [state = state_] { state->close_all(); });
}

bool RedisLink::publish(std::string_view channel, std::string_view payload, bool repaired) {
  return state_->publish(channel, payload, repaired);
}

RedisLink::Stats RedisLink::stats() const {
  Stats stats;
  stats.published = state_->published.load(std::memory_order_relaxed);
  stats.publish_failures = state_->publish_failures.load(std::memory_order_relaxed);
  stats.received = state_->received.load(std::memory_order_relaxed);
  stats.reconnects = state_->reconnects.load(std::memory_order_relaxed);
  stats.publisher_connected = state_->publisher_connected.load();
  stats.subscriber_connected = state_->subscriber_connected.load();
  return stats;
}

}  // namespace chat
