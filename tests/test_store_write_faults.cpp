// A disk that fills up under the SqliteStore, through a VFS that fails writes on demand (no mount needed): storage
// turns to failing, says why, and recovers by itself once writes fit again, without reopening.

#include <doctest/doctest.h>

#include <vector>

#include "server/storage/group_committer.hpp"
#include "server/storage/storage_error.hpp"
#include "server/storage/sqlite_store.hpp"
#include "tests/test_fault_vfs.hpp"
#include "tests/test_storage_support.hpp"

using namespace chat;
using chat::test::FullDiskVfs;
using chat::test::ManualScheduler;
using chat::test::message;
using chat::test::TempDir;
using State = StorageHealth::State;
using Status = AppendOutcome::Status;

namespace {

// Every connection of this binary goes through the test VFS.
const FullDiskVfs& vfs = FullDiskVfs::install();

StoreOptions options_for(const std::filesystem::path& path) {
  StoreOptions options;
  options.path = path;
  options.read_connections = 1;
  return options;
}

// The disk is full while it lives; a failed check cannot leave it full for the next test.
class FullDisk {
 public:
  FullDisk() : vfs_(FullDiskVfs::install()) { vfs_.set_full(true); }
  ~FullDisk() { vfs_.set_full(false); }
  FullDisk(const FullDisk&) = delete;
  FullDisk& operator=(const FullDisk&) = delete;
  void space_returns() { vfs_.set_full(false); }

 private:
  FullDiskVfs& vfs_;
};

// A store with room "lobby" holding message 1.
struct Fixture {
  TempDir dir;
  SqliteStore store{options_for(dir.db())};
  Fixture() {
    REQUIRE(store.create_room({"lobby", false, "", "alice", 1, 0}));
    REQUIRE(store.append_messages(std::vector{message("lobby", 0)}).at(0).seq == 1);
  }
};

}  // namespace

TEST_CASE("a full disk turns storage to failing, with the reason; a recovery pass ends it once space returns") {
  Fixture f;
  CHECK(f.store.health().state == State::ok);
  CHECK_FALSE(f.store.writes_failing());

  FullDisk disk;
  try {
    f.store.append_messages(std::vector{message("lobby", 0)});
    FAIL("an append on a full disk succeeded");
  } catch (const StorageError& e) {
    CHECK(e.is_fault());
  }
  auto health = f.store.health();
  CHECK(health.state == State::failing);
  CHECK(health.since_ms > 0);
  CHECK(health.reason == "database or disk is full");
  CHECK(health.last_error.find("append_messages") != std::string::npos);
  CHECK(health.failed_writes == 1);
  // Every kind of write counts, not only messages.
  CHECK_THROWS_AS(f.store.create_user({"carol", "hash", 1}), StorageError);
  CHECK(f.store.health().failed_writes == 2);
  CHECK_FALSE(f.store.recover());
  CHECK(f.store.writes_failing());

  disk.space_returns();
  // A write that happens to fit does not end the failure: only a recovery pass does, so the state cannot
  // flap with every write on a nearly full disk.
  CHECK(f.store.append_messages(std::vector{message("lobby", 0)}).at(0).seq == 2);
  CHECK(f.store.writes_failing());
  CHECK(f.store.recover());
  health = f.store.health();
  CHECK(health.state == State::ok);
  CHECK(health.recoveries == 1);
  CHECK(health.failed_writes == 2);
  CHECK(health.last_error.find("create_user") != std::string::npos);  // kept for the record
  CHECK(f.store.recover());  // nothing to do
  CHECK(f.store.health().recoveries == 1);

  CHECK(f.store.append_messages(std::vector{message("lobby", 0)}).at(0).seq == 3);
  CHECK(f.store.message_count() == 3);
  CHECK(f.store.integrity_check() == "ok");
}

TEST_CASE("a record the database refuses is no storage fault") {
  Fixture f;
  const auto outcome = f.store.append_messages_individually(std::vector{message("nowhere", 0)});
  CHECK(outcome.at(0).status == Status::failed);
  CHECK_THROWS_AS(f.store.append_messages(std::vector{message("nowhere", 0)}), StorageError);
  CHECK(f.store.health().state == State::ok);
  CHECK(f.store.health().failed_writes == 0);
}

TEST_CASE("a batch that fails for the storage fails whole at once, without a record-by-record retry") {
  Fixture f;
  ManualScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule());
  std::vector<Status> outcomes;
  FullDisk disk;
  for (int i = 0; i < 3; ++i) {
    committer.append(message("lobby", 0), [&](const AppendOutcome& outcome) { outcomes.push_back(outcome.status); });
  }
  scheduler.run();
  CHECK(outcomes == std::vector{Status::failed, Status::failed, Status::failed});
  CHECK(committer.stats().failed == 3);
  // One failed transaction: the retry one record at a time would only have failed again.
  CHECK(f.store.health().failed_writes == 1);
}

TEST_CASE("the final checkpoint on a full disk answers false instead of throwing") {
  Fixture f;
  FullDisk disk;
  bool done = true;
  CHECK_NOTHROW(done = f.store.checkpoint());
  CHECK_FALSE(done);
}

TEST_CASE("a database that cannot be written is refused at opening, naming the file") {
  TempDir dir;
  { SqliteStore store(options_for(dir.db())); }
  FullDisk disk;
  try {
    SqliteStore store(options_for(dir.db()));
    FAIL("a store opened on a full disk");
  } catch (const StorageError& e) {
    const std::string what = e.what();
    CHECK(what.find(dir.db().string()) != std::string::npos);
    CHECK(what.find("not writable") != std::string::npos);
    CHECK(what.find("database or disk is full") != std::string::npos);
  }
}
