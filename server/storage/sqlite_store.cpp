#include "server/storage/sqlite_store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "server/storage/sqlite_connection.hpp"
#include "server/storage/connection_pool.hpp"
#include "server/storage/sqlite_schema.hpp"
#include "server/storage/storage_error.hpp"
#include "server/storage/wal_checkpointer.hpp"
#include "server/storage/write_transaction.hpp"

namespace chat {
namespace {

constexpr std::string_view room_id_of = "(SELECT id FROM rooms WHERE name = ?1)";

// Runs fn, turning any failure into a StorageError whose message starts with context(). The context is built
// only on failure, keeping formatting off the success path.
template <typename Context, typename Fn>
auto with_context(Context&& context, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    rethrow_as_storage_error(context());
  }
}

void bind_text(SQLite::Statement& statement, int index, std::string_view value) {
  statement.bind(index, std::string(value));
}

void bind_optional_text(SQLite::Statement& statement, int index, const std::optional<std::string>& value) {
  if (value) {
    statement.bindNoCopy(index, *value);
  } else {
    statement.bind(index);
  }
}

std::int64_t sql_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
}

std::optional<std::string> optional_text(const SQLite::Statement& statement, int index) {
  if (statement.isColumnNull(index)) return std::nullopt;
  return statement.getColumn(index).getString();
}

// Column order: seq, sender, sender_id, ts_ms, text, client_id, kind.
constexpr std::string_view message_columns = "seq, sender, sender_id, ts_ms, text, client_id, kind";


MessageRecord read_message(const SQLite::Statement& statement, std::string_view room) {
  MessageRecord message;
  message.room = std::string(room);
  message.seq = statement.getColumn(0).getInt64();
  message.sender = statement.getColumn(1).getString();
  message.sender_id = statement.getColumn(2).getInt64();
  message.ts_ms = statement.getColumn(3).getInt64();
  message.text = statement.getColumn(4).getString();
  message.client_id = optional_text(statement, 5);
  message.kind = stored_message_kind(statement.getColumn(6).getInt64());
  return message;
}

// Column order: id, sender, sender_id, recipient, recipient_id, ts_ms, text, client_id, kind.
constexpr std::string_view direct_message_columns =
    "id, sender, sender_id, recipient, recipient_id, ts_ms, text, client_id, kind";

DirectMessageRecord read_direct_message(const SQLite::Statement& statement) {
  DirectMessageRecord message;
  message.id = statement.getColumn(0).getInt64();
  message.sender = statement.getColumn(1).getString();
  message.sender_id = statement.getColumn(2).getInt64();
  message.recipient = statement.getColumn(3).getString();
  message.recipient_id = statement.getColumn(4).getInt64();
  message.ts_ms = statement.getColumn(5).getInt64();
  message.text = statement.getColumn(6).getString();
  message.client_id = optional_text(statement, 7);
  message.kind = stored_message_kind(statement.getColumn(8).getInt64());
  return message;
}

// Column order: name, is_private, topic, owner, created_ms, last_seq.
constexpr std::string_view room_select =
    "SELECT r.name, r.is_private, r.topic, r.owner, r.created_ms,"
    " COALESCE((SELECT MAX(m.seq) FROM messages m WHERE m.room_id = r.id), 0) FROM rooms r";

RoomRecord read_room(const SQLite::Statement& statement) {
  RoomRecord room;
  room.name = statement.getColumn(0).getString();
  room.is_private = statement.getColumn(1).getInt() != 0;
  room.topic = statement.getColumn(2).getString();
  room.owner = statement.getColumn(3).getString();
  room.created_ms = statement.getColumn(4).getInt64();
  room.last_seq = statement.getColumn(5).getInt64();
  return room;
}

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (auto part : parts) text += part;
  return text;
}

// SQL built from the fragments above, once.
// The room's id and newest seq, read inside the appending transaction: the committed truth, so a seq is never
// given twice nor skipped (messages are never deleted).
const std::string room_head_sql =
    "SELECT id, COALESCE((SELECT MAX(seq) FROM messages WHERE room_id = rooms.id), 0) FROM rooms WHERE name = ?1";
// A retried client id hits the partial unique index and writes nothing; every other conflict still aborts.
const std::string insert_message_sql =
    "INSERT INTO messages (room_id, seq, sender, sender_id, ts_ms, text, client_id, kind)"
    " VALUES (?1, ?2, ?3, ?7, ?4, ?5, ?6, ?8)"
    " ON CONFLICT (room_id, sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING";
const std::string original_seq_sql =
    "SELECT seq FROM messages WHERE room_id = ?1 AND sender_id = ?2 AND client_id = ?3";
