// Store: the behaviour of every method on both backends (a real SQLite file, a real PostgreSQL server), and
// what is each backend's own: SQLite's schema, migrations and WAL; PostgreSQL's servers sharing one database.

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "server/storage/sqlite_schema.hpp"
#include "server/storage/storage_error.hpp"
#include "server/storage/node_directory.hpp"
#include "server/storage/postgres_store.hpp"
#include "server/storage/sqlite_store.hpp"
#include "tests/test_storage_faults.hpp"
#include "tests/support/loopback_socket.hpp"
#include "tests/support/postgres_process.hpp"
#include "tests/test_storage_support.hpp"

using namespace chat;
using chat::test::message;
using chat::test::principal_of;
using chat::test::PoisonMode;
using chat::test::TempDir;
using Status = chat::AppendOutcome::Status;

namespace {

StoreOptions options_for(const std::filesystem::path& path) {
  StoreOptions options;
  options.path = path;
  options.read_connections = 2;
  return options;
}

std::vector<std::int64_t> seqs(const std::vector<MessageRecord>& messages) {
  std::vector<std::int64_t> out;
  for (const auto& m : messages) out.push_back(m.seq);
  return out;
}

// (status, seq) of each outcome, to compare whole batches at once.
std::vector<std::pair<Status, std::int64_t>> summary(const std::vector<AppendOutcome>& outcome) {
  std::vector<std::pair<Status, std::int64_t>> out;
  for (const auto& one : outcome) out.emplace_back(one.status, one.seq);
  return out;
}

MessageRecord poison(std::string room) {
  auto record = message(std::move(room), 0);
  record.text = std::string(chat::test::kPoisonText);
  return record;
}

DirectMessageRecord dm(const std::string& from, const std::string& to, std::int64_t ts_ms, std::string text,
                       std::optional<std::string> client_id) {
  return {0, from, principal_of(from), to, principal_of(to), ts_ms, std::move(text), std::move(client_id)};
}

std::vector<std::int64_t> range(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> out;
  for (auto s = first; s <= last; ++s) out.push_back(s);
  return out;
}

// Where a test's store lives: a SQLite file, or a database of its own in the test program's PostgreSQL.
struct SqliteBackend {
  TempDir dir;
  std::unique_ptr<Store> open() { return std::make_unique<SqliteStore>(options_for(dir.db())); }
  void poison(PoisonMode mode) { chat::test::poison_messages(dir.db(), mode); }
};

struct PostgresBackend {
  std::string url = chat::test::shared_postgres().create_database();
  std::unique_ptr<Store> open() { return std::make_unique<PostgresStore>(url, 2); }
  void poison(PoisonMode mode) { chat::test::poison_postgres_messages(url, mode); }
};

// A store with users alice/bob and room "lobby" (owner alice) holding messages 1..10 from alice.
template <typename Backend>
struct Fixture {
  Backend backend;
  std::unique_ptr<Store> opened = backend.open();
  Store& store = *opened;
  Fixture() {
    REQUIRE(store.create_user({"alice", "hash-a", 1}));
    REQUIRE(store.create_user({"bob", "hash-b", 2}));
    REQUIRE(store.create_room({"lobby", false, "welcome", "alice", 10, 0}));
    std::vector<MessageRecord> batch;
    for (std::int64_t s = 1; s <= 10; ++s) batch.push_back(message("lobby", s));
    store.append_messages(batch);
  }
};

}  // namespace

TEST_CASE("a new file gets the schema, WAL mode, and its data survives reopening") {
  TempDir dir;
  const auto path = dir.path() / "nested" / "deeper" / "chat.db";  // parent directories do not exist yet
  {
    SqliteStore store(options_for(path));
    CHECK(store.create_user({"alice", "hash", 5}));
    CHECK(store.create_room({"lobby", true, "topic", "alice", 6, 0}));
    store.upsert_member("lobby", "bob", static_cast<int>(Role::moderator), 7);
    store.add_ban({"lobby", "mallory", "alice", "spam", 8});
    store.add_invite({"lobby", "carol", "alice", 9});
    store.append_messages(std::vector{message("lobby", 1, "alice", "c1"), message("lobby", 2)});
    CHECK(store.store_direct_message(dm("alice", "bob", 11, "hi", "d1")).message.id > 0);
  }
  REQUIRE(std::filesystem::exists(path));
  {
    SQLite::Database raw(path.string());
    CHECK(raw.execAndGet("PRAGMA user_version").getInt() == current_schema_version());
    CHECK(raw.execAndGet("PRAGMA journal_mode").getString() == "wal");
  }
  SqliteStore store(options_for(path));
  CHECK(store.integrity_check() == "ok");
  const auto user = store.find_user("alice");
  REQUIRE(user);
  CHECK(user->password_hash == "hash");
  CHECK(user->created_ms == 5);
  const auto rooms = store.load_rooms();
  REQUIRE(rooms.size() == 1);
  CHECK(rooms[0].name == "lobby");
  CHECK(rooms[0].is_private);
  CHECK(rooms[0].topic == "topic");
  CHECK(rooms[0].owner == "alice");
  CHECK(rooms[0].created_ms == 6);
  CHECK(rooms[0].last_seq == 2);
  CHECK(store.load_memberships().size() == 2);
  CHECK(store.load_bans().size() == 1);
  CHECK(store.load_invites().size() == 1);
  CHECK(store.message_count() == 2);
  CHECK(store.find_client_message("lobby", principal_of("alice"), "c1") == 1);
  CHECK(store.undelivered_direct_messages(principal_of("bob"), 10).size() == 1);
}

