#include "client/completer.hpp"

#include <algorithm>
#include <cctype>

#include "client/slash_commands.hpp"

namespace chat::client {
namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (prefix.size() > text.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

enum class Want { Commands, CommandNames, Rooms, Users, Addressee };

// What the word in argument position `index` of `command` should be.
Want wanted(std::string_view command, std::size_t index) {
  const SlashCommand* spec = find_command(command);
  if (!spec || spec->arguments().empty()) return Want::Users;
  const auto slots = spec->arguments();
  switch (slots[std::min(index, slots.size() - 1)]) {
    case ArgKind::Room:
    case ArgKind::OptRoom: return Want::Rooms;
    case ArgKind::OptCommand: return Want::CommandNames;
    default: return Want::Users;
  }
}

void add_matches(std::vector<std::string>& out, const auto& candidates, std::string_view prefix,
                 std::string_view decoration) {
  for (const auto& candidate : candidates) {
    if (starts_with_nocase(candidate, prefix)) out.push_back(std::string(decoration) + std::string(candidate));
  }
}

std::vector<std::string_view> command_names() {
  std::vector<std::string_view> names;
  for (const auto& spec : slash_commands()) {
    if (spec.scope != Scope::ScriptOnly) names.push_back(spec.name);
  }
  for (const auto& alias : command_aliases()) names.push_back(alias.alias);
  return names;
}

}  // namespace

std::vector<std::string> completions(std::string_view before, std::string_view word, const KnownNames& names,
                                     std::string_view room) {
  const auto words = split(before);
  Want want = Want::Users;
  if (words.empty() && word.starts_with('/')) {
    want = Want::Commands;
  } else if (words.empty() && !word.starts_with('#')) {
    want = Want::Addressee;
  } else if (word.starts_with('#')) {
    want = Want::Rooms;
  } else if (!words.empty() && words.front().starts_with('/')) {
    want = wanted(words.front().substr(1), words.size() - 1);
  }

  std::vector<std::string> out;
  switch (want) {
    case Want::Commands: add_matches(out, command_names(), word.substr(1), "/"); break;
    case Want::CommandNames: add_matches(out, command_names(), word, ""); break;
    case Want::Rooms: add_matches(out, names.rooms, word.starts_with('#') ? word.substr(1) : word, "#"); break;
    case Want::Users: add_matches(out, names.users, word, ""); break;
    case Want::Addressee: {
      const auto members = names.members.find(room);
      const bool known = members != names.members.end() && !members->second.empty();
      add_matches(out, known ? members->second : names.users, word, "");
      for (auto& nick : out) nick += ':';
      break;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace chat::client
