// What the SqliteStore checks before it serves a file: its integrity (storage.check_at_start) and that it takes
// writes. A damaged file is refused, naming the file and SQLite's findings, unless the check is off.

#include <doctest/doctest.h>

#include "server/storage/storage_error.hpp"
#include "server/storage/sqlite_store.hpp"
#include "tests/test_damaged_database.hpp"
#include "tests/test_storage_support.hpp"

using namespace chat;
using chat::test::TempDir;

namespace {

StoreOptions options_for(const std::filesystem::path& path, StoreOptions::StartCheck check) {
  StoreOptions options;
  options.path = path;
  options.read_connections = 1;
  options.check_at_start = check;
  return options;
}

// A database with direct messages, damaged where start-up reads nothing: only a check finds it.
void make_damaged(const std::filesystem::path& path) {
  {
    SqliteStore store(options_for(path, StoreOptions::StartCheck::quick));
    for (int i = 0; i < 200; ++i) store.store_direct_message({0, "alice", 1, "bob", 2, i, std::string(200, 'x'), std::nullopt});
    REQUIRE(store.checkpoint());
  }
  chat::test::damage_table(path, "direct_messages");
}

}  // namespace

TEST_CASE("a damaged file is refused at opening, naming the file and what the check found") {
  for (const auto check : {StoreOptions::StartCheck::quick, StoreOptions::StartCheck::full}) {
    TempDir dir;
    make_damaged(dir.db());
    const char* name = check == StoreOptions::StartCheck::quick ? "quick_check" : "integrity_check";
    INFO(name);
    try {
      SqliteStore store(options_for(dir.db(), check));
      FAIL("a damaged file was opened");
    } catch (const StorageError& e) {
      const std::string what = e.what();
      CHECK(what.find("'" + dir.db().string() + "'") != std::string::npos);
      CHECK(what.find(std::string("failed its integrity check (") + name + ")") != std::string::npos);
      CHECK(what.find("btreeInitPage") != std::string::npos);  // SQLite's own finding
    }
  }
}

TEST_CASE("with the check off a damaged file opens, and the damage is there to find") {
  TempDir dir;
  make_damaged(dir.db());
  SqliteStore store(options_for(dir.db(), StoreOptions::StartCheck::off));
  std::string verdict;
  try {
    verdict = store.integrity_check();
  } catch (const StorageError& e) {
    verdict = e.what();  // depending on the page, SQLite reports the damage or stops at it
  }
  CHECK(verdict != "ok");
  CHECK_THROWS_AS(store.undelivered_direct_messages(2, 10), StorageError);
}

TEST_CASE("a healthy file passes the check, fresh or reopened") {
  TempDir dir;
  { SqliteStore store(options_for(dir.db(), StoreOptions::StartCheck::full)); }
  SqliteStore store(options_for(dir.db(), StoreOptions::StartCheck::quick));
  CHECK(store.integrity_check() == "ok");
}