TEST_CASE("a file from a newer schema version is refused") {
  TempDir dir;
  { SqliteStore store(options_for(dir.db())); }
  {
    SQLite::Database raw(dir.db().string(), SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA user_version = " + std::to_string(current_schema_version() + 1));
  }
  CHECK_THROWS_AS(SqliteStore(options_for(dir.db())), StorageError);
}

TEST_CASE("invalid options are rejected with a StorageError") {
  TempDir dir;
  auto options = options_for(dir.db());
  options.synchronous = "NORMAL; DROP TABLE users";
  CHECK_THROWS_AS(SqliteStore{options}, StorageError);
  options.synchronous = "full";  // case does not matter
  CHECK_NOTHROW(SqliteStore{options});
}

TEST_CASE_TEMPLATE("users: create, conflict, find, count, administrators", Backend, SqliteBackend, PostgresBackend) {
  Backend backend;
  const auto opened = backend.open();
  Store& store = *opened;
  CHECK(store.user_count() == 0);
  const auto alice = store.create_user({"alice", "h1", 1});
  REQUIRE(alice);
  CHECK(*alice > 0);  // an account's principal id
  CHECK_FALSE(store.create_user({"alice", "h2", 2}));  // taken: the first one stays
  const auto bob = store.create_user({"bob", "h3", 3});
  REQUIRE(bob);
  CHECK(*bob != *alice);
  CHECK(store.user_count() == 2);
  CHECK(store.find_user("alice")->password_hash == "h1");
  CHECK(store.find_user("alice")->id == *alice);
  CHECK_FALSE(store.find_user("alice")->is_admin);  // nobody is one unless the operator says so
  CHECK(store.set_admin("alice", true));
  CHECK(store.find_user("alice")->is_admin);
  CHECK_FALSE(store.set_admin("carol", true));  // no such user
  UserRecord root{"root", "h4", 4};
  root.is_admin = true;
  REQUIRE(store.create_user(root));
  CHECK(store.set_admin("alice", false));
  const auto users = store.load_users();
  REQUIRE(users.size() == 3);
  CHECK(users[0].name == "alice");
  CHECK_FALSE(users[0].is_admin);
  CHECK(users[0].password_hash.empty());  // a listing carries no hashes
  CHECK(users[2].name == "root");
  CHECK(users[2].is_admin);
  CHECK_FALSE(store.find_user("carol"));
  CHECK_FALSE(store.find_user("Alice"));  // names are stored as given (canonical lowercase)
}

TEST_CASE("runs are numbered once each, also across reopening") {
  TempDir dir;
  std::int64_t first = 0;
  std::int64_t second = 0;
  {
    SqliteStore store(options_for(dir.db()));
    first = store.begin_run(1);
    second = store.begin_run(2);
  }
  CHECK(first > 0);
  CHECK(second > first);
  {
    // Even with the newest run's row gone, its number is never given again.
    SQLite::Database raw(dir.db().string(), SQLite::OPEN_READWRITE);
    raw.exec("DELETE FROM runs WHERE id = " + std::to_string(second));
  }
  SqliteStore store(options_for(dir.db()));
  CHECK(store.begin_run(3) > second);
}

TEST_CASE_TEMPLATE("GuestCidReplay: a guest's and an account's messages under one name are different senders", Backend, SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  auto guest = message("lobby", 0, "bob", "c1");
  guest.sender_id = -(std::int64_t{2} << 32);
  const auto account = message("lobby", 0, "bob", "c1");
  using E = std::vector<std::pair<Status, std::int64_t>>;
  CHECK(summary(f.store.append_messages(std::vector{guest, account, guest})) ==
        E{{Status::stored, 11}, {Status::stored, 12}, {Status::duplicate, 11}});
  CHECK(f.store.find_client_message("lobby", guest.sender_id, "c1") == 11);
  CHECK(f.store.find_client_message("lobby", account.sender_id, "c1") == 12);
  const auto page = f.store.history("lobby", std::nullopt, std::nullopt, 2);
  REQUIRE(page.size() == 2);
  CHECK(page[0].sender == "bob");
  CHECK(page[0].sender_id == guest.sender_id);
  CHECK(page[1].sender_id == account.sender_id);
  const auto recent = f.store.recent_client_messages("lobby", 10);
  REQUIRE(recent.size() == 2);
  CHECK(recent[0].sender_id == guest.sender_id);
}

TEST_CASE_TEMPLATE("GuestNameTakeover: what waits for a guest is discarded, and is never an account's of its name", Backend, SqliteBackend, PostgresBackend) {
  Backend backend;
  const auto opened = backend.open();
  Store& store = *opened;
  auto to_guest = dm("alice", "bob", 1, "for the guest", "d1");
  to_guest.recipient_id = -(std::int64_t{2} << 32);
  auto to_other_guest = dm("alice", "carol", 2, "for another guest", std::nullopt);
  to_other_guest.recipient_id = -(std::int64_t{3} << 32);
  const auto stored = store.store_direct_message(to_guest);
  store.store_direct_message(to_other_guest);
  const auto to_account = store.store_direct_message(dm("alice", "bob", 3, "for the account", "d1"));
  CHECK_FALSE(to_account.duplicate);  // the same cid, another recipient
  CHECK(store.undelivered_direct_messages(principal_of("bob"), 10).size() == 1);
  CHECK(store.discard_undelivered_direct_messages(to_guest.recipient_id) == 1);
  CHECK(store.undelivered_direct_messages(to_guest.recipient_id, 10).empty());
  CHECK(store.undelivered_direct_messages(principal_of("bob"), 10).size() == 1);
  CHECK(store.discard_undelivered_to_guests() == 1);  // carol's
  CHECK(store.undelivered_direct_messages(to_other_guest.recipient_id, 10).empty());
  CHECK(store.undelivered_direct_messages(principal_of("bob"), 10).size() == 1);
  CHECK(stored.message.id != to_account.message.id);
}

TEST_CASE("migrating to principal ids: a message from before its sender's name was an account's was a guest's") {
  TempDir dir;
  {
    // Rows as a server of schema 2 wrote them: names only. Guest "bob" wrote at 100, the account bob exists
    // from 150 on; "zed" was only ever a guest.
    SQLite::Database raw(dir.db().string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(raw, 2);
    raw.exec(R"sql(
INSERT INTO users (name, password_hash, created_ms) VALUES ('alice', 'h', 10), ('bob', 'h', 150);
INSERT INTO rooms (name, owner, created_ms) VALUES ('lobby', 'alice', 20);
INSERT INTO messages (room_id, seq, sender, ts_ms, text, client_id) VALUES
  (1, 1, 'alice', 30, 'hi', 'c1'), (1, 2, 'bob', 100, 'guest bob', 'c1'), (1, 3, 'bob', 200, 'account bob', 'c2'),
  (1, 4, 'zed', 210, 'guest zed', 'c1');
INSERT INTO direct_messages (sender, recipient, ts_ms, text, client_id, delivered) VALUES
  ('alice', 'bob', 90, 'to guest bob', 'd1', 0), ('alice', 'bob', 160, 'to account bob', 'd2', 0),
  ('zed', 'alice', 220, 'from guest zed', NULL, 0);
)sql");
  }
  SqliteStore store(options_for(dir.db()));
  CHECK(store.integrity_check() == "ok");
  const auto alice = store.find_user("alice")->id;
  const auto bob = store.find_user("bob")->id;
  const auto page = store.history("lobby", std::nullopt, std::nullopt, 10);
  REQUIRE(page.size() == 4);
  CHECK(page[0].sender_id == alice);
  CHECK(is_guest_principal(page[1].sender_id));
  CHECK(page[2].sender_id == bob);
  CHECK(is_guest_principal(page[3].sender_id));
  CHECK(page[3].sender_id != page[1].sender_id);  // one guest per name
  // Each client id is found under its own sender only: the guest's c1 is not the account's.
  CHECK(store.find_client_message("lobby", bob, "c2") == 3);
  CHECK_FALSE(store.find_client_message("lobby", bob, "c1"));
  CHECK(store.find_client_message("lobby", page[1].sender_id, "c1") == 2);
  // Only what was written to the account waits for it; the guest's message is not its.
  const auto waiting = store.undelivered_direct_messages(bob, 10);
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].text == "to account bob");
  const auto for_alice = store.undelivered_direct_messages(alice, 10);
  REQUIRE(for_alice.size() == 1);
  CHECK(is_guest_principal(for_alice[0].sender_id));
  CHECK(store.discard_undelivered_to_guests() == 1);  // "to guest bob"
  // Guests of later runs never get a legacy guest's id.
  CHECK(-store.begin_run(1) * (std::int64_t{1} << 32) < page[3].sender_id);
}