const std::string history_forward_sql =
    sql({"SELECT ", message_columns, " FROM messages WHERE room_id = ", room_id_of,
         " AND seq > ?2 AND seq < ?3 ORDER BY seq ASC LIMIT ?4"});
const std::string history_backward_sql =
    sql({"SELECT ", message_columns, " FROM messages WHERE room_id = ", room_id_of,
         " AND seq > ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4"});
const std::string replay_sql = sql({"SELECT ", message_columns, " FROM messages WHERE room_id = ", room_id_of,
                                    " AND seq > ?2 AND seq <= ?3 ORDER BY seq DESC LIMIT ?4"});
const std::string find_room_sql = sql({room_select, " WHERE r.name = ?1"});
const std::string load_rooms_sql = sql({room_select, " ORDER BY r.id"});
constexpr std::string_view memberships_select =
    "SELECT r.name, m.user, m.role, m.joined_ms FROM memberships m JOIN rooms r ON r.id = m.room_id";
constexpr std::string_view bans_select =
    "SELECT r.name, b.user, b.banned_by, b.reason, b.created_ms FROM bans b JOIN rooms r ON r.id = b.room_id";
constexpr std::string_view invites_select =
    "SELECT r.name, i.user, i.invited_by, i.created_ms FROM invites i JOIN rooms r ON r.id = i.room_id";

std::vector<MembershipRecord> read_memberships(SQLite::Statement& select) {
  std::vector<MembershipRecord> members;
  while (select.executeStep()) {
    members.push_back({select.getColumn(0).getString(), select.getColumn(1).getString(), select.getColumn(2).getInt(),
                       select.getColumn(3).getInt64()});
  }
  select.reset();
  return members;
}

std::vector<BanRecord> read_bans(SQLite::Statement& select) {
  std::vector<BanRecord> bans;
  while (select.executeStep()) {
    bans.push_back({select.getColumn(0).getString(), select.getColumn(1).getString(), select.getColumn(2).getString(),
                    select.getColumn(3).getString(), select.getColumn(4).getInt64()});
  }
  select.reset();
  return bans;
}

std::vector<InviteRecord> read_invites(SQLite::Statement& select) {
  std::vector<InviteRecord> invites;
  while (select.executeStep()) {
    invites.push_back({select.getColumn(0).getString(), select.getColumn(1).getString(),
                       select.getColumn(2).getString(), select.getColumn(3).getInt64()});
  }
  select.reset();
  return invites;
}
const std::string undelivered_sql =
    sql({"SELECT ", direct_message_columns,
         " FROM direct_messages WHERE recipient_id = ?1 AND delivered = 0 ORDER BY id LIMIT ?2"});
const std::string find_direct_message_sql =
    sql({"SELECT ", direct_message_columns,
         " FROM direct_messages WHERE sender_id = ?1 AND recipient_id = ?2 AND client_id = ?3"});

// Inserts one message under `seq`; true if it was written, false if its client id was stored before.
bool insert_message(SQLite::Statement& insert, std::int64_t room_id, std::int64_t seq, const MessageRecord& message) {
  // bindNoCopy: the record outlives the statement's execution.
  insert.bind(1, room_id);
  insert.bind(2, seq);
  insert.bindNoCopy(3, message.sender);
  insert.bind(4, message.ts_ms);
  insert.bindNoCopy(5, message.text);
  bind_optional_text(insert, 6, message.client_id);
  insert.bind(7, message.sender_id);
  insert.bind(8, static_cast<int>(message.kind));
  return insert.exec() == 1;
}

std::string describe(const MessageRecord& message) {
  return fmt::format("room '{}' from '{}'", message.room, message.sender);
}

}  // namespace

SqliteStore::SqliteStore(StoreOptions options)
    : options_(std::move(options)),
      writer_(std::make_unique<SqliteConnection>(options_, SqliteConnection::Mode::read_write)) {
  check_integrity();
  // SQLite opens a file it may not write (a read-only mount, an immutable file) read-only without a word,
  // and every write would fail later, after the server began to listen: find out now.
  with_context([&] { return fmt::format("database '{}' is not writable", options_.path.string()); },
               [&] { prove_writable(); });
  const int found = migrate(writer_->db());
  // Readers open after the writer so that they find the file in WAL mode with the schema in place.
  readers_ = std::make_unique<ConnectionPool<SqliteConnection>>(options_.read_connections, [this] {
    return std::make_unique<SqliteConnection>(options_, SqliteConnection::Mode::read_only);
  });
  checkpointer_ = std::make_unique<WalCheckpointer>(options_, writer_->db());
  spdlog::info("storage: opened '{}' (schema {} -> {}, synchronous {}, {} readers)", options_.path.string(), found,
               current_schema_version(), options_.synchronous, std::max<std::size_t>(options_.read_connections, 1));
}

