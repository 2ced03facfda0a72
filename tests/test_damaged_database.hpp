#pragma once
// A database damaged on purpose, the way a failing disk or a stray write would: one page of a table
// overwritten with garbage, in a table the server does not read at start-up, so that only an integrity
// check finds it.

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chat::test {

// Overwrites the header of `table`'s root page. The file must be closed by every connection and its WAL
// copied back (a clean shutdown does both), or the WAL would hide the damage.
inline void damage_table(const std::filesystem::path& db, std::string_view table) {
  std::int64_t page = 0;
  std::int64_t page_size = 0;
  {
    SQLite::Database raw(db.string(), SQLite::OPEN_READONLY);
    SQLite::Statement root(raw, "SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    root.bind(1, std::string(table));
    if (!root.executeStep()) throw std::runtime_error("no table " + std::string(table));
    page = root.getColumn(0).getInt64();
    page_size = raw.execAndGet("PRAGMA page_size").getInt64();
  }
  if (page < 2) throw std::runtime_error("the root page of " + std::string(table) + " is the header page");
  std::fstream file(db, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp((page - 1) * page_size);
  const std::string garbage(16, '\xff');  // 0xff is no page type
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  if (!file.flush()) throw std::runtime_error("cannot damage " + db.string());
}

}  // namespace chat::test