TEST_CASE("migrating to message kinds: what was stored before reads as text, and new rows keep their kind") {
  TempDir dir;
  {
    // Rows as a server of schema 4 wrote them, before messages had a kind.
    SQLite::Database raw(dir.db().string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(raw, 4);
    raw.exec(R"sql(
INSERT INTO users (name, password_hash, created_ms) VALUES ('alice', 'h', 10), ('bob', 'h', 11);
INSERT INTO rooms (name, owner, created_ms) VALUES ('lobby', 'alice', 20);
INSERT INTO messages (room_id, seq, sender, sender_id, ts_ms, text, client_id) VALUES
  (1, 1, 'alice', 1, 30, 'hi', 'c1');
INSERT INTO direct_messages (sender, sender_id, recipient, recipient_id, ts_ms, text) VALUES
  ('alice', 1, 'bob', 2, 40, 'psst');
)sql");
  }
  SqliteStore store(options_for(dir.db()));
  {
    SQLite::Database raw(dir.db().string(), SQLite::OPEN_READONLY);
    CHECK(raw.execAndGet("PRAGMA user_version").getInt() == current_schema_version());
  }
  CHECK(store.integrity_check() == "ok");
  const auto old = store.history("lobby", std::nullopt, std::nullopt, 10);
  REQUIRE(old.size() == 1);
  CHECK(old[0].kind == MessageKind::text);
  const auto old_dm = store.undelivered_direct_messages(2, 10);
  REQUIRE(old_dm.size() == 1);
  CHECK(old_dm[0].kind == MessageKind::text);

  auto action = message("lobby", 0, "alice", "c2");
  action.sender_id = 1;
  action.kind = MessageKind::action;
  REQUIRE(store.append_messages(std::vector{action}).front().status == Status::stored);
  const auto page = store.history("lobby", std::nullopt, std::nullopt, 10);
  REQUIRE(page.size() == 2);
  CHECK(page[1].kind == MessageKind::action);
  CHECK(store.replay("lobby", 0, 2, 10).back().kind == MessageKind::action);
  // The old client id is still the old message's.
  CHECK(store.find_client_message("lobby", 1, "c1") == 1);

  DirectMessageRecord shrug{0, "alice", 1, "bob", 2, 50, "shrugs", "d1", MessageKind::action};
  const auto stored = store.store_direct_message(shrug);
  CHECK(stored.message.kind == MessageKind::action);
  CHECK(store.store_direct_message(shrug).message.kind == MessageKind::action);  // the duplicate, read back
  const auto waiting = store.undelivered_direct_messages(2, 10);
  REQUIRE(waiting.size() == 2);
  CHECK(waiting[0].kind == MessageKind::text);
  CHECK(waiting[1].kind == MessageKind::action);
}

TEST_CASE_TEMPLATE("rooms: create, conflict, owner membership, topic, last_seq", Backend, SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  CHECK_FALSE(f.store.create_room({"lobby", true, "other", "bob", 99, 0}));
  const auto lobby = f.store.find_room("lobby");
  REQUIRE(lobby);
  CHECK(lobby->owner == "alice");  // the conflicting create changed nothing
  CHECK(lobby->topic == "welcome");
  CHECK(lobby->last_seq == 10);
  CHECK_FALSE(f.store.find_room("nowhere"));

  CHECK(f.store.create_room({"empty", false, "", "bob", 20, 0}));
  CHECK(f.store.create_room({"ownerless", false, "", "", 21, 0}));
  const auto rooms = f.store.load_rooms();
  REQUIRE(rooms.size() == 3);
  CHECK(rooms[0].name == "lobby");
  CHECK(rooms[1].name == "empty");
  CHECK(rooms[1].last_seq == 0);

  const auto members = f.store.load_memberships();
  REQUIRE(members.size() == 2);  // owners alice (lobby) and bob (empty); ownerless has none
  CHECK(members[0].room == "empty");
  CHECK(members[0].user == "bob");
  CHECK(members[0].role == static_cast<int>(Role::owner));
  CHECK(members[1].room == "lobby");
  CHECK(members[1].user == "alice");
  CHECK(members[1].role == static_cast<int>(Role::owner));
  CHECK(members[1].joined_ms == 10);

  CHECK(f.store.set_topic("lobby", "new topic"));
  CHECK(f.store.find_room("lobby")->topic == "new topic");
  CHECK_FALSE(f.store.set_topic("nowhere", "x"));
}

TEST_CASE_TEMPLATE("memberships: add, change role, remove", Backend, SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  f.store.upsert_member("lobby", "bob", static_cast<int>(Role::member), 100);
  f.store.upsert_member("lobby", "bob", static_cast<int>(Role::moderator), 200);
  auto members = f.store.load_memberships();
  REQUIRE(members.size() == 2);
  CHECK(members[1].user == "bob");
  CHECK(members[1].role == static_cast<int>(Role::moderator));
  CHECK(members[1].joined_ms == 100);  // a role change is not a new join

  CHECK_THROWS_AS(f.store.upsert_member("nowhere", "bob", 0, 1), StorageError);
  CHECK_THROWS_AS(f.store.upsert_member("lobby", "bob", 7, 1), StorageError);  // not a role

  CHECK(f.store.remove_member("lobby", "bob"));
  CHECK_FALSE(f.store.remove_member("lobby", "bob"));
  CHECK_FALSE(f.store.remove_member("nowhere", "bob"));
  CHECK(f.store.load_memberships().size() == 1);
}

TEST_CASE_TEMPLATE("bans and invites: add, replace, remove", Backend, SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  f.store.add_ban({"lobby", "mallory", "alice", "spam", 1});
  f.store.add_ban({"lobby", "mallory", "bob", "flood", 2});  // replaces
  f.store.add_ban({"lobby", "trudy", "alice", "", 3});
  auto bans = f.store.load_bans();
  REQUIRE(bans.size() == 2);
  CHECK(bans[0].user == "mallory");
  CHECK(bans[0].by == "bob");
  CHECK(bans[0].reason == "flood");
  CHECK(bans[0].created_ms == 2);
  CHECK(f.store.remove_ban("lobby", "mallory"));
  CHECK_FALSE(f.store.remove_ban("lobby", "mallory"));
  CHECK(f.store.load_bans().size() == 1);
  CHECK_THROWS_AS(f.store.add_ban({"nowhere", "x", "y", "", 1}), StorageError);

  f.store.add_invite({"lobby", "carol", "alice", 5});
  f.store.add_invite({"lobby", "carol", "bob", 6});
  auto invites = f.store.load_invites();
  REQUIRE(invites.size() == 1);
  CHECK(invites[0].room == "lobby");
  CHECK(invites[0].by == "bob");
  CHECK(invites[0].created_ms == 6);
  CHECK(f.store.remove_invite("lobby", "carol"));
  CHECK_FALSE(f.store.remove_invite("lobby", "carol"));
  CHECK(f.store.load_invites().empty());
}

TEST_CASE_TEMPLATE("load_room_state: one room's record, members, bans and invites, none of another's", Backend,
                   SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  REQUIRE(f.store.create_room({"den", true, "quiet", "bob", 20, 0}));
  f.store.upsert_member("lobby", "bob", static_cast<int>(Role::moderator), 100);
  f.store.add_ban({"lobby", "mallory", "alice", "spam", 1});
  f.store.add_ban({"den", "trudy", "bob", "", 2});
  f.store.add_invite({"lobby", "carol", "alice", 5});
  f.store.add_invite({"den", "dave", "bob", 6});

  const auto lobby = f.store.load_room_state("lobby");
  REQUIRE(lobby);
  CHECK(lobby->room.name == "lobby");
  CHECK(lobby->room.topic == "welcome");
  CHECK(lobby->room.owner == "alice");
  CHECK(lobby->room.last_seq == 10);
  REQUIRE(lobby->members.size() == 2);
  CHECK(lobby->members[0].user == "alice");
  CHECK(lobby->members[0].role == static_cast<int>(Role::owner));
  CHECK(lobby->members[1].user == "bob");
  CHECK(lobby->members[1].role == static_cast<int>(Role::moderator));
  REQUIRE(lobby->bans.size() == 1);
  CHECK(lobby->bans[0].user == "mallory");
  CHECK(lobby->bans[0].by == "alice");
  CHECK(lobby->bans[0].reason == "spam");
  REQUIRE(lobby->invites.size() == 1);
  CHECK(lobby->invites[0].user == "carol");

  const auto den = f.store.load_room_state("den");
  REQUIRE(den);
  CHECK(den->room.is_private);
  CHECK(den->room.last_seq == 0);
  REQUIRE(den->members.size() == 1);
  CHECK(den->members[0].user == "bob");
  REQUIRE(den->bans.size() == 1);
  CHECK(den->bans[0].user == "trudy");
  REQUIRE(den->invites.size() == 1);
  CHECK(den->invites[0].user == "dave");

  CHECK_FALSE(f.store.load_room_state("nowhere"));
}

TEST_CASE_TEMPLATE("history pages backward, forward and between bounds", Backend, SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  REQUIRE(f.store.create_room({"other", false, "", "bob", 1, 0}));
  f.store.append_messages(std::vector{message("other", 1), message("other", 2)});

  CHECK(seqs(f.store.history("lobby", std::nullopt, std::nullopt, 3)) == range(8, 10));  // newest
  CHECK(seqs(f.store.history("lobby", std::nullopt, std::nullopt, 100)) == range(1, 10));
  CHECK(seqs(f.store.history("lobby", 5, std::nullopt, 3)) == range(2, 4));  // before, exclusive
  CHECK(seqs(f.store.history("lobby", 3, std::nullopt, 10)) == range(1, 2));
  CHECK(seqs(f.store.history("lobby", std::nullopt, 2, 3)) == range(3, 5));  // after, exclusive
  CHECK(seqs(f.store.history("lobby", std::nullopt, 7, 10)) == range(8, 10));
  CHECK(seqs(f.store.history("lobby", 6, 2, 10)) == range(3, 5));  // between
  CHECK(seqs(f.store.history("lobby", 6, 2, 2)) == range(3, 4));
  CHECK(f.store.history("lobby", std::nullopt, 10, 5).empty());
  CHECK(f.store.history("lobby", 1, std::nullopt, 5).empty());
  CHECK(f.store.history("lobby", std::nullopt, std::nullopt, 0).empty());
  CHECK(f.store.history("nowhere", std::nullopt, std::nullopt, 5).empty());
  CHECK(seqs(f.store.history("other", std::nullopt, std::nullopt, 5)) == range(1, 2));

  const auto page = f.store.history("lobby", std::nullopt, 3, 1);
  REQUIRE(page.size() == 1);
  CHECK(page[0].room == "lobby");
  CHECK(page[0].sender == "alice");
  CHECK(page[0].ts_ms == message("lobby", 4).ts_ms);
  CHECK(page[0].text == "text 4");
  CHECK_FALSE(page[0].client_id);
}

TEST_CASE_TEMPLATE("replay returns the most recent messages within (since, up_to]", Backend, SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  CHECK(seqs(f.store.replay("lobby", 2, 9, 3)) == range(7, 9));
  CHECK(seqs(f.store.replay("lobby", 2, 9, 100)) == range(3, 9));
  CHECK(seqs(f.store.replay("lobby", 0, 100, 100)) == range(1, 10));
  CHECK(f.store.replay("lobby", 5, 5, 10).empty());
  CHECK(f.store.replay("lobby", 6, 5, 10).empty());
  CHECK(f.store.replay("lobby", 10, 20, 10).empty());
  CHECK(f.store.replay("lobby", 0, 10, 0).empty());
}

TEST_CASE_TEMPLATE("append_messages gives each room its next seqs, all or nothing", Backend, SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  REQUIRE(f.store.create_room({"other", false, "", "bob", 1, 0}));
  // The seq a record carries is ignored: the store counts per room.
  using E = std::vector<std::pair<Status, std::int64_t>>;
  CHECK(summary(f.store.append_messages(std::vector{message("lobby", 99), message("other", 99), message("lobby", 5)})) ==
        E{{Status::stored, 11}, {Status::stored, 1}, {Status::stored, 12}});
  CHECK(seqs(f.store.history("lobby", std::nullopt, 10, 10)) == range(11, 12));

  try {
    f.store.append_messages(std::vector{message("lobby", 0), message("nowhere", 1)});
    FAIL("an unknown room must throw");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("nowhere") != std::string::npos);  // the error names its subject
  }
  CHECK(f.store.message_count() == 13);  // the lobby message before it was rolled back too

  // A record the database refuses rolls the whole batch back, and its seqs are given to the next messages.
  f.backend.poison(PoisonMode::abort_statement);
  CHECK_THROWS_AS(f.store.append_messages(std::vector{message("lobby", 0), poison("lobby")}), StorageError);
  CHECK(f.store.find_room("lobby")->last_seq == 12);
  CHECK(summary(f.store.append_messages(std::vector{message("lobby", 0)})) == E{{Status::stored, 13}});
  CHECK(f.store.append_messages({}).empty());
  CHECK(f.store.message_count() == 14);
}

