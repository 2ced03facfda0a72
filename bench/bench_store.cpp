// Messages committed per second: group commit vs one transaction per message, on SQLite with synchronous
// NORMAL and FULL, and on PostgreSQL. Run by hand (see docs/benchmarks.md). The SQLite database lives under
// $BENCH_STORE_DIR, default the system temporary directory: point it at the disk the server will use, since
// FULL pays one fsync per commit. The PostgreSQL runs need $BENCH_POSTGRES_URL, a server reachable there and
// a database of their own (each run empties it); without it they are skipped.
//
// Producers are closed-loop, like clients waiting for their acknowledgement: each keeps `window` messages in
// flight (1 = send, wait for the ack, send the next). With one transaction per message, producers queue on the
// write mutex; with group commit, whatever they sent while a flush was running shares the next transaction.

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/storage/group_committer.hpp"
#include "server/storage/postgres_connection.hpp"
#include "server/storage/postgres_store.hpp"
#include "server/storage/sqlite_store.hpp"

namespace {

using chat::GroupCommitter;
using chat::MessageRecord;
using chat::Store;
using chat::StoreOptions;

// The `store` argument: SQLite with synchronous NORMAL, with FULL, or PostgreSQL (its own settings: by default
// synchronous_commit on, one WAL flush per commit, as FULL).
const char* const store_names[] = {"sqlite NORMAL", "sqlite FULL", "postgres"};
const char* const sync_modes[] = {"NORMAL", "FULL"};

const char* postgres_url() { return std::getenv("BENCH_POSTGRES_URL"); }

// Drops what an earlier run left, so every run starts on empty tables.
void empty_postgres(const std::string& url) {
  chat::PostgresConnection connection(url);
  connection.exec("DROP TABLE IF EXISTS messages, direct_messages, memberships, bans, invites, rooms, users, runs,"
                  " chat_schema");
}

class BenchDir {
 public:
  BenchDir() {
    const char* root = std::getenv("BENCH_STORE_DIR");
    std::string pattern =
        ((root ? std::filesystem::path(root) : std::filesystem::temp_directory_path()) / "bench-store-XXXXXX")
            .string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + pattern);
    path_ = pattern;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path db() const { return path_ / "bench.db"; }

 private:
  std::filesystem::path path_;
};

// Stand-in for the worker pool's "storage" class: one thread running flushes.
class Flusher {
 public:
  Flusher() : thread_([this] { loop(); }) {}
  ~Flusher() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_one();
    thread_.join();
  }
  GroupCommitter::Schedule schedule() {
    return [this](std::function<void()> task) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return false;
        tasks_.push_back(std::move(task));
      }
      ready_.notify_one();
      return true;
    };
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

// Counts a producer's messages in flight, so it can wait for room in its window.
class Window {
 public:
  explicit Window(int size) : size_(size) {}
  void acquire() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return in_flight_ < size_; });
    ++in_flight_;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      --in_flight_;
    }
    changed_.notify_all();
  }
  void wait_empty() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return in_flight_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int in_flight_ = 0;
  const int size_;
};

std::unique_ptr<Store> open_store(int kind, const BenchDir& dir) {
  if (kind == 2) {
    empty_postgres(postgres_url());
    return std::make_unique<chat::PostgresStore>(postgres_url(), 2);
  }
  return std::make_unique<chat::SqliteStore>(StoreOptions{dir.db(), sync_modes[kind], 5000, 2});
}

struct Setup {
  BenchDir dir;
  std::unique_ptr<Store> opened;
  Store& store;
  std::vector<std::int64_t> next_seq;

  Setup(int kind, int producers)
      : opened(open_store(kind, dir)), store(*opened), next_seq(static_cast<std::size_t>(producers), 1) {
    for (int p = 0; p < producers; ++p) store.create_room({room(p), false, "", "bench", 0, 0});
  }
  static std::string room(int p) { return "room" + std::to_string(p); }
  MessageRecord next(int p) {
    const auto seq = next_seq[static_cast<std::size_t>(p)]++;  // only the timestamp: the store gives seqs
    return MessageRecord{room(p), seq, "user" + std::to_string(p), p + 1, seq,
                         "a chat line of a typical length, around eighty bytes of text in all", std::nullopt};
  }
};

std::int64_t messages_per_iteration(int kind) { return kind == 0 ? 20'000 : 2'000; }

// False (and the run skipped) for PostgreSQL without $BENCH_POSTGRES_URL.
bool available(benchmark::State& state, int kind) {
  if (kind != 2 || postgres_url() != nullptr) return true;
  state.SkipWithError("set BENCH_POSTGRES_URL to run the PostgreSQL store");
  return false;
}

// Args: producers, store (0 SQLite NORMAL, 1 SQLite FULL, 2 PostgreSQL), window.
void BM_GroupCommit(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  const int sync = static_cast<int>(state.range(1));
  const int window_size = static_cast<int>(state.range(2));
  if (!available(state, sync)) return;
  Setup setup(sync, producers);
  Flusher flusher;
  GroupCommitter committer(setup.store, flusher.schedule());
  const std::int64_t per_producer = messages_per_iteration(sync) / producers;

  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        Window window(window_size);
        for (std::int64_t i = 0; i < per_producer; ++i) {
          window.acquire();
          committer.append(setup.next(p), [&window](const chat::AppendOutcome&) { window.release(); });
        }
        window.wait_empty();
      });
    }
    for (auto& t : threads) t.join();
  }
  const auto stats = committer.stats();
  state.SetItemsProcessed(static_cast<std::int64_t>(stats.committed));
  state.counters["avg_batch"] = static_cast<double>(stats.committed) / static_cast<double>(stats.batches);
  state.counters["failed"] = static_cast<double>(stats.failed);
  state.SetLabel(store_names[sync]);
}

// Args: producers, store. Each message is its own transaction (its own WAL commit).
void BM_TransactionPerMessage(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  const int sync = static_cast<int>(state.range(1));
  if (!available(state, sync)) return;
  Setup setup(sync, producers);
  const std::int64_t per_producer = messages_per_iteration(sync) / producers;
  std::int64_t committed = 0;

  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        for (std::int64_t i = 0; i < per_producer; ++i) {
          const MessageRecord message = setup.next(p);
          setup.store.append_messages({&message, 1});
        }
      });
    }
    for (auto& t : threads) t.join();
    committed += per_producer * producers;
  }
  state.SetItemsProcessed(committed);
  state.SetLabel(store_names[sync]);
}

void group_commit_args(benchmark::internal::Benchmark* b) {
  for (int sync : {0, 1, 2}) {
    for (int producers : {1, 4, 16}) b->Args({producers, sync, 1});
    for (int producers : {1, 4, 16}) b->Args({producers, sync, 64});
  }
  b->ArgNames({"producers", "store", "window"});
}

void per_message_args(benchmark::internal::Benchmark* b) {
  for (int sync : {0, 1, 2}) {
    for (int producers : {1, 4, 16}) b->Args({producers, sync});
  }
  b->ArgNames({"producers", "store"});
}

BENCHMARK(BM_TransactionPerMessage)->Apply(per_message_args)->UseRealTime()->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GroupCommit)->Apply(group_commit_args)->UseRealTime()->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // one "opened" line per benchmark would break up the table
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