SqliteStore::~SqliteStore() = default;

template <typename Context, typename Fn>
auto SqliteStore::run_write(Context&& context, Fn&& fn) -> decltype(fn()) {
  std::lock_guard lock(write_mutex_);
  try {
    return with_context(context, fn);
  } catch (const StorageError& e) {
    note_fault(e);
    throw;
  }
}

void SqliteStore::note_fault(const StorageError& error) {
  if (!error.is_fault()) return;
  if (health_.record_fault(error.reason(), error.what())) {
    // Once per streak: while storage fails, every write would log the same.
    spdlog::error("storage: writes to '{}' are failing: {}; sends are refused until a checkpoint and a test write "
                  "succeed (retried in the background)",
                  options_.path.string(), error.what());
  }
}

// --- users ---

std::optional<PrincipalId> SqliteStore::create_user(const UserRecord& user) {
  return run_write([&] { return fmt::format("create_user '{}'", user.name); }, [&]() -> std::optional<PrincipalId> {
    auto insert = writer_->statement(
        "INSERT INTO users (name, password_hash, created_ms, is_admin) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (name) DO NOTHING");
    insert->bindNoCopy(1, user.name);
    insert->bindNoCopy(2, user.password_hash);
    insert->bind(3, user.created_ms);
    insert->bind(4, user.is_admin ? 1 : 0);
    if (insert->exec() != 1) return std::nullopt;
    return writer_->db().getLastInsertRowid();
  });
}

std::optional<UserRecord> SqliteStore::find_user(std::string_view name) const {
  return with_context([&] { return fmt::format("find_user '{}'", name); }, [&]() -> std::optional<UserRecord> {
    auto reader = readers_->acquire();
    auto select =
        reader->statement("SELECT name, password_hash, created_ms, id, is_admin FROM users WHERE name = ?1");
    bind_text(*select, 1, name);
    if (!select->executeStep()) return std::nullopt;
    return UserRecord{select->getColumn(0).getString(), select->getColumn(1).getString(),
                      select->getColumn(2).getInt64(), select->getColumn(3).getInt64(),
                      select->getColumn(4).getInt() != 0};
  });
}

bool SqliteStore::set_admin(std::string_view name, bool is_admin) {
  return run_write([&] { return fmt::format("set_admin '{}' {}", name, is_admin); }, [&] {
    auto update = writer_->statement("UPDATE users SET is_admin = ?2 WHERE name = ?1");
    bind_text(*update, 1, name);
    update->bind(2, is_admin ? 1 : 0);
    return update->exec() == 1;
  });
}

std::vector<UserRecord> SqliteStore::load_users() const {
  return with_context([] { return std::string("load_users"); }, [&] {
    auto reader = readers_->acquire();
    auto select = reader->statement("SELECT name, created_ms, id, is_admin FROM users ORDER BY name");
    std::vector<UserRecord> users;
    while (select->executeStep()) {
      users.push_back(UserRecord{select->getColumn(0).getString(), {}, select->getColumn(1).getInt64(),
                                 select->getColumn(2).getInt64(), select->getColumn(3).getInt() != 0});
    }
    return users;
  });
}

std::int64_t SqliteStore::begin_run(std::int64_t started_ms) {
  return run_write([] { return std::string("begin_run"); }, [&] {
    auto insert = writer_->statement("INSERT INTO runs (started_ms) VALUES (?1)");
    insert->bind(1, started_ms);
    insert->exec();
    return writer_->db().getLastInsertRowid();
  });
}

std::int64_t SqliteStore::count(const char* what, const char* sql) const {
  return with_context([what] { return std::string(what); }, [&] {
    auto reader = readers_->acquire();
    auto select = reader->statement(sql);
    select->executeStep();
    return select->getColumn(0).getInt64();
  });
}

std::int64_t SqliteStore::user_count() const { return count("user_count", "SELECT COUNT(*) FROM users"); }

// --- rooms ---

bool SqliteStore::create_room(const RoomRecord& room) {
  return run_write([&] { return fmt::format("create_room '{}'", room.name); }, [&] {
    WriteTransaction transaction(*writer_);
    {
      auto insert = writer_->statement(
          "INSERT INTO rooms (name, is_private, topic, owner, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)"
          " ON CONFLICT (name) DO NOTHING");
      insert->bindNoCopy(1, room.name);
      insert->bind(2, room.is_private ? 1 : 0);
      insert->bindNoCopy(3, room.topic);
      insert->bindNoCopy(4, room.owner);
      insert->bind(5, room.created_ms);
      if (insert->exec() == 0) return false;  // the transaction rolls back (it wrote nothing)
    }
    if (!room.owner.empty()) {
      auto member = writer_->statement(
          "INSERT INTO memberships (room_id, user, role, joined_ms) VALUES (last_insert_rowid(), ?1, ?2, ?3)");
      member->bindNoCopy(1, room.owner);
      member->bind(2, static_cast<int>(Role::owner));
      member->bind(3, room.created_ms);
      member->exec();
    }
    transaction.commit();
    return true;
  });
}