TEST_CASE_TEMPLATE("a client id is stored once per room and sender; a retry gets the original's seq and takes none", Backend, SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  using E = std::vector<std::pair<Status, std::int64_t>>;
  CHECK(summary(f.store.append_messages(std::vector{message("lobby", 0, "alice", "c1")})) == E{{Status::stored, 11}});
  // A retry, also long after the server forgot it: nothing written, the original's seq, no seq used.
  CHECK(summary(f.store.append_messages(std::vector{message("lobby", 0, "alice", "c1")})) ==
        E{{Status::duplicate, 11}});
  CHECK(f.store.message_count() == 11);
  // The same client id from another sender, or in another room, is a different message.
  CHECK(summary(f.store.append_messages(std::vector{message("lobby", 0, "bob", "c1")})) == E{{Status::stored, 12}});
  REQUIRE(f.store.create_room({"other", false, "", "bob", 1, 0}));
  CHECK(summary(f.store.append_messages(std::vector{message("other", 0, "alice", "c1")})) == E{{Status::stored, 1}});
  // A retry in the same batch as its original; messages without client id never conflict.
  CHECK(summary(f.store.append_messages(std::vector{message("lobby", 0, "alice", "c2"), message("lobby", 0),
                                                    message("lobby", 0, "alice", "c2"), message("lobby", 0)})) ==
        E{{Status::stored, 13}, {Status::stored, 14}, {Status::duplicate, 13}, {Status::stored, 15}});

  CHECK(f.store.find_client_message("lobby", principal_of("alice"), "c1") == 11);
  CHECK(f.store.find_client_message("lobby", principal_of("bob"), "c1") == 12);
  CHECK(f.store.find_client_message("other", principal_of("alice"), "c1") == 1);
  CHECK_FALSE(f.store.find_client_message("lobby", principal_of("alice"), "c3"));
  CHECK_FALSE(f.store.find_client_message("nowhere", principal_of("alice"), "c1"));

  f.store.append_messages(std::vector{message("lobby", 0, "alice", "c3")});
  const auto recent = f.store.recent_client_messages("lobby", 2);
  REQUIRE(recent.size() == 2);
  CHECK(recent[0].seq == 13);
  CHECK(recent[0].client_id == "c2");
  CHECK(recent[1].seq == 16);
  CHECK(recent[1].sender_id == principal_of("alice"));
  CHECK(f.store.recent_client_messages("lobby", 100).size() == 4);  // 11, 12, 13, 16
  CHECK(f.store.recent_client_messages("lobby", 0).empty());
}

