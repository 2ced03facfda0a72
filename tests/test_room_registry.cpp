// Room, its parts and RoomRegistry: behaviour, and invariants under concurrency.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/names.hpp"
#include "server/registry/participant.hpp"
#include "server/registry/room.hpp"
#include "server/registry/room_registry.hpp"

namespace {

using chat::Room;
using chat::RoomPtr;
using chat::RoomRegistry;
using chat::RoomRole;
using chat::RoomSettings;

using Frame = std::shared_ptr<const std::string>;

// Records what it is given; optional hooks let a test call back into the
// registries from deliver() or from the destructor.
class FakeParticipant final : public chat::Participant {
 public:
  using Hook = std::function<void(FakeParticipant&)>;

  explicit FakeParticipant(std::uint64_t id, Hook on_deliver = {}, std::function<void()> on_destroy = {})
      : id_(id), on_deliver_(std::move(on_deliver)), on_destroy_(std::move(on_destroy)) {}
  ~FakeParticipant() override {
    if (on_destroy_) {
      on_destroy_();
    }
  }

  std::uint64_t connection_id() const noexcept override { return id_; }
  bool deliver(Frame frame) override {
    {
      std::lock_guard lock(mutex_);
      frames_.push_back(std::move(frame));
    }
    if (on_deliver_) {
      on_deliver_(*this);
    }
    return true;
  }

  std::vector<Frame> frames() const {
    std::lock_guard lock(mutex_);
    return frames_;
  }
  std::size_t delivered() const { return frames().size(); }

