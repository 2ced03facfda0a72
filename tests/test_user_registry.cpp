// UserRegistry: sessions, guest exclusivity, and consistency under concurrency.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <random>
#include <stdexcept>
#include <cctype>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "server/registry/participant.hpp"
#include "server/registry/user_registry.hpp"

namespace {

using chat::ParticipantPtr;
using chat::UserRegistry;

// A session that only has an id, plus an optional hook run by its destructor.
class FakeSession final : public chat::Participant {
 public:
  explicit FakeSession(std::uint64_t id, std::function<void()> on_destroy = {})
      : id_(id), on_destroy_(std::move(on_destroy)) {}
  ~FakeSession() override {
    if (on_destroy_) {
      on_destroy_();
    }
  }
  std::uint64_t connection_id() const noexcept override { return id_; }
  bool deliver(std::shared_ptr<const std::string>) override { return true; }

 private:
  const std::uint64_t id_;
  std::function<void()> on_destroy_;
};

ParticipantPtr session(std::uint64_t id) { return std::make_shared<FakeSession>(id); }

// Principal ids: an account's is one per name (case-insensitive, as the registry's keys), a guest's its own.
std::int64_t account(std::string_view name) {
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  return static_cast<std::int64_t>(std::hash<std::string>{}(key) >> 2) + 1;
}
std::int64_t guest_id(std::uint64_t n) { return -static_cast<std::int64_t>(n) - 1; }

// Runs `fn` on its own thread; false if it has not finished within `limit`
// (a deadlock), in which case the thread is abandoned so the test can fail
// instead of hanging. (Same helper as in test_room_registry.cpp.)
bool finishes_within(std::chrono::seconds limit, std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  std::thread([fn = std::move(fn), done]() mutable {
    {
      auto run = std::move(fn);  // destroyed before reporting completion
      run();
    }
    done->set_value();
  }).detach();
  return finished.wait_for(limit) == std::future_status::ready;
}

std::vector<std::uint64_t> ids(const std::vector<ParticipantPtr>& sessions) {
  std::vector<std::uint64_t> result;
  for (const auto& s : sessions) {
    result.push_back(s->connection_id());
  }
  return result;
}

}  // namespace

TEST_CASE("a session's inbox opens on request and goes with the session") {
  UserRegistry registry;
  REQUIRE(registry.add("bob", account("bob"), false, session(1)));
  REQUIRE(registry.add("bob", account("bob"), false, session(2), /*inbox_open=*/true));
  CHECK(registry.sessions_of("bob").size() == 2);
  auto open = registry.inbox_sessions_of("BOB", account("bob"), 1);
  REQUIRE(open.size() == 1);
  CHECK(open[0]->connection_id() == 2);
  CHECK(registry.open_inbox("bob", 1));
  CHECK_FALSE(registry.open_inbox("bob", 3));
  CHECK_FALSE(registry.open_inbox("carol", 1));
  CHECK(registry.inbox_sessions_of("bob", account("bob"), 1).size() == 2);
  // A new session on the same connection (log out, log in again) starts closed.
  REQUIRE(registry.remove("bob", 1));
  REQUIRE(registry.add("bob", account("bob"), false, session(1)));
  open = registry.inbox_sessions_of("bob", account("bob"), 1);
  REQUIRE(open.size() == 1);
  CHECK(open[0]->connection_id() == 2);
  CHECK(registry.inbox_sessions_of("nobody", account("nobody"), 1).empty());
}

TEST_CASE("a session that had a direct message with its backlog is not given it again") {
  UserRegistry registry;
  REQUIRE(registry.add("bob", account("bob"), false, session(1), /*inbox_open=*/true));
  REQUIRE(registry.add("bob", account("bob"), false, session(2)));
  REQUIRE(registry.open_inbox("bob", 2, /*backlog_through=*/7));
  CHECK(registry.inbox_sessions_of("bob", account("bob"), 7).size() == 1);  // only session 1
  CHECK(registry.inbox_sessions_of("bob", account("bob"), 7)[0]->connection_id() == 1);
  CHECK(registry.inbox_sessions_of("bob", account("bob"), 8).size() == 2);
}