TEST_CASE_TEMPLATE("append_messages_individually rejects bad records alone; they take no seq", Backend, SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  f.backend.poison(PoisonMode::abort_statement);
  const std::vector batch{message("lobby", 0), message("nowhere", 1), poison("lobby"),
                          message("lobby", 0, "alice", "c"), message("lobby", 0, "alice", "c")};
  const auto outcome = f.store.append_messages_individually(batch);
  using E = std::vector<std::pair<Status, std::int64_t>>;
  CHECK(summary(outcome) == E{{Status::stored, 11}, {Status::failed, 0}, {Status::failed, 0}, {Status::stored, 12},
                              {Status::duplicate, 12}});
  CHECK(outcome[1].error.find("nowhere") != std::string::npos);
  CHECK(outcome[2].error.find("poisoned") != std::string::npos);
  CHECK(f.store.message_count() == 12);
  CHECK(seqs(f.store.history("lobby", std::nullopt, 10, 10)) == range(11, 12));
}

TEST_CASE_TEMPLATE("a transaction that fails as a whole stores nothing and takes no seq", Backend, SqliteBackend, PostgresBackend) {
  Fixture<Backend> f;
  f.backend.poison(PoisonMode::rollback_transaction);
  CHECK_THROWS_AS(f.store.append_messages_individually(std::vector{message("lobby", 0), poison("lobby")}),
                  StorageError);
  CHECK(f.store.message_count() == 10);
  CHECK(f.store.append_messages(std::vector{message("lobby", 0)})[0].seq == 11);
}