std::optional<RoomRecord> SqliteStore::find_room(std::string_view name) const {
  return with_context([&] { return fmt::format("find_room '{}'", name); }, [&]() -> std::optional<RoomRecord> {
    auto reader = readers_->acquire();
    auto select = reader->statement(find_room_sql);
    bind_text(*select, 1, name);
    if (!select->executeStep()) return std::nullopt;
    return read_room(*select);
  });
}

std::vector<RoomRecord> SqliteStore::load_rooms() const {
  return with_context([] { return std::string("load_rooms"); }, [&] {
    auto reader = readers_->acquire();
    auto select = reader->statement(load_rooms_sql);
    std::vector<RoomRecord> rooms;
    while (select->executeStep()) rooms.push_back(read_room(*select));
    return rooms;
  });
}

bool SqliteStore::set_topic(std::string_view room, std::string_view topic) {
  return run_write([&] { return fmt::format("set_topic '{}'", room); }, [&] {
    auto update = writer_->statement("UPDATE rooms SET topic = ?2 WHERE name = ?1");
    bind_text(*update, 1, room);
    bind_text(*update, 2, topic);
    return update->exec() == 1;
  });
}

// --- memberships ---

void SqliteStore::upsert_member(std::string_view room, std::string_view user, int role, std::int64_t ts_ms) {
  run_write([&] { return fmt::format("upsert_member '{}' in '{}' role {}", user, room, role); }, [&] {
    auto upsert = writer_->statement(sql({"INSERT INTO memberships (room_id, user, role, joined_ms) VALUES (",
                                          room_id_of,
                                          ", ?2, ?3, ?4) ON CONFLICT (room_id, user) DO UPDATE SET role = "
                                          "excluded.role"}));
    bind_text(*upsert, 1, room);
    bind_text(*upsert, 2, user);
    upsert->bind(3, role);
    upsert->bind(4, ts_ms);
    upsert->exec();
  });
}

bool SqliteStore::remove_member(std::string_view room, std::string_view user) {
  return run_write([&] { return fmt::format("remove_member '{}' from '{}'", user, room); }, [&] {
    auto remove = writer_->statement(sql({"DELETE FROM memberships WHERE room_id = ", room_id_of, " AND user = ?2"}));
    bind_text(*remove, 1, room);
    bind_text(*remove, 2, user);
    return remove->exec() == 1;
  });
}

std::vector<MembershipRecord> SqliteStore::load_memberships() const {
  return with_context([] { return std::string("load_memberships"); }, [&] {
    auto reader = readers_->acquire();
    return read_memberships(*reader->statement(sql({memberships_select, " ORDER BY r.name, m.user"})));
  });
}

// --- bans ---

void SqliteStore::add_ban(const BanRecord& ban) {
  run_write([&] { return fmt::format("add_ban '{}' in '{}'", ban.user, ban.room); }, [&] {
    auto upsert = writer_->statement(sql({"INSERT INTO bans (room_id, user, banned_by, reason, created_ms) VALUES (",
                                          room_id_of,
                                          ", ?2, ?3, ?4, ?5) ON CONFLICT (room_id, user) DO UPDATE SET "
                                          "banned_by = excluded.banned_by, reason = excluded.reason, "
                                          "created_ms = excluded.created_ms"}));
    upsert->bindNoCopy(1, ban.room);
    upsert->bindNoCopy(2, ban.user);
    upsert->bindNoCopy(3, ban.by);
    upsert->bindNoCopy(4, ban.reason);
    upsert->bind(5, ban.created_ms);
    upsert->exec();
  });
}

bool SqliteStore::remove_ban(std::string_view room, std::string_view user) {
  return run_write([&] { return fmt::format("remove_ban '{}' in '{}'", user, room); }, [&] {
    auto remove = writer_->statement(sql({"DELETE FROM bans WHERE room_id = ", room_id_of, " AND user = ?2"}));
    bind_text(*remove, 1, room);
    bind_text(*remove, 2, user);
    return remove->exec() == 1;
  });
}

std::vector<BanRecord> SqliteStore::load_bans() const {
  return with_context([] { return std::string("load_bans"); }, [&] {
    auto reader = readers_->acquire();
    return read_bans(*reader->statement(sql({bans_select, " ORDER BY r.name, b.user"})));
  });
}

// --- invites ---