TEST_CASE("GuestNameTakeover: a principal's sessions are never another principal's under the same name") {
  UserRegistry registry;
  REQUIRE(registry.add("bob", guest_id(1), true, session(1), /*inbox_open=*/true));
  CHECK(registry.find("bob")->id == guest_id(1));
  REQUIRE(registry.remove("bob", 1));
  // The guest left; the account of the name logs in. What was meant for the guest finds no session.
  REQUIRE(registry.add("bob", account("bob"), false, session(2), /*inbox_open=*/true));
  CHECK(registry.inbox_sessions_of("bob", guest_id(1), 1).empty());
  CHECK(registry.inbox_sessions_of("bob", account("bob"), 1).size() == 1);
  CHECK_FALSE(registry.add("bob", account("bob") + 1, false, session(3)));  // another principal, same name
  CHECK(registry.find("bob")->guest == false);
  CHECK_FALSE(registry.find("nobody").has_value());
}

TEST_CASE("a registered user may have several sessions") {
  UserRegistry users;
  CHECK(users.add("Alice", account("Alice"), false, session(1)));
  CHECK(users.add("alice", account("alice"), false, session(2)));
  CHECK_FALSE(users.add("ALICE", account("ALICE"), false, session(2)));  // same connection twice
  CHECK(users.add("bob", account("bob"), false, session(3)));
  CHECK(ids(users.sessions_of("alice")) == std::vector<std::uint64_t>{1, 2});
  CHECK(users.user_count() == 2);
  CHECK(users.session_count() == 3);
  CHECK(users.is_online("aLiCe"));
  CHECK(users.is_guest("alice") == false);
  CHECK_FALSE(users.is_guest("carol").has_value());
  CHECK_THROWS_AS(users.add("x", account("x"), false, nullptr), std::invalid_argument);

  CHECK_FALSE(users.remove("alice", 3));  // bob's connection, not alice's
  CHECK_FALSE(users.remove("carol", 1));
  CHECK(users.remove("alice", 1));
  CHECK(users.is_online("alice"));  // one session left
  CHECK(ids(users.sessions_of("alice")) == std::vector<std::uint64_t>{2});
  CHECK(users.remove("ALICE", 2));
  CHECK_FALSE(users.is_online("alice"));
  CHECK(users.sessions_of("alice").empty());
  CHECK(users.user_count() == 1);
  CHECK(users.session_count() == 1);
}

TEST_CASE("guest names are exclusive") {
  UserRegistry users;
  REQUIRE(users.add("Guest1", guest_id(1), true, session(1)));
  CHECK_FALSE(users.add("guest1", guest_id(2), true, session(2)));          // another guest
  CHECK_FALSE(users.add("guest1", account("guest1"), false, session(3)));  // a registered user under a guest's name
  REQUIRE(users.add("dora", account("dora"), false, session(4)));
  CHECK_FALSE(users.add("DORA", guest_id(5), true, session(5)));  // a guest under an online user's name
  CHECK(users.is_guest("guest1") == true);
  CHECK(users.session_count() == 2);
  REQUIRE(users.remove("guest1", 1));
  CHECK(users.add("guest1", guest_id(2), true, session(2)));  // free again once offline
}

TEST_CASE("list is a sorted snapshot with names as first given") {
  UserRegistry users;
  REQUIRE(users.add("zed", account("zed"), false, session(1)));
  REQUIRE(users.add("Amy", guest_id(2), true, session(2)));
  REQUIRE(users.add("amy2", account("amy2"), false, session(3)));
  const auto online = users.list();
  REQUIRE(online.size() == 3);
  CHECK(online[0].name == "Amy");
  CHECK(online[0].guest);
  CHECK(online[1].name == "amy2");
  CHECK(online[2].name == "zed");
  CHECK_FALSE(online[2].guest);
}