 private:
  const std::uint64_t id_;
  Hook on_deliver_;
  std::function<void()> on_destroy_;
  mutable std::mutex mutex_;
  std::vector<Frame> frames_;
};

std::shared_ptr<FakeParticipant> participant(std::uint64_t id) { return std::make_shared<FakeParticipant>(id); }

Frame frame(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

// Runs `fn` on its own thread; false if it has not finished within `limit`,
// i.e. it deadlocked. The stuck thread is then abandoned (detached) so the
// test reports a failure instead of hanging.
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

constexpr auto kDeadline = std::chrono::seconds(10);

std::set<std::uint64_t> subscribed_ids(const Room& room) {
  std::set<std::uint64_t> ids;
  for (const auto& s : *room.subscribers()) {
    ids.insert(s.connection_id);
  }
  return ids;
}

}  // namespace

TEST_CASE("canonical_name folds ASCII letters only") {
  CHECK(chat::canonical_name("General-Chat_42") == "general-chat_42");
  CHECK(chat::canonical_name("ÄBC") == "\xC3\x84" "bc");  // UTF-8 bytes kept as they are
  CHECK(chat::canonical_name("") == "");
}

TEST_CASE("Room keeps its name and settings; the topic can change") {
  Room room("General", RoomSettings{true, "hello", "alice"});
  CHECK(room.name() == "General");
  CHECK(room.settings().is_private);
  CHECK(room.settings().owner == "alice");
  CHECK(room.settings().topic == "hello");
  room.set_topic("new topic");
  CHECK(room.settings().topic == "new topic");
}

TEST_CASE("Room membership and roles") {
  Room room("r", {});
  CHECK(room.add_member("Alice", RoomRole::Owner));
  CHECK_FALSE(room.add_member("alice", RoomRole::Member));  // already a member: role unchanged
  CHECK(room.role_of("ALICE") == RoomRole::Owner);
  CHECK(room.add_member("bob", RoomRole::Member));
  CHECK_FALSE(room.role_of("carol").has_value());

  CHECK(room.set_role("bob", RoomRole::Moderator));
  CHECK(room.role_of("bob") == RoomRole::Moderator);
  CHECK_FALSE(room.set_role("carol", RoomRole::Moderator));  // not a member: not added
  CHECK_FALSE(room.role_of("carol").has_value());

  using Members = std::vector<std::pair<std::string, RoomRole>>;
  CHECK(room.members() == Members{{"alice", RoomRole::Owner}, {"bob", RoomRole::Moderator}});
  CHECK(room.member_count() == 2);
  CHECK(room.remove_member("Bob"));
  CHECK_FALSE(room.remove_member("bob"));
  CHECK(room.member_count() == 1);
  CHECK(RoomRole::Owner > RoomRole::Moderator);
  CHECK(RoomRole::Moderator > RoomRole::Member);
}

TEST_CASE("Room invitations and bans") {
  Room room("r", {});
  CHECK(room.invite("Carol"));
  CHECK(room.is_invited("carol"));
  CHECK(room.revoke_invite("CAROL"));
  CHECK_FALSE(room.revoke_invite("carol"));
  CHECK_FALSE(room.is_invited("carol"));

  SUBCASE("a ban removes membership and invitation, and keeps the user out") {
    REQUIRE(room.add_member("dave", RoomRole::Moderator));
    REQUIRE(room.invite("dave"));
    room.ban("Dave");
    CHECK(room.is_banned("dave"));
    CHECK_FALSE(room.role_of("dave").has_value());
    CHECK_FALSE(room.is_invited("dave"));
    CHECK_FALSE(room.add_member("dave", RoomRole::Member));
    CHECK_FALSE(room.invite("dave"));
    CHECK(room.member_count() == 0);
  }
  SUBCASE("unban lets the user back in") {
    room.ban("erin");
    CHECK(room.unban("ERIN"));
    CHECK_FALSE(room.unban("erin"));
    CHECK_FALSE(room.is_banned("erin"));
    CHECK(room.add_member("erin", RoomRole::Member));
  }
  SUBCASE("a ban does not touch live subscriptions") {
    REQUIRE(room.subscribe("frank", participant(1)));
    room.ban("frank");
    CHECK(room.is_subscribed(1));
  }
}

TEST_CASE("Room subscribers: subscribe, unsubscribe, per user, online count") {
  Room room("r", {});
  CHECK(room.subscribe("Alice", participant(1)));
  CHECK_FALSE(room.subscribe("alice", participant(1)));  // same connection
  CHECK(room.subscribe("alice", participant(2)));        // second connection of the same user
  CHECK(room.subscribe("bob", participant(3)));
  CHECK(room.online_count() == 2);
  CHECK(room.is_subscribed(2));
  CHECK_FALSE(room.is_subscribed(4));
  CHECK_THROWS_AS(room.subscribe("x", nullptr), std::invalid_argument);

  const auto before = room.subscribers();
  REQUIRE(before->size() == 3);
  CHECK(before->front().user == "alice");
  CHECK(before->front().participant->connection_id() == 1);

  CHECK(room.unsubscribe(3));
  CHECK_FALSE(room.unsubscribe(3));
  CHECK(room.online_count() == 1);
  CHECK(room.unsubscribe_user("ALICE") == 2);
  CHECK(room.unsubscribe_user("alice") == 0);
  CHECK(room.online_count() == 0);
  CHECK(room.subscribers()->empty());
  CHECK(before->size() == 3);  // a snapshot never changes under its holder
}

TEST_CASE("Room delivered seq") {
  Room room("r", {});
  CHECK(room.delivered_seq() == 0);
  room.set_delivered_seq(100);  // loaded from storage
  CHECK(room.delivered_seq() == 100);

  SUBCASE("readers on other threads see a monotonic sequence") {
    constexpr int kSeqs = 20000;
    std::atomic<bool> writing{true};
    std::atomic<int> regressions{0};
    std::thread reader([&] {
      std::int64_t last = 0;
      while (writing.load()) {
        const std::int64_t seen = room.delivered_seq();
        if (seen < last || seen > 100 + kSeqs) regressions.fetch_add(1);
        last = seen;
      }
    });
    for (int i = 1; i <= kSeqs; ++i) room.set_delivered_seq(100 + i);
    writing.store(false);
    reader.join();
    CHECK(regressions.load() == 0);
    CHECK(room.delivered_seq() == 100 + kSeqs);
  }
}

TEST_CASE("broadcast delivers each frame exactly once to every subscriber") {
  Room room("r", {});
  std::vector<std::shared_ptr<FakeParticipant>> subscribed;
  for (std::uint64_t id = 1; id <= 20; ++id) {
    subscribed.push_back(participant(id));
    REQUIRE(room.subscribe("user" + std::to_string(id % 7), subscribed.back()));
  }
  const auto left = participant(99);
  REQUIRE(room.subscribe("leaver", left));
  REQUIRE(room.unsubscribe(99));

  const Frame first = frame("one");
  const Frame second = frame("two");
  room.broadcast(first);
  room.broadcast(second);
  for (const auto& p : subscribed) {
    CHECK(p->frames() == std::vector<Frame>{first, second});  // the same shared frame, in order
  }
  CHECK(left->delivered() == 0);
}

TEST_CASE("deliver() may call back into the room and the registry without deadlock") {
  RoomRegistry registry;
  const RoomPtr room = registry.create("lobby", {});
  REQUIRE(room);
  std::atomic<std::uint64_t> next_id{1000};
  // Every participant, on delivery, reads and writes the room and the registry
  // on the broadcasting thread: any lock held by broadcast() would deadlock here.
  const FakeParticipant::Hook reenter = [&](FakeParticipant& self) {
    (void)registry.find("lobby");
    (void)registry.subscribed_rooms(self.connection_id());
    room->set_topic("touched");
    (void)room->subscribers();
    (void)room->unsubscribe(self.connection_id());
    (void)room->subscribe("newcomer", participant(next_id.fetch_add(1)));
  };
  std::vector<std::shared_ptr<FakeParticipant>> reentrant;
  for (std::uint64_t id = 1; id <= 5; ++id) {
    reentrant.push_back(std::make_shared<FakeParticipant>(id, reenter));
    REQUIRE(room->subscribe("u" + std::to_string(id), reentrant.back()));
  }

  CHECK(finishes_within(kDeadline, [&] { room->broadcast(frame("x")); }));
  for (const auto& p : reentrant) {
    CHECK(p->delivered() == 1);
    CHECK_FALSE(room->is_subscribed(p->connection_id()));
  }
  CHECK(room->subscribers()->size() == 5);  // the newcomers, who joined after the snapshot
  CHECK(room->settings().topic == "touched");
}

TEST_CASE("a participant's destructor may call back into the registries") {
  RoomRegistry registry;
  const RoomPtr room = registry.create("lobby", {});
  REQUIRE(room);
  std::atomic<int> destroyed{0};
  const auto make = [&](std::uint64_t id) {
    return std::make_shared<FakeParticipant>(id, FakeParticipant::Hook{}, [&registry, room, &destroyed] {
      (void)registry.list();
      (void)room->subscribers();
      room->set_topic("bye");
      destroyed.fetch_add(1);
    });
  };
  // The room holds the only references, so each call below releases the last one.
  REQUIRE(room->subscribe("a", make(1)));
  REQUIRE(room->subscribe("b", make(2)));
  REQUIRE(room->subscribe("b", make(3)));
  CHECK(finishes_within(kDeadline, [&] { CHECK(room->unsubscribe(1)); }));
  CHECK(finishes_within(kDeadline, [&] { CHECK(room->unsubscribe_user("b") == 2); }));
  CHECK(destroyed.load() == 3);

  SUBCASE("also when removing the room releases it") {
    // Built on its own so the hook does not capture the RoomPtr.
    RoomPtr doomed = registry.create("doomed", {});
    REQUIRE(doomed);
    REQUIRE(doomed->subscribe("c", std::make_shared<FakeParticipant>(4, FakeParticipant::Hook{}, [&] {
      (void)registry.find("doomed");
      (void)registry.size();
      destroyed.fetch_add(1);
    })));
    doomed.reset();  // the registry now holds the last reference to the room
    CHECK(finishes_within(kDeadline, [&] { CHECK(registry.remove("doomed")); }));
    CHECK(destroyed.load() == 4);
  }
}

TEST_CASE("concurrent subscribe/unsubscribe with snapshots and broadcasts keeps every invariant") {
  // Each writer owns a disjoint block of connections (and of users), so its
  // own sequential model predicts every result and the final set exactly.
  constexpr int kWriters = 4;
  constexpr int kReaders = 2;
  constexpr std::uint64_t kIdsPerWriter = 16;
  constexpr std::uint64_t kUsersPerWriter = 4;
  constexpr int kOpsPerWriter = 3000;
  constexpr int kMinSnapshots = 1000;
  constexpr std::uint64_t kIds = kWriters * kIdsPerWriter;
  const auto user_of = [](std::uint64_t id) {
    return "w" + std::to_string(id / kIdsPerWriter) + "u" + std::to_string(id % kUsersPerWriter);
  };

  Room room("stress", {});
  std::vector<std::shared_ptr<FakeParticipant>> participants;
  for (std::uint64_t id = 0; id < kIds; ++id) {
    participants.push_back(participant(id));
  }

  std::atomic<int> wrong_results{0};
  std::atomic<int> bad_snapshots{0};
  std::atomic<int> snapshots_taken{0};
  std::atomic<int> writers_running{kWriters};
  std::vector<std::set<std::uint64_t>> models(kWriters);
  std::latch start(kWriters + kReaders);
  std::vector<std::thread> threads;

  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(static_cast<unsigned>(w) + 1);
      std::set<std::uint64_t>& model = models[static_cast<std::size_t>(w)];
      const std::uint64_t first = static_cast<std::uint64_t>(w) * kIdsPerWriter;
      start.arrive_and_wait();
      for (int op = 0; op < kOpsPerWriter; ++op) {
        const std::uint64_t id = first + rng() % kIdsPerWriter;
        const unsigned dice = rng() % 20;
        if (dice < 10) {
          const bool expected = !model.contains(id);
          if (room.subscribe(user_of(id), participants[id]) != expected) {
            wrong_results.fetch_add(1);
          }
          model.insert(id);
        } else if (dice < 19) {
          if (room.unsubscribe(id) != model.contains(id)) {
            wrong_results.fetch_add(1);
          }
          model.erase(id);
        } else {
          const std::string user = user_of(id);
          const auto expected = static_cast<std::size_t>(
              std::erase_if(model, [&](std::uint64_t other) { return user_of(other) == user; }));
          if (room.unsubscribe_user(user) != expected) {
            wrong_results.fetch_add(1);
          }
        }
      }
      writers_running.fetch_sub(1);
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      const Frame ping = frame("ping");
      // Bounded even if a writer were stuck; at least kMinSnapshots even if
      // the writers finish before this thread is scheduled (two cores).
      for (int i = 0; i < 200000 && (i < kMinSnapshots || writers_running.load() > 0); ++i) {
        const auto snapshot = room.subscribers();
        const std::size_t size = snapshot->size();
        std::vector<bool> seen(kIds, false);
        bool ok = size <= kIds && room.online_count() <= kWriters * kUsersPerWriter;
        for (const auto& s : *snapshot) {
          ok = ok && s.connection_id < kIds && !seen[s.connection_id] &&
               s.participant->connection_id() == s.connection_id && s.user == user_of(s.connection_id);
          if (s.connection_id < kIds) {
            seen[s.connection_id] = true;
          }
        }
        room.broadcast(ping);
        ok = ok && snapshot->size() == size;  // immutable while held
        if (!ok) {
          bad_snapshots.fetch_add(1);
        }
        snapshots_taken.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }

  CHECK(wrong_results.load() == 0);
  CHECK(bad_snapshots.load() == 0);
  CHECK(snapshots_taken.load() >= kReaders * kMinSnapshots);

  std::set<std::uint64_t> expected;
  std::set<std::string> expected_users;
  for (const auto& model : models) {
    for (const std::uint64_t id : model) {
      expected.insert(id);
      expected_users.insert(user_of(id));
    }
  }
  CHECK(subscribed_ids(room) == expected);
  CHECK(room.online_count() == expected_users.size());
  for (std::uint64_t id = 0; id < kIds; ++id) {
    CHECK(room.is_subscribed(id) == expected.contains(id));
  }
}

TEST_CASE("concurrent broadcasts reach steady subscribers exactly once each, despite churn") {
  constexpr int kBroadcasts = 2000;
  constexpr std::uint64_t kSteady = 8;
  constexpr std::uint64_t kChurners = 8;
  Room room("r", {});
  std::vector<std::shared_ptr<FakeParticipant>> steady;
  std::vector<std::shared_ptr<FakeParticipant>> churners;
  for (std::uint64_t id = 0; id < kSteady; ++id) {
    steady.push_back(participant(id));
    REQUIRE(room.subscribe("steady", steady.back()));
  }
  for (std::uint64_t id = 0; id < kChurners; ++id) {
    churners.push_back(participant(100 + id));
  }
  std::atomic<bool> broadcasting{true};
  std::thread churn([&] {
    for (int i = 0; i < 100000 && broadcasting.load(); ++i) {
      const auto& p = churners[static_cast<std::size_t>(i) % kChurners];
      if (!room.subscribe("churner", p)) {
        room.unsubscribe(p->connection_id());
      }
    }
  });
  std::vector<Frame> sent;
  for (int i = 0; i < kBroadcasts; ++i) {
    sent.push_back(frame(std::to_string(i)));
    room.broadcast(sent.back());
  }
  broadcasting.store(false);
  churn.join();

  for (const auto& p : steady) {
    CHECK(p->frames() == sent);
  }
  for (const auto& p : churners) {
    const auto got = p->frames();
    CHECK(got.size() <= sent.size());
    CHECK(std::is_sorted(got.begin(), got.end(),
                         [](const Frame& a, const Frame& b) { return std::stoi(*a) < std::stoi(*b); }));
    CHECK(std::adjacent_find(got.begin(), got.end()) == got.end());  // never twice
  }
}

TEST_CASE("RoomRegistry: create, find, remove, list") {
  RoomRegistry registry;
  const RoomPtr general = registry.create("General", RoomSettings{false, "t", "alice"});
  REQUIRE(general);
  CHECK(registry.find("general") == general);
  CHECK(registry.find("GENERAL") == general);
  CHECK_FALSE(registry.create("general", {}));  // names are case-insensitive
  CHECK(registry.find("nope") == nullptr);
  const RoomPtr beta = registry.create("beta", {});
  const RoomPtr alpha = registry.create("Alpha", {});
  CHECK(registry.size() == 3);
  CHECK(registry.list() == std::vector<RoomPtr>{alpha, general, beta});  // by name as given

  CHECK(registry.remove("BETA"));
  CHECK_FALSE(registry.remove("beta"));
  CHECK(registry.find("beta") == nullptr);
  CHECK(registry.size() == 2);
  CHECK(beta->subscribe("x", participant(1)));  // a removed room still works for its holders
}

TEST_CASE("RoomRegistry: rooms_of and subscribed_rooms") {
  RoomRegistry registry;
  const RoomPtr a = registry.create("a", {});
  const RoomPtr b = registry.create("b", {});
  const RoomPtr c = registry.create("c", {});
  REQUIRE(a->add_member("alice", RoomRole::Owner));
  REQUIRE(c->add_member("alice", RoomRole::Member));
  REQUIRE(b->add_member("bob", RoomRole::Member));
  CHECK(registry.rooms_of("Alice") == std::vector<RoomPtr>{a, c});
  CHECK(registry.rooms_of("carol").empty());

  REQUIRE(b->subscribe("alice", participant(7)));
  REQUIRE(c->subscribe("alice", participant(7)));
  REQUIRE(c->subscribe("alice", participant(8)));
  CHECK(registry.subscribed_rooms(7) == std::vector<RoomPtr>{b, c});
  CHECK(registry.subscribed_rooms(8) == std::vector<RoomPtr>{c});
  CHECK(registry.subscribed_rooms(9).empty());
}

TEST_CASE("RoomRegistry: concurrent creates of one name have exactly one winner") {
  constexpr int kThreads = 8;
  constexpr int kRounds = 50;
  RoomRegistry registry;
  for (int round = 0; round < kRounds; ++round) {
    const std::string name = "room" + std::to_string(round);
    std::vector<RoomPtr> created(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        // Mixed case: still one name.
        created[static_cast<std::size_t>(t)] = registry.create(t % 2 == 0 ? name : chat::canonical_name(name), {});
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    const auto winners = std::count_if(created.begin(), created.end(), [](const RoomPtr& r) { return r != nullptr; });
    CHECK(winners == 1);
    const auto winner = std::find_if(created.begin(), created.end(), [](const RoomPtr& r) { return r != nullptr; });
    REQUIRE(winner != created.end());
    CHECK(registry.find(name) == *winner);
  }
  CHECK(registry.size() == kRounds);
}

TEST_CASE("RoomRegistry: concurrent create/remove/find/list stays consistent") {
  constexpr int kWriters = 3;
  constexpr int kNames = 8;
  constexpr int kOps = 3000;
  RoomRegistry registry;
  std::atomic<int> writers_running{kWriters};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  // Writer w owns names w*kNames .. : its model predicts every result.
  std::vector<std::set<int>> models(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(static_cast<unsigned>(w) + 7);
      auto& model = models[static_cast<std::size_t>(w)];
      for (int op = 0; op < kOps; ++op) {
        const int n = w * kNames + static_cast<int>(rng() % kNames);
        const std::string name = "R" + std::to_string(n);
        if (rng() % 2 == 0) {
          if ((registry.create(name, {}) != nullptr) == model.contains(n)) {
            bad.fetch_add(1);
          }
          model.insert(n);
        } else {
          if (registry.remove(name) != model.contains(n)) {
            bad.fetch_add(1);
          }
          model.erase(n);
        }
        if ((registry.find(name) != nullptr) != model.contains(n)) {
          bad.fetch_add(1);
        }
      }
      writers_running.fetch_sub(1);
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 100000 && writers_running.load() > 0; ++i) {
      const auto rooms = registry.list();
      std::set<std::string> names;
      for (const auto& room : rooms) {
        names.insert(room->name());
      }
      if (names.size() != rooms.size() || rooms.size() > kWriters * kNames ||
          !std::is_sorted(rooms.begin(), rooms.end(), [](const RoomPtr& a, const RoomPtr& b) { return a->name() < b->name(); })) {
        bad.fetch_add(1);
      }
    }
  });
  for (auto& t : threads) {
    t.join();
  }
  CHECK(bad.load() == 0);
  std::size_t expected = 0;
  for (const auto& model : models) {
    expected += model.size();
  }
  CHECK(registry.size() == expected);
  CHECK(registry.list().size() == expected);
}