void SqliteStore::add_invite(const InviteRecord& invite) {
  run_write([&] { return fmt::format("add_invite '{}' to '{}'", invite.user, invite.room); }, [&] {
    auto upsert = writer_->statement(sql({"INSERT INTO invites (room_id, user, invited_by, created_ms) VALUES (",
                                          room_id_of,
                                          ", ?2, ?3, ?4) ON CONFLICT (room_id, user) DO UPDATE SET "
                                          "invited_by = excluded.invited_by, created_ms = excluded.created_ms"}));
    upsert->bindNoCopy(1, invite.room);
    upsert->bindNoCopy(2, invite.user);
    upsert->bindNoCopy(3, invite.by);
    upsert->bind(4, invite.created_ms);
    upsert->exec();
  });
}

bool SqliteStore::remove_invite(std::string_view room, std::string_view user) {
  return run_write([&] { return fmt::format("remove_invite '{}' to '{}'", user, room); }, [&] {
    auto remove = writer_->statement(sql({"DELETE FROM invites WHERE room_id = ", room_id_of, " AND user = ?2"}));
    bind_text(*remove, 1, room);
    bind_text(*remove, 2, user);
    return remove->exec() == 1;
  });
}

std::vector<InviteRecord> SqliteStore::load_invites() const {
  return with_context([] { return std::string("load_invites"); }, [&] {
    auto reader = readers_->acquire();
    return read_invites(*reader->statement(sql({invites_select, " ORDER BY r.name, i.user"})));
  });
}

std::optional<RoomState> SqliteStore::load_room_state(std::string_view name) const {
  return with_context([&] { return fmt::format("load_room_state '{}'", name); }, [&]() -> std::optional<RoomState> {
    auto reader = readers_->acquire();
    RoomState state;
    {
      auto room = reader->statement(find_room_sql);
      bind_text(*room, 1, name);
      if (!room->executeStep()) return std::nullopt;
      state.room = read_room(*room);
    }
    const auto of_room = [&](std::string_view select, std::string_view order, auto read) {
      auto statement = reader->statement(sql({select, " WHERE r.name = ?1 ORDER BY ", order}));
      bind_text(*statement, 1, name);
      return read(*statement);
    };
    state.members = of_room(memberships_select, "m.user", read_memberships);
    state.bans = of_room(bans_select, "b.user", read_bans);
    state.invites = of_room(invites_select, "i.user", read_invites);
    return state;
  });
}

// --- messages ---

// Where one room stands inside an appending transaction.
struct SqliteStore::RoomHead {
  std::int64_t id = 0;
  std::int64_t last_seq = 0;
};

std::vector<AppendOutcome> SqliteStore::write_messages(std::span<const MessageRecord> messages, bool isolate_failures,
                                                 const MessageRecord*& current) {
  std::vector<AppendOutcome> outcome;
  outcome.reserve(messages.size());
  std::unordered_map<std::string_view, std::optional<RoomHead>> heads;
  auto insert = writer_->statement(insert_message_sql);
  for (const auto& message : messages) {
    current = &message;
    auto [head, unseen] = heads.try_emplace(message.room);
    if (unseen) {
      auto select = writer_->statement(room_head_sql);
      select->bindNoCopy(1, message.room);
      if (select->executeStep()) {
        head->second = RoomHead{select->getColumn(0).getInt64(), select->getColumn(1).getInt64()};
      }
    }
    if (!head->second) {
      if (!isolate_failures) throw std::runtime_error("no such room");
      outcome.push_back(AppendOutcome::failure(describe(message) + ": no such room"));
      continue;
    }
    RoomHead& room = *head->second;
    insert->tryReset();
    bool written = false;
    try {
      written = insert_message(*insert, room.id, room.last_seq + 1, message);
    } catch (const SQLite::Exception& e) {
      // A failed INSERT undoes only itself (ON CONFLICT ABORT), so no savepoint is needed per record. Some
      // errors (I/O, disk full) abort the whole transaction instead: then nothing can be kept. And a fault of
      // the storage is no fault of the record, even where SQLite keeps the transaction open.
      if (!isolate_failures || sqlite3_get_autocommit(writer_->db().getHandle()) != 0 ||
          StorageHealth::is_fault(e.getExtendedErrorCode())) {
        throw;
      }
      outcome.push_back(AppendOutcome::failure(fmt::format("{}: {}", describe(message), e.what())));
      continue;
    }
    if (written) {
      outcome.push_back(AppendOutcome::stored_as(++room.last_seq));
      continue;
    }
    auto original = writer_->statement(original_seq_sql);
    original->bind(1, room.id);
    original->bind(2, message.sender_id);
    original->bindNoCopy(3, *message.client_id);  // only a client id conflict writes nothing
    if (!original->executeStep()) throw std::runtime_error("conflicting client id not found");
    outcome.push_back(AppendOutcome::duplicate_of(original->getColumn(0).getInt64()));
  }
  current = nullptr;
  return outcome;
}