TEST_CASE_TEMPLATE("direct messages: ids, client-id de-duplication, delivery", Backend, SqliteBackend, PostgresBackend) {
  Backend backend;
  const auto opened = backend.open();
  Store& store = *opened;
  const auto first = store.store_direct_message(dm("alice", "bob", 1, "one", "a1"));
  CHECK_FALSE(first.duplicate);
  CHECK(first.message.id > 0);
  CHECK(first.message.text == "one");
  const auto second = store.store_direct_message(dm("alice", "bob", 2, "two", std::nullopt));
  CHECK(second.message.id > first.message.id);
  const auto retried = store.store_direct_message(dm("alice", "bob", 3, "one again", "a1"));
  CHECK(retried.duplicate);
  CHECK(retried.message.id == first.message.id);
  CHECK(retried.message.text == "one");  // the stored message, not the retry
  CHECK(retried.message.ts_ms == 1);
  CHECK(retried.message.client_id == "a1");
  CHECK_FALSE(store.store_direct_message(dm("carol", "bob", 4, "three", "a1")).duplicate);  // other sender
  const auto to_dave = store.store_direct_message(dm("alice", "dave", 4, "for dave", "a1"));  // other recipient
  CHECK_FALSE(to_dave.duplicate);
  CHECK(to_dave.message.id != first.message.id);
  CHECK_FALSE(store.store_direct_message(dm("alice", "bob", 5, "four", std::nullopt)).duplicate);
  const auto to_carol = store.store_direct_message(dm("bob", "carol", 6, "for carol", std::nullopt));

  auto backlog = store.undelivered_direct_messages(principal_of("bob"), 100);
  REQUIRE(backlog.size() == 4);
  CHECK(backlog[0].id == first.message.id);
  CHECK(backlog[0].sender == "alice");
  CHECK(backlog[0].recipient == "bob");
  CHECK(std::is_sorted(backlog.begin(), backlog.end(), [](auto& a, auto& b) { return a.id < b.id; }));
  CHECK(store.undelivered_direct_messages(principal_of("bob"), 2).size() == 2);  // oldest first, limited
  CHECK(store.undelivered_direct_messages(principal_of("bob"), 2)[1].id == second.message.id);
  CHECK(store.undelivered_direct_messages(principal_of("bob"), 0).empty());
  CHECK(store.count_undelivered_direct_messages(principal_of("bob"), 1000) == 4);
  CHECK(store.count_undelivered_direct_messages(principal_of("bob"), 3) == 3);  // counted up to the limit
  CHECK(store.count_undelivered_direct_messages(principal_of("bob"), 0) == 0);
  CHECK(store.count_undelivered_direct_messages(principal_of("erin"), 1000) == 0);

  // Exactly the ids given: an older message still undelivered stays so.
  const std::vector<std::int64_t> second_only{backlog[1].id};
  CHECK(store.mark_delivered(principal_of("bob"), second_only) == 1);
  CHECK(store.mark_delivered(principal_of("bob"), second_only) == 0);  // already delivered
  backlog = store.undelivered_direct_messages(principal_of("bob"), 100);
  REQUIRE(backlog.size() == 3);
  CHECK(backlog[0].id == first.message.id);
  CHECK(backlog[1].text == "three");
  const std::vector<std::int64_t> two{backlog[0].id, backlog[2].id};
  CHECK(store.mark_delivered(principal_of("bob"), two) == 2);
  REQUIRE(store.undelivered_direct_messages(principal_of("bob"), 100).size() == 1);
  CHECK(store.count_undelivered_direct_messages(principal_of("bob"), 1000) == 1);  // delivered ones are not counted
  CHECK(store.undelivered_direct_messages(principal_of("bob"), 100)[0].text == "three");
  const std::vector<std::int64_t> carols{to_carol.message.id};
  CHECK(store.mark_delivered(principal_of("bob"), carols) == 0);  // another recipient's message is not bob's
  CHECK(store.undelivered_direct_messages(principal_of("carol"), 100).size() == 1);
  CHECK(store.mark_delivered(principal_of("carol"), carols) == 1);
  CHECK(store.undelivered_direct_messages(principal_of("carol"), 100).empty());
}