TEST_CASE("RoomRegistry::create_within keeps to its quota, per owner and in all, however many create at once") {
  using chat::RoomSettings;
  RoomRegistry registry;
  const RoomRegistry::Quota quota{.max_rooms = 40, .max_per_owner = 3, .counted_as = {}};

  SUBCASE("per owner, case-insensitively; removal gives the place back") {
    for (int i = 0; i < 3; ++i) {
      CHECK(registry.create_within("a" + std::to_string(i), RoomSettings{false, "", "Alice"}, quota).room);
    }
    const auto refused = registry.create_within("a3", RoomSettings{false, "", "alice"}, quota);
    CHECK_FALSE(refused.room);
    CHECK(refused.refusal == RoomRegistry::Refusal::OwnerFull);
    CHECK_FALSE(registry.find("a3"));
    CHECK(registry.owned_by("ALICE") == 3);
    CHECK(registry.create_within("b0", RoomSettings{false, "", "bob"}, quota).room);  // another owner
    CHECK(registry.create_within("a0", RoomSettings{false, "", "bob"}, quota).refusal == RoomRegistry::Refusal::Exists);
    CHECK(registry.owned_by("bob") == 1);  // a refused create counts nothing
    CHECK(registry.remove("a1"));
    CHECK(registry.owned_by("alice") == 2);
    CHECK(registry.create_within("a3", RoomSettings{false, "", "alice"}, quota).room);
  }

  SUBCASE("in all, ownerless rooms included; create() without a quota is not bound") {
    for (int i = 0; i < 40; ++i) CHECK(registry.create_within("r" + std::to_string(i), RoomSettings{}, quota).room);
    CHECK(registry.create_within("more", RoomSettings{}, quota).refusal == RoomRegistry::Refusal::Full);
    CHECK(registry.create("loaded", RoomSettings{false, "", "alice"}));  // a room from the database
    CHECK(registry.size() == 41);
    CHECK(registry.owned_by("alice") == 1);
  }

  SUBCASE("a room counts against counted_as when given (a guest's address), not its settings' owner") {
    const RoomRegistry::Quota guests{.max_rooms = 0, .max_per_owner = 1, .counted_as = "guests from 10.0.0.1"};
    CHECK(registry.create_within("g0", RoomSettings{}, guests).room);
    CHECK(registry.create_within("g1", RoomSettings{}, guests).refusal == RoomRegistry::Refusal::OwnerFull);
    CHECK(registry.owned_by("guests from 10.0.0.1") == 1);
    CHECK(registry.remove("g0"));  // a create whose store write failed gives its place back
    CHECK(registry.owned_by("guests from 10.0.0.1") == 0);
  }

  SUBCASE("concurrent creations never overshoot") {
    constexpr int kThreads = 8;
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    std::atomic<int> created{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < 20; ++i) {
          const std::string owner = t % 2 == 0 ? "even" : "odd";
          if (registry.create_within("t" + std::to_string(t) + "-" + std::to_string(i), RoomSettings{false, "", owner},
                                     RoomRegistry::Quota{.max_rooms = 0, .max_per_owner = 25, .counted_as = {}})
                  .room) {
            created.fetch_add(1);
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(created.load() == 50);
    CHECK(registry.owned_by("even") == 25);
    CHECK(registry.owned_by("odd") == 25);
    CHECK(registry.size() == 50);
  }
}