std::vector<AppendOutcome> SqliteStore::append_messages(std::span<const MessageRecord> messages) {
  if (messages.empty()) return {};
  const MessageRecord* current = nullptr;
  return run_write(
      [&] {
        return fmt::format("append_messages (batch of {}, {})", messages.size(),
                           current ? describe(*current) : std::string("commit"));
      },
      [&] {
        WriteTransaction transaction(*writer_);
        auto outcome = write_messages(messages, /*isolate_failures=*/false, current);
        transaction.commit();
        return outcome;
      });
}

std::vector<AppendOutcome> SqliteStore::append_messages_individually(std::span<const MessageRecord> messages) {
  if (messages.empty()) return {};
  const MessageRecord* current = nullptr;
  return run_write(
      [&] {
        return fmt::format("append_messages_individually (batch of {}, {})", messages.size(),
                           current ? describe(*current) : std::string("commit"));
      },
      [&] {
        WriteTransaction transaction(*writer_);
        auto outcome = write_messages(messages, /*isolate_failures=*/true, current);
        transaction.commit();
        return outcome;
      });
}

std::vector<MessageRecord> SqliteStore::history(std::string_view room, std::optional<std::int64_t> before,
                                          std::optional<std::int64_t> after, std::size_t limit) const {
  if (limit == 0) return {};
  return with_context([&] { return fmt::format("history '{}'", room); }, [&] {
    auto reader = readers_->acquire();
    auto select = reader->statement(after ? history_forward_sql : history_backward_sql);
    bind_text(*select, 1, room);
    select->bind(2, after.value_or(std::numeric_limits<std::int64_t>::min()));
    select->bind(3, before.value_or(std::numeric_limits<std::int64_t>::max()));
    select->bind(4, sql_limit(limit));
    std::vector<MessageRecord> page;
    while (select->executeStep()) page.push_back(read_message(*select, room));
    if (!after) std::reverse(page.begin(), page.end());
    return page;
  });
}

std::vector<MessageRecord> SqliteStore::replay(std::string_view room, std::int64_t since, std::int64_t up_to,
                                         std::size_t limit) const {
  if (limit == 0 || up_to <= since) return {};
  return with_context([&] { return fmt::format("replay '{}' ({}, {}]", room, since, up_to); }, [&] {
    auto reader = readers_->acquire();
    auto select = reader->statement(replay_sql);
    bind_text(*select, 1, room);
    select->bind(2, since);
    select->bind(3, up_to);
    select->bind(4, sql_limit(limit));
    std::vector<MessageRecord> page;
    while (select->executeStep()) page.push_back(read_message(*select, room));
    std::reverse(page.begin(), page.end());
    return page;
  });
}

std::optional<std::int64_t> SqliteStore::find_client_message(std::string_view room, PrincipalId sender_id,
                                                       std::string_view client_id) const {
  return with_context(
      [&] { return fmt::format("find_client_message '{}' {} '{}'", room, sender_id, client_id); },
      [&]() -> std::optional<std::int64_t> {
        auto reader = readers_->acquire();
        auto select = reader->statement(sql(
            {"SELECT seq FROM messages WHERE room_id = ", room_id_of, " AND sender_id = ?2 AND client_id = ?3"}));
        bind_text(*select, 1, room);
        select->bind(2, sender_id);
        bind_text(*select, 3, client_id);
        if (!select->executeStep()) return std::nullopt;
        return select->getColumn(0).getInt64();
      });
}

std::vector<ClientMessageRef> SqliteStore::recent_client_messages(std::string_view room, std::size_t limit) const {
  if (limit == 0) return {};
  return with_context([&] { return fmt::format("recent_client_messages '{}'", room); }, [&] {
    auto reader = readers_->acquire();
    auto select = reader->statement(sql({"SELECT sender_id, client_id, seq FROM messages WHERE room_id = ", room_id_of,
                                         " AND client_id IS NOT NULL ORDER BY seq DESC LIMIT ?2"}));
    bind_text(*select, 1, room);
    select->bind(2, sql_limit(limit));
    std::vector<ClientMessageRef> refs;
    while (select->executeStep()) {
      refs.push_back({select->getColumn(0).getInt64(), select->getColumn(1).getString(),
                      select->getColumn(2).getInt64()});
    }
    std::reverse(refs.begin(), refs.end());
    return refs;
  });
}

std::int64_t SqliteStore::message_count() const { return count("message_count", "SELECT COUNT(*) FROM messages"); }

