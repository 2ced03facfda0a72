// kill -9 in the middle of a burst of group commits: after reopening, the file is intact and every message
// whose completion reported it committed is there. This is the promise of synchronous=NORMAL in WAL mode.

#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "server/storage/group_committer.hpp"
#include "server/storage/sqlite_store.hpp"
#include "tests/test_storage_support.hpp"

using namespace chat;
using chat::test::TempDir;
using chat::test::ThreadScheduler;

namespace {

constexpr int producers = 4;
constexpr std::int64_t max_per_producer = 100'000;  // bounds the child if the kill never comes
constexpr std::size_t acks_before_kill = 3000;

// One acknowledgement on the pipe; 16 bytes, well under PIPE_BUF, so writes from the flushing thread are atomic.
struct Ack {
  std::int64_t producer;
  std::int64_t seq;
};

StoreOptions options_for(const std::filesystem::path& path) {
  StoreOptions options;
  options.path = path;
  options.synchronous = "NORMAL";
  options.read_connections = 1;
  return options;
}

std::string room_of(std::int64_t producer) { return "crash" + std::to_string(producer); }

// The child: appends from several threads and reports each committed message. Never returns.
[[noreturn]] void run_child(const std::filesystem::path& db, int ack_fd) {
  try {
    SqliteStore store(options_for(db));
    ThreadScheduler scheduler;
    GroupCommitter committer(store, scheduler.as_schedule(), GroupCommitter::Options{256});
    std::vector<std::atomic<std::int64_t>> acked(producers);
    std::vector<std::thread> threads;
    for (std::int64_t p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        const std::string room = room_of(p);
        for (std::int64_t seq = 1; seq <= max_per_producer; ++seq) {
          // Backpressure keeps memory bounded; the wait itself is bounded by the kill or by the flusher.
          while (seq - acked[static_cast<std::size_t>(p)].load() > 2000) std::this_thread::yield();
          MessageRecord m{room, seq, "writer", 1, seq, std::string(64, 'x'), "c" + std::to_string(seq)};
          committer.append(std::move(m), [&, p, seq, ack_fd](const AppendOutcome& outcome) {
            if (outcome.status != AppendOutcome::Status::stored) return;
            // One producer per room, appending in order: the store's seq is the producer's count.
            if (outcome.seq != seq) ::_exit(4);
            const Ack ack{p, outcome.seq};
            if (::write(ack_fd, &ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) ::_exit(3);
            acked[static_cast<std::size_t>(p)].store(seq);
          });
        }
      });
    }
    for (auto& t : threads) t.join();
    committer.close_and_drain();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash child failed: %s\n", e.what());
    ::_exit(2);
  } catch (...) {
    ::_exit(2);
  }
  ::_exit(0);
}

}  // namespace

TEST_CASE("kill -9 mid-burst: integrity ok and every acknowledged message present") {
  TempDir dir;
  {
    // Rooms exist before the fork, and no connection is open across it.
    SqliteStore store(options_for(dir.db()));
    for (std::int64_t p = 0; p < producers; ++p) REQUIRE(store.create_room({room_of(p), false, "", "w", 1, 0}));
  }

  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    run_child(dir.db(), fds[1]);
  }
  ::close(fds[1]);

  // Read acknowledgements; kill once enough arrived, then drain what the child wrote before it died.
  std::vector<Ack> acks;
  std::vector<char> buffer;
  bool killed = false;
  // The deadline only keeps a broken child from hanging the test; nothing is asserted about time.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fds[0], POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;  // EOF: the child is gone and the pipe is empty
    buffer.insert(buffer.end(), chunk, chunk + n);
    const std::size_t whole = buffer.size() / sizeof(Ack);
    for (std::size_t i = 0; i < whole; ++i) {
      Ack ack;
      std::memcpy(&ack, buffer.data() + i * sizeof(Ack), sizeof ack);
      acks.push_back(ack);
    }
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(whole * sizeof(Ack)));
    if (!killed && acks.size() >= acks_before_kill) {
      REQUIRE(::kill(child, SIGKILL) == 0);
      killed = true;
    }
  }
  ::close(fds[0]);
  if (!killed) ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  INFO("child status " << status << ", acknowledgements " << acks.size());
  REQUIRE(killed);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(buffer.empty());  // no torn acknowledgement

  SqliteStore store(options_for(dir.db()));
  CHECK(store.integrity_check() == "ok");
  std::map<std::int64_t, std::int64_t> highest_acked;
  for (const auto& ack : acks) highest_acked[ack.producer] = std::max(highest_acked[ack.producer], ack.seq);
  std::int64_t stored_total = 0;
  for (std::int64_t p = 0; p < producers; ++p) {
    INFO("producer " << p);
    const auto room = store.find_room(room_of(p));
    REQUIRE(room);
    // Commits follow append order and each producer appends seqs in order, so what survived is exactly
    // 1..last_seq: no holes (transactions are atomic) and at least everything acknowledged.
    const auto rows = store.history(room_of(p), std::nullopt, 0, static_cast<std::size_t>(max_per_producer));
    REQUIRE(static_cast<std::int64_t>(rows.size()) == room->last_seq);
    for (std::size_t i = 0; i < rows.size(); ++i) REQUIRE(rows[i].seq == static_cast<std::int64_t>(i + 1));
    CHECK(room->last_seq >= highest_acked[p]);
    stored_total += room->last_seq;
  }
  std::set<std::pair<std::int64_t, std::int64_t>> unique;
  for (const auto& ack : acks) unique.insert({ack.producer, ack.seq});
  CHECK(unique.size() == acks.size());  // each completion ran once
  CHECK(stored_total >= static_cast<std::int64_t>(acks.size()));
  MESSAGE("acknowledged " << acks.size() << ", stored " << stored_total << " after SIGKILL");
}