TEST_CASE("concurrent guest logins under one name: exactly one wins") {
  constexpr int kThreads = 8;
  constexpr int kRounds = 100;
  UserRegistry users;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<char> won(kThreads, 0);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const auto id = static_cast<std::uint64_t>(round * kThreads + t);
        start.arrive_and_wait();
        const auto name = t % 2 == 0 ? "Guest" : "guest";
        won[static_cast<std::size_t>(t)] = users.add(name, guest_id(id), true, session(id)) ? 1 : 0;
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    CHECK(std::count(won.begin(), won.end(), 1) == 1);
    CHECK(users.session_count() == 1);
    const auto winner = users.sessions_of("guest");
    REQUIRE(winner.size() == 1);
    REQUIRE(users.remove("guest", winner.front()->connection_id()));
  }
  CHECK(users.user_count() == 0);
}

TEST_CASE("concurrent session churn keeps the counts consistent") {
  constexpr int kThreads = 4;
  constexpr int kUsersPerThread = 3;
  constexpr std::uint64_t kConnsPerThread = 12;
  constexpr int kOps = 3000;
  UserRegistry users;
  std::atomic<int> wrong_results{0};
  std::atomic<int> bad_reads{0};
  std::atomic<int> running{kThreads};
  // Thread t owns its users and connections, so its model predicts every result.
  std::vector<std::vector<bool>> models(kThreads, std::vector<bool>(kConnsPerThread, false));
  const auto user_of = [](int t, std::uint64_t c) {
    return "t" + std::to_string(t) + "u" + std::to_string(c % kUsersPerThread);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) + 3);
      auto& model = models[static_cast<std::size_t>(t)];
      for (int op = 0; op < kOps; ++op) {
        const std::uint64_t c = rng() % kConnsPerThread;
        const std::uint64_t id = static_cast<std::uint64_t>(t) * 1000 + c;
        if (rng() % 2 == 0) {
          if (users.add(user_of(t, c), account(user_of(t, c)), false, session(id)) == model[c]) {
            wrong_results.fetch_add(1);
          }
          model[c] = true;
        } else {
          if (users.remove(user_of(t, c), id) != model[c]) {
            wrong_results.fetch_add(1);
          }
          model[c] = false;
        }
      }
      running.fetch_sub(1);
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 100000 && running.load() > 0; ++i) {
      const auto online = users.list();
      const auto mine = users.sessions_of("t0u0");
      if (online.size() > kThreads * kUsersPerThread || mine.size() > kConnsPerThread / kUsersPerThread) {
        bad_reads.fetch_add(1);
      }
    }
  });
  for (auto& t : threads) {
    t.join();
  }
  CHECK(wrong_results.load() == 0);
  CHECK(bad_reads.load() == 0);

  std::size_t sessions = 0;
  std::size_t online_users = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int u = 0; u < kUsersPerThread; ++u) {
      std::size_t of_user = 0;
      for (std::uint64_t c = static_cast<std::uint64_t>(u); c < kConnsPerThread; c += kUsersPerThread) {
        of_user += models[static_cast<std::size_t>(t)][c] ? 1 : 0;
      }
      CHECK(users.sessions_of(user_of(t, static_cast<std::uint64_t>(u))).size() == of_user);
      sessions += of_user;
      online_users += of_user > 0 ? 1 : 0;
    }
  }
  CHECK(users.session_count() == sessions);
  CHECK(users.user_count() == online_users);
}

TEST_CASE("a session's destructor may call back into the registry") {
  UserRegistry users;
  std::atomic<int> destroyed{0};
  const auto reentrant = [&](std::uint64_t id) {
    return std::make_shared<FakeSession>(id, [&] {
      (void)users.is_online("alice");
      (void)users.list();
      (void)users.add("bystander", account("bystander"), false,
                      session(1000 + static_cast<std::uint64_t>(destroyed.load())));
      destroyed.fetch_add(1);
    });
  };
  REQUIRE(users.add("alice", account("alice"), false, reentrant(1)));
  REQUIRE(users.add("alice", account("alice"), false, reentrant(2)));
  // The registry holds the only references: each remove releases the last one.
  std::atomic<int> removed{0};
  REQUIRE(finishes_within(std::chrono::seconds(10), [&] {
    removed += users.remove("alice", 1) ? 1 : 0;
    removed += users.remove("alice", 2) ? 1 : 0;  // also erases the user entry
  }));
  CHECK(removed.load() == 2);
  CHECK(destroyed.load() == 2);
  CHECK(users.sessions_of("bystander").size() == 2);
}