std::int64_t SqliteStore::count_undelivered_direct_messages() const {
  return count("count_undelivered_direct_messages", "SELECT COUNT(*) FROM direct_messages WHERE delivered = 0");
}

// --- direct messages ---

StoredDirectMessage SqliteStore::store_direct_message(DirectMessageRecord message) {
  return run_write(
      [&] { return fmt::format("store_direct_message '{}' -> '{}'", message.sender, message.recipient); }, [&] {
        {
          auto insert = writer_->statement(
              "INSERT INTO direct_messages"
              " (sender, recipient, ts_ms, text, client_id, sender_id, recipient_id, kind)"
              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
              " ON CONFLICT (sender_id, recipient_id, client_id) WHERE client_id IS NOT NULL DO NOTHING");
          insert->bindNoCopy(1, message.sender);
          insert->bindNoCopy(2, message.recipient);
          insert->bind(3, message.ts_ms);
          insert->bindNoCopy(4, message.text);
          bind_optional_text(*insert, 5, message.client_id);
          insert->bind(6, message.sender_id);
          insert->bind(7, message.recipient_id);
          insert->bind(8, static_cast<int>(message.kind));
          if (insert->exec() == 1) {
            message.id = writer_->db().getLastInsertRowid();
            return StoredDirectMessage{std::move(message), false};
          }
        }
        // Only a client id conflict makes the insert do nothing, and nothing deletes it while the write lock is
        // held, so it is there.
        if (!message.client_id) throw StorageError("insert ignored without a client id");
        auto select = writer_->statement(find_direct_message_sql);
        select->bind(1, message.sender_id);
        select->bind(2, message.recipient_id);
        select->bindNoCopy(3, *message.client_id);
        if (!select->executeStep()) throw StorageError("conflicting direct message not found");
        return StoredDirectMessage{read_direct_message(*select), true};
      });
}

std::vector<DirectMessageRecord> SqliteStore::undelivered_direct_messages(PrincipalId recipient,
                                                                    std::size_t limit) const {
  if (limit == 0) return {};
  return with_context([&] { return fmt::format("undelivered_direct_messages {}", recipient); }, [&] {
    auto reader = readers_->acquire();
    auto select = reader->statement(undelivered_sql);
    select->bind(1, recipient);
    select->bind(2, sql_limit(limit));
    std::vector<DirectMessageRecord> messages;
    while (select->executeStep()) messages.push_back(read_direct_message(*select));
    return messages;
  });
}

std::size_t SqliteStore::count_undelivered_direct_messages(PrincipalId recipient, std::size_t limit) const {
  if (limit == 0) return 0;
  return with_context([&] { return fmt::format("count_undelivered_direct_messages {}", recipient); }, [&] {
    auto reader = readers_->acquire();
    auto count = reader->statement(
        "SELECT COUNT(*) FROM (SELECT 1 FROM direct_messages WHERE recipient_id = ?1 AND delivered = 0 LIMIT ?2)");
    count->bind(1, recipient);
    count->bind(2, sql_limit(limit));
    count->executeStep();
    return static_cast<std::size_t>(count->getColumn(0).getInt64());
  });
}

std::int64_t SqliteStore::mark_delivered(PrincipalId recipient, std::span<const std::int64_t> ids) {
  if (ids.empty()) return 0;
  return run_write(
      [&] { return fmt::format("mark_delivered {} ({} messages from id {})", recipient, ids.size(), ids.front()); },
      [&] {
        WriteTransaction transaction(*writer_);
        std::int64_t changed = 0;
        {
          auto update = writer_->statement(
              "UPDATE direct_messages SET delivered = 1 WHERE id = ?1 AND recipient_id = ?2 AND delivered = 0");
          update->bind(2, recipient);
          for (const auto id : ids) {
            update->reset();
            update->bind(1, id);
            changed += update->exec();
          }
        }
        transaction.commit();
        return changed;
      });
}

std::int64_t SqliteStore::discard_undelivered_direct_messages(PrincipalId recipient) {
  return run_write([&] { return fmt::format("discard_undelivered_direct_messages {}", recipient); }, [&] {
    auto remove = writer_->statement("DELETE FROM direct_messages WHERE recipient_id = ?1 AND delivered = 0");
    remove->bind(1, recipient);
    return static_cast<std::int64_t>(remove->exec());
  });
}

std::int64_t SqliteStore::discard_undelivered_to_guests() {
  return run_write([] { return std::string("discard_undelivered_to_guests"); }, [&] {
    auto remove = writer_->statement("DELETE FROM direct_messages WHERE recipient_id < 0 AND delivered = 0");
    return static_cast<std::int64_t>(remove->exec());
  });
}

// --- maintenance ---

