// The command table schedules every op as docs/architecture.md ("Scheduling of requests") says it does.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "server/dispatch/command_table.hpp"

using chat::CommandTable;
using chat::OrderingKey;
using chat::Priority;

namespace {

struct Documented {
  Priority priority;
  OrderingKey key;
  std::string concurrency_class;
  bool on_reader;  // the priority cell begins "on the reader"
};

// The priority word of a cell: the cell, or what follows "on the reader; " in it.
Priority priority_named(std::string word) {
  constexpr std::string_view kOnReader = "on the reader; ";
  if (word.starts_with(kOnReader)) word = word.substr(kOnReader.size());
  word = word.substr(0, word.find(' '));
  if (word == "URGENT") return Priority::Urgent;
  if (word == "HIGH") return Priority::High;
  if (word == "NORMAL") return Priority::Normal;
  REQUIRE(word == "LOW");
  return Priority::Low;
}

OrderingKey key_described(const std::string& text) {
  if (text.starts_with("the room")) return OrderingKey::Room;
  if (text.starts_with("the connection")) return OrderingKey::Connection;
  if (text.starts_with("the recipient")) return OrderingKey::Recipient;
  if (text.starts_with("the name")) return OrderingKey::Name;
  REQUIRE(text.starts_with("none"));
  return OrderingKey::None;
}

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::stringstream stream(row);
  std::string cell;
  std::getline(stream, cell, '|');  // before the first bar
  while (std::getline(stream, cell, '|')) {
    const auto first = cell.find_first_not_of(' ');
    const auto last = cell.find_last_not_of(' ');
    out.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
  }
  return out;
}

// The words written `like this` in a cell that consist of `allowed` characters only.
std::vector<std::string> quoted_words(std::string_view text, std::string_view allowed) {
  std::vector<std::string> words;
  for (auto open = text.find('`'); open != std::string_view::npos; open = text.find('`', open)) {
    const auto close = text.find('`', open + 1);
    if (close == std::string_view::npos) break;
    const auto word = text.substr(open + 1, close - open - 1);
    if (!word.empty() && word.find_first_not_of(allowed) == std::string_view::npos) words.emplace_back(word);
    open = close + 1;
  }
  return words;
}

// op -> how the table in docs/architecture.md schedules it; rows that name no op (broadcast, flush) are skipped.
std::map<std::string, Documented> documented_schedule() {
  std::ifstream in(std::string(CHAT_SOURCE_DIR) + "/docs/architecture.md");
  REQUIRE(in.good());
  std::map<std::string, Documented> schedule;
  bool in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("| op | priority | ordering key")) {
      in_table = true;
      continue;
    }
    if (!in_table || line.starts_with("| ---")) continue;
    if (!line.starts_with("|")) break;
    const auto row = cells(line);
    REQUIRE(row.size() >= 4);
    if (!row[0].starts_with("`")) continue;
    constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz";
    const auto classes = quoted_words(row[3], std::string(kLower) + "_");
    const std::string klass = classes.empty() ? "" : classes.front();
    for (const auto& op : quoted_words(row[0], kLower)) {
      schedule[op] = Documented{priority_named(row[1]), key_described(row[2]), klass,
                                row[1].starts_with("on the reader")};
    }
  }
  return schedule;
}

}  // namespace

TEST_CASE("every op is scheduled as documented, and every op is documented") {
  const CommandTable table;
  const auto schedule = documented_schedule();
  REQUIRE(schedule.size() >= 20);
  for (const auto& [op, documented] : schedule) {
    INFO(op);
    const auto* command = table.find(op);
    REQUIRE(command != nullptr);
    CHECK(command->priority == documented.priority);
    CHECK(command->key == documented.key);
    CHECK(std::string(command->concurrency_class) == documented.concurrency_class);
    CHECK(command->runs_on_reader == documented.on_reader);
  }
  for (const char* op : {"ping", "register", "login", "guest", "logout", "create", "join", "leave", "rooms",
                         "members", "topic", "invite", "kick", "ban", "unban", "moderator", "send", "dm", "history",
                         "whois", "stats"}) {
    CHECK_MESSAGE(schedule.contains(op), op);
  }
}

TEST_CASE("moderation overtakes a flood: every moderation op is URGENT") {
  const CommandTable table;
  for (const char* op : {"invite", "kick", "ban", "unban", "moderator"}) {
    INFO(op);
    CHECK(table.find(op)->priority == Priority::Urgent);
  }
}