TEST_CASE("reads do not wait for another connection's open write transaction") {
  Fixture<SqliteBackend> f;
  SQLite::Database other(f.backend.dir.db().string(), SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  other.exec("INSERT INTO messages (room_id, seq, sender, ts_ms, text) SELECT id, 11, 'bob', 1, 'x' FROM rooms");
  // Were readers blocked, these would throw SQLITE_BUSY once the busy timeout ran out.
  CHECK(f.store.history("lobby", std::nullopt, std::nullopt, 100).size() == 10);  // uncommitted row invisible
  CHECK(f.store.message_count() == 10);
  other.exec("COMMIT");
  CHECK(f.store.message_count() == 11);
}

TEST_CASE("checkpoint empties the WAL; integrity_check reports ok") {
  Fixture<SqliteBackend> f;
  const auto wal = std::filesystem::path(f.backend.dir.db().string() + "-wal");
  REQUIRE(std::filesystem::exists(wal));
  CHECK(std::filesystem::file_size(wal) > 0);
  CHECK(f.store.checkpoint());
  CHECK(std::filesystem::file_size(wal) == 0);
  CHECK(dynamic_cast<SqliteStore&>(f.store).integrity_check() == "ok");
  CHECK(f.store.message_count() == 10);
}

// --- PostgreSQL: several servers on one database ---

TEST_CASE("servers sharing a database: a room's seqs stay gapless and unique, client ids stored once") {
  PostgresBackend backend;
  PostgresStore first(backend.url, 1);
  PostgresStore second(backend.url, 1);
  REQUIRE(first.create_room({"lobby", false, "", "", 1, 0}));
  REQUIRE(second.find_room("lobby"));  // what one writes, the other reads
  CHECK_FALSE(second.create_room({"lobby", false, "", "", 2, 0}));  // a name is taken for both
  REQUIRE(first.create_user({"alice", "h", 1}));
  CHECK_FALSE(second.create_user({"alice", "h", 2}));
  CHECK(second.begin_run(1) != first.begin_run(1));

  // Both append to the room at once, in batches; every fifth message is sent to both servers (a client that
  // retried through another one): it is stored once, and both hear its one seq.
  constexpr int kBatches = 40;
  constexpr int kPerBatch = 25;
  std::vector<std::vector<AppendOutcome>> outcomes(2);
  auto run = [&](PostgresStore& store, int who) {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<MessageRecord> batch;
      for (int i = 0; i < kPerBatch; ++i) {
        const int n = b * kPerBatch + i;
        auto record = message("lobby", 0, "alice", n % 5 == 0 ? "shared-" + std::to_string(n)
                                                              : std::to_string(who) + "-" + std::to_string(n));
        batch.push_back(record);
      }
      auto outcome = store.append_messages(batch);
      outcomes[static_cast<std::size_t>(who)].insert(outcomes[static_cast<std::size_t>(who)].end(), outcome.begin(),
                                                     outcome.end());
    }
  };
  // Meanwhile the first store also serves reads from other threads (its reader pool beside its writer).
  std::atomic<bool> appending{true};
  std::atomic<int> reads{0};
  auto read = [&] {
    while (appending.load()) {
      const auto page = first.history("lobby", std::nullopt, std::nullopt, 50);
      CHECK(std::is_sorted(page.begin(), page.end(), [](auto& x, auto& y) { return x.seq < y.seq; }));
      CHECK(first.message_count() >= static_cast<std::int64_t>(page.size()));
      ++reads;
    }
  };
  std::thread reader_a(read);
  std::thread reader_b(read);
  std::thread a(run, std::ref(first), 0);
  std::thread b(run, std::ref(second), 1);
  a.join();
  b.join();
  appending = false;
  reader_a.join();
  reader_b.join();
  CHECK(reads.load() > 0);

  std::vector<std::int64_t> stored;
  for (int who = 0; who < 2; ++who) {
    for (std::size_t i = 0; i < outcomes[static_cast<std::size_t>(who)].size(); ++i) {
      const auto& one = outcomes[static_cast<std::size_t>(who)][i];
      REQUIRE(one.status != Status::failed);
      if (one.status == Status::stored) stored.push_back(one.seq);
    }
  }
  // Each server stored its own messages and one of each shared pair; the other of each pair is a duplicate.
  constexpr int kShared = kBatches * kPerBatch / 5;
  REQUIRE(stored.size() == static_cast<std::size_t>(2 * kBatches * kPerBatch - kShared));
  std::sort(stored.begin(), stored.end());
  CHECK(stored == range(1, static_cast<std::int64_t>(stored.size())));  // gapless, none twice
  for (std::size_t i = 0; i < outcomes[0].size(); i += 5) {
    CHECK(outcomes[0][i].seq == outcomes[1][i].seq);  // both hear the shared message's one seq
  }
  CHECK(first.find_room("lobby")->last_seq == static_cast<std::int64_t>(stored.size()));
  CHECK(second.message_count() == static_cast<std::int64_t>(stored.size()));
}