std::string SqliteStore::integrity_check() const {
  return with_context([] { return std::string("integrity_check"); }, [&] {
    auto reader = readers_->acquire();
    auto check = reader->statement("PRAGMA integrity_check");
    std::string findings;
    while (check->executeStep()) {
      if (!findings.empty()) findings += '\n';
      findings += check->getColumn(0).getString();
    }
    return findings;
  });
}

bool SqliteStore::checkpoint() noexcept {
  std::lock_guard lock(write_mutex_);
  // A background pass in progress would make this one give up at once (one checkpoint at a time).
  checkpointer_->stop();
  try {
    auto pragma = writer_->statement("PRAGMA wal_checkpoint(TRUNCATE)");
    pragma->executeStep();
    // Columns: busy flag, WAL frames, frames checkpointed.
    if (pragma->getColumn(0).getInt() != 0) {
      spdlog::warn("storage: checkpoint of '{}' incomplete ({} of {} WAL frames copied): readers busy",
                   options_.path.string(), pragma->getColumn(2).getInt(), pragma->getColumn(1).getInt());
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    // Called on the way out, from destructors too: an error must end in a log line, not in std::terminate.
    // What is committed stays in the WAL, and the next start reads it.
    spdlog::error("storage: checkpoint of '{}' failed: {} (the WAL is kept)", options_.path.string(), e.what());
    return false;
  }
}

void SqliteStore::check_integrity() {
  if (options_.check_at_start == StoreOptions::StartCheck::off) return;
  const bool quick = options_.check_at_start == StoreOptions::StartCheck::quick;
  const char* const name = quick ? "quick_check" : "integrity_check";
  // A damaged page is otherwise found only when someone reads it, perhaps months later, and whatever was
  // written meanwhile around it is at risk. The findings are capped: the first few say enough.
  constexpr int kMaxFindings = 10;
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> findings;
  with_context([&] { return fmt::format("database '{}' failed its integrity check ({})", options_.path.string(), name); },
               [&] {
                 SQLite::Statement check(writer_->db(), fmt::format("PRAGMA {}({})", name, kMaxFindings));
                 while (check.executeStep()) findings.push_back(check.getColumn(0).getString());
               });
  if (findings.size() != 1 || findings.front() != "ok") {
    // One line, for one log line: SQLite also puts several findings in one row, separated by newlines.
    std::string text;
    for (const auto& finding : findings) {
      for (const char c : finding) text += c == '\n' ? std::string_view("; ") : std::string_view(&c, 1);
      text += "; ";
    }
    throw StorageError(fmt::format("database '{}' failed its integrity check ({}): {}restore a backup or "
                                   "recover the file with sqlite3's .recover",
                                   options_.path.string(), name, text),
                       SQLITE_CORRUPT);
  }
  spdlog::info("storage: '{}' passed its {} in {} ms", options_.path.string(), name,
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
}

bool SqliteStore::recover() noexcept {
  std::lock_guard lock(write_mutex_);
  if (!health_.failing()) return true;
  try {
    with_context([] { return std::string("recover"); }, [&] { prove_writable(); });
  } catch (const std::exception& e) {
    // Each pass would log the same as the first failure did; debug only.
    spdlog::debug("storage: '{}' still failing: {}", options_.path.string(), e.what());
    return false;
  }
  if (const auto ended = health_.record_recovery()) {
    spdlog::warn("storage: writes to '{}' work again after {} ms ({} failed writes, the last: {})",
                 options_.path.string(), health_.snapshot().since_ms - ended->since_ms, ended->failed_writes,
                 ended->reason);
  }
  return true;
}

StorageHealth::Snapshot SqliteStore::health() const { return health_.snapshot(); }

void SqliteStore::prove_writable() {
  // The WAL first: grown by commits that no checkpoint followed (on a volume smaller than the checkpoint
  // threshold, none ever does), it may be what filled the disk. Copying it back needs only room for the
  // distinct pages it holds, a fraction of it, and truncating it then gives the whole file back. Readers
  // or a background pass may keep it from finishing; the write below decides.
  sqlite3* const db = writer_->db().getHandle();
  if (const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
      rc != SQLITE_OK && rc != SQLITE_BUSY) {
    throw SQLite::Exception(fmt::format("checkpoint: {}", sqlite3_errmsg(db)), sqlite3_extended_errcode(db));
  }
  WriteTransaction transaction(*writer_);
  const int version = writer_->db().execAndGet("PRAGMA user_version").getInt();
  writer_->db().exec(fmt::format("PRAGMA user_version = {}", version));
  transaction.commit();
}

std::optional<CheckpointStats> SqliteStore::checkpoint_stats() const { return checkpointer_->stats(); }

}  // namespace chat