TEST_CASE("the node directory: a guest name and an account exclude each other across servers; a dead node's "
          "claims and what waited for its guests go with it") {
  PostgresBackend backend;
  PostgresStore first(backend.url, 1);
  PostgresStore second(backend.url, 1);
  NodeDirectory& one = *first.node_directory();
  NodeDirectory& two = *second.node_directory();
  CHECK_FALSE(one.heartbeat("node-1"));  // new
  CHECK(one.heartbeat("node-1"));        // listed
  CHECK_FALSE(two.heartbeat("node-2"));

  REQUIRE(one.claim_guest_name("carol", "node-1", -5));
  CHECK_FALSE(two.claim_guest_name("carol", "node-2", -6));  // another guest
  CHECK_FALSE(second.create_user({"carol", "h", 1}));        // an account
  CHECK(two.guest_named("carol") == -5);
  REQUIRE(second.create_user({"dave", "h", 1}));
  CHECK_FALSE(one.claim_guest_name("dave", "node-1", -7));   // an account's name is no guest's
  CHECK(one.guests_of("node-1") == std::vector<std::pair<std::string, PrincipalId>>{{"carol", -5}});

  // Concurrently, one name: a guest on one server, an account on the other — exactly one of them gets it.
  for (int i = 0; i < 20; ++i) {
    const auto name = "race" + std::to_string(i);
    bool claimed = false;
    std::optional<PrincipalId> account;
    std::thread guest([&] { claimed = one.claim_guest_name(name, "node-1", -100 - i); });
    account = second.create_user({name, "h", 1});
    guest.join();
    CHECK(claimed != account.has_value());
  }

  two.release_guest_name("carol", -6);  // not its holder: nothing
  CHECK(one.guest_named("carol") == -5);
  one.release_guest_name("carol", -5);
  CHECK_FALSE(one.guest_named("carol"));
  REQUIRE(two.claim_guest_name("carol", "node-2", -6));

  // node-2 dies (no more heartbeats) with its guest, to whom a message waits.
  first.store_direct_message({0, "dave", 1, "carol", -6, 1, "for the guest", std::nullopt});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A node never expires itself, however late its own heartbeat.
  CHECK(one.expire_nodes("node-1", std::chrono::milliseconds(200)) == std::vector<std::string>{"node-2"});
  CHECK(one.heartbeat("node-1"));
  CHECK_FALSE(one.guest_named("carol"));
  CHECK(first.count_undelivered_direct_messages(-6, 10) == 0);
  CHECK(one.expire_nodes("node-1", std::chrono::milliseconds(200)).empty());
  CHECK_FALSE(two.heartbeat("node-2"));  // it was taken for dead
  two.leave("node-2");

  // A claim lists its node again: a node taken for dead claims its guests' names back before its heartbeat.
  REQUIRE(two.claim_guest_name("zed", "node-2", -10));
  CHECK(one.expire_nodes("node-1", std::chrono::hours(1)).empty());
  CHECK(two.guest_named("zed") == -10);
  CHECK(two.heartbeat("node-2"));

  one.leave("node-1");
  CHECK(one.guests_of("node-1").empty());
  CHECK(one.claim_guest_name("race0", "node-2", -9) == !second.find_user("race0"));
}

TEST_CASE("PostgreSQL stopped and started: writes fail as a fault, then recover() and reads work again") {
  chat::test::PostgresProcess server;  // its own, to stop
  const std::string url = server.create_database();
  PostgresStore store(url, 1);
  REQUIRE(store.create_room({"lobby", false, "", "", 1, 0}));
  REQUIRE(store.append_messages(std::vector{message("lobby", 0)})[0].seq == 1);

  server.stop();
  try {
    store.append_messages(std::vector{message("lobby", 0)});
    FAIL("a write with the database gone must throw");
  } catch (const StorageError& e) {
    CHECK(e.is_fault());
  }
  CHECK(store.writes_failing());
  CHECK_FALSE(store.recover());  // still gone
  CHECK_THROWS_AS(store.message_count(), StorageError);

  server.start();
  CHECK(store.recover());
  CHECK_FALSE(store.writes_failing());
  CHECK(store.health().recoveries == 1);
  CHECK(store.append_messages(std::vector{message("lobby", 0)})[0].seq == 2);  // the failed one took no seq
  CHECK(store.message_count() == 2);  // the reader reconnected too
}

TEST_CASE("a PostgreSQL restart between two writes costs no write: the next one connects again and goes on") {
  chat::test::PostgresProcess server;
  const std::string url = server.create_database();
  PostgresStore store(url, 1);
  REQUIRE(store.create_room({"lobby", false, "", "", 1, 0}));
  REQUIRE(store.append_messages(std::vector{message("lobby", 0)})[0].seq == 1);
  server.stop();
  server.start();
  // Both connections were closed by the restart; the append's BEGIN and the read find out and connect again.
  CHECK(store.append_messages(std::vector{message("lobby", 0)})[0].seq == 2);
  CHECK(store.message_count() == 2);
  CHECK_FALSE(store.writes_failing());
  CHECK_FALSE(store.store_direct_message(dm("alice", "bob", 1, "after the restart", "d1")).duplicate);
}

TEST_CASE("a PostgreSQL url libpq cannot parse is refused without quoting it (it may hold a password)") {
  try {
    PostgresStore store("postgresql://chat:se%zzcret@127.0.0.1/chat", 1);
    FAIL("opening must throw");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("se%zzcret") == std::string::npos);
    CHECK(std::string(e.what()).find("neither a libpq URI") != std::string::npos);
  }
}

TEST_CASE("a PostgreSQL url that names no server is refused at opening, with the database named") {
  const auto port = chat::test::free_port();  // nothing listens there
  try {
    PostgresStore store("postgresql://chat:secret@127.0.0.1:" + std::to_string(port) + "/nowhere?connect_timeout=2", 1);
    FAIL("opening must throw");
  } catch (const StorageError& e) {
    const std::string what = e.what();
    CHECK(what.find("nowhere") != std::string::npos);
    CHECK(what.find("secret") == std::string::npos);  // never the password
    CHECK(e.is_fault());
  }
}
