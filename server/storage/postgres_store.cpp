#include "server/storage/postgres_store.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "server/storage/connection_pool.hpp"
#include "server/storage/postgres_connection.hpp"
#include "server/storage/postgres_schema.hpp"
#include "server/storage/postgres_url.hpp"
#include "server/storage/storage_error.hpp"

namespace chat {
namespace {

// Runs fn, turning any failure into a StorageError whose message starts with context(); the context is built
// only on failure.
template <typename Context, typename Fn>
auto with_context(Context&& context, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    rethrow_postgres_as_storage_error(context());
  }
}

std::int64_t sql_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
}

constexpr std::string_view message_columns = "seq, sender, sender_id, ts_ms, text, client_id, kind";

MessageRecord read_message(const PostgresResult& result, int row, std::string_view room) {
  MessageRecord message;
  message.room = std::string(room);
  message.seq = result.integer(row, 0);
  message.sender = result.text(row, 1);
  message.sender_id = result.integer(row, 2);
  message.ts_ms = result.integer(row, 3);
  message.text = result.text(row, 4);
  message.client_id = result.optional_text(row, 5);
  message.kind = stored_message_kind(result.integer(row, 6));
  return message;
}

constexpr std::string_view direct_message_columns =
    "id, sender, sender_id, recipient, recipient_id, ts_ms, text, client_id, kind";

DirectMessageRecord read_direct_message(const PostgresResult& result, int row) {
  DirectMessageRecord message;
  message.id = result.integer(row, 0);
  message.sender = result.text(row, 1);
  message.sender_id = result.integer(row, 2);
  message.recipient = result.text(row, 3);
  message.recipient_id = result.integer(row, 4);
  message.ts_ms = result.integer(row, 5);
  message.text = result.text(row, 6);
  message.client_id = result.optional_text(row, 7);
  message.kind = stored_message_kind(result.integer(row, 8));
  return message;
}

constexpr std::string_view room_select = "SELECT name, is_private, topic, owner, created_ms, last_seq FROM rooms";

RoomRecord read_room(const PostgresResult& result, int row) {
  return RoomRecord{result.text(row, 0), result.boolean(row, 1), result.text(row, 2),
                    result.text(row, 3), result.integer(row, 4), result.integer(row, 5)};
}

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (auto part : parts) text += part;
  return text;
}

constexpr std::string_view room_id_of = "(SELECT id FROM rooms WHERE name = $1)";

// SQL built from the fragments above, once.
const std::string history_forward_sql = sql({"SELECT ", message_columns, " FROM messages WHERE room_id = ",
                                             room_id_of, " AND seq > $2 AND seq < $3 ORDER BY seq ASC LIMIT $4"});
const std::string history_backward_sql = sql({"SELECT ", message_columns, " FROM messages WHERE room_id = ",
                                              room_id_of, " AND seq > $2 AND seq < $3 ORDER BY seq DESC LIMIT $4"});
const std::string replay_sql = sql({"SELECT ", message_columns, " FROM messages WHERE room_id = ", room_id_of,
                                    " AND seq > $2 AND seq <= $3 ORDER BY seq DESC LIMIT $4"});
const std::string find_room_sql = sql({room_select, " WHERE name = $1"});
const std::string load_rooms_sql = sql({room_select, " ORDER BY id"});
constexpr std::string_view memberships_select =
    "SELECT r.name, m.user_name, m.role, m.joined_ms FROM memberships m JOIN rooms r ON r.id = m.room_id";
constexpr std::string_view bans_select =
    "SELECT r.name, b.user_name, b.banned_by, b.reason, b.created_ms FROM bans b JOIN rooms r ON r.id = b.room_id";
constexpr std::string_view invites_select =
    "SELECT r.name, i.user_name, i.invited_by, i.created_ms FROM invites i JOIN rooms r ON r.id = i.room_id";

std::vector<MembershipRecord> read_memberships(const PostgresResult& result) {
  std::vector<MembershipRecord> members;
  for (int row = 0; row < result.rows(); ++row) {
    members.push_back(
        {result.text(row, 0), result.text(row, 1), static_cast<int>(result.integer(row, 2)), result.integer(row, 3)});
  }
  return members;
}

std::vector<BanRecord> read_bans(const PostgresResult& result) {
  std::vector<BanRecord> bans;
  for (int row = 0; row < result.rows(); ++row) {
    bans.push_back({result.text(row, 0), result.text(row, 1), result.text(row, 2), result.text(row, 3),
                    result.integer(row, 4)});
  }
  return bans;
}

std::vector<InviteRecord> read_invites(const PostgresResult& result) {
  std::vector<InviteRecord> invites;
  for (int row = 0; row < result.rows(); ++row) {
    invites.push_back({result.text(row, 0), result.text(row, 1), result.text(row, 2), result.integer(row, 3)});
  }
  return invites;
}
const std::string undelivered_sql =
    sql({"SELECT ", direct_message_columns,
         " FROM direct_messages WHERE recipient_id = $1 AND NOT delivered ORDER BY id LIMIT $2"});
const std::string find_direct_message_sql =
    sql({"SELECT ", direct_message_columns,
         " FROM direct_messages WHERE sender_id = $1 AND recipient_id = $2 AND client_id = $3"});

// Appending. The rooms' rows are locked first, in id order (two servers locking the same rooms cannot
// deadlock), and their last_seq is the committed truth while the lock is held. NO KEY UPDATE: last_seq is no
// key, so the lock does not hold up another server's membership or ban writes, whose foreign keys take KEY
// SHARE on the room.
const std::string lock_rooms_sql =
    "SELECT name, id, last_seq FROM rooms WHERE name = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE";
// Client ids of the batch stored before: the room locks keep any other server from storing one meanwhile.
const std::string stored_client_ids_sql =
    "SELECT m.room_id, m.sender_id, m.client_id, m.seq FROM messages m"
    " JOIN unnest($1::bigint[], $2::bigint[], $3::text[]) AS k(room_id, sender_id, client_id)"
    " USING (room_id, sender_id, client_id)";
const std::string insert_messages_sql =
    "INSERT INTO messages (room_id, seq, sender, sender_id, ts_ms, text, client_id, kind)"
    " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],"
    " $7::text[], $8::smallint[])";
const std::string insert_message_sql =
    "INSERT INTO messages (room_id, seq, sender, sender_id, ts_ms, text, client_id, kind)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const std::string advance_rooms_sql =
    "UPDATE rooms SET last_seq = v.last_seq FROM unnest($1::bigint[], $2::bigint[]) AS v(id, last_seq)"
    " WHERE rooms.id = v.id";

std::string describe(const MessageRecord& message) {
  return fmt::format("room '{}' from '{}'", message.room, message.sender);
}

// The columns of rows to insert, as arrays: one INSERT for a whole batch.
struct MessageColumns {
  std::vector<std::int64_t> room_id, seq, sender_id, ts_ms, kind;
  std::vector<std::optional<std::string>> sender, text, client_id;

  void add(std::int64_t room, std::int64_t message_seq, const MessageRecord& message) {
    room_id.push_back(room);
    seq.push_back(message_seq);
    sender.emplace_back(message.sender);
    sender_id.push_back(message.sender_id);
    ts_ms.push_back(message.ts_ms);
    text.emplace_back(message.text);
    client_id.push_back(message.client_id);
    kind.push_back(static_cast<int>(message.kind));
  }
  PostgresParams params() const {
    PostgresParams params;
    params.add_array(room_id).add_array(seq).add_array(sender).add_array(sender_id).add_array(ts_ms);
    params.add_array(text).add_array(client_id).add_array(kind);
    return params;
  }
};

}  // namespace

PostgresStore::PostgresStore(std::string url, std::size_t read_connections)
    : url_(std::move(url)), where_(describe_postgres_database(url_)) {
  const int found = with_context([&] { return fmt::format("cannot open {}", where_); }, [&] {
    writer_ = std::make_unique<PostgresConnection>(url_);
    const int version = migrate_postgres(*writer_);
    readers_ = std::make_unique<ConnectionPool<PostgresConnection>>(
        read_connections, [this] { return std::make_unique<PostgresConnection>(url_); });
    return version;
  });
  spdlog::info("storage: opened {} (schema {} -> {}, {} readers)", where_, found, current_postgres_schema_version(),
               std::max<std::size_t>(read_connections, 1));
}

PostgresStore::~PostgresStore() = default;

template <typename Context, typename Fn>
auto PostgresStore::run_write(Context&& context, Fn&& fn) -> decltype(fn(std::declval<PostgresConnection&>())) {
  std::lock_guard lock(write_mutex_);
  try {
    return with_context(context, [&] {
      writer_->reconnect_if_lost();
      return fn(*writer_);
    });
  } catch (const StorageError& e) {
    if (e.is_fault() && health_.record_fault(e.reason(), e.what())) {
      // Once per streak: while the database fails, every write would log the same.
      spdlog::error("storage: writes to {} are failing: {}; sends are refused until a test write succeeds "
                    "(retried in the background)",
                    where_, e.what());
    }
    throw;
  }
}

template <typename Context, typename Fn>
auto PostgresStore::run_directory(DirectoryConnection& on, Context&& context, Fn&& fn) const
    -> decltype(fn(std::declval<PostgresConnection&>())) {
  std::lock_guard lock(on.mutex);
  return with_context(context, [&] {
    if (!on.connection) on.connection = std::make_unique<PostgresConnection>(url_);
    on.connection->reconnect_if_lost();
    return fn(*on.connection);
  });
}

template <typename Context, typename Fn>
auto PostgresStore::run_read(Context&& context, Fn&& fn) const -> decltype(fn(std::declval<PostgresConnection&>())) {
  return with_context(context, [&] {
    auto reader = readers_->acquire();
    reader->reconnect_if_lost();
    try {
      return fn(*reader);
    } catch (const PostgresError&) {
      // A read is safe to run again: once, on a new connection, when the server had closed this one since its
      // last use (a restart of PostgreSQL, an idle timeout).
      if (!reader->lost()) throw;
      reader->reconnect_if_lost();
      return fn(*reader);
    }
  });
}

// --- users ---

namespace {

// An account's creation and a guest's claim of one name take this lock first, so that each sees the other:
// without it, two transactions could each find the other's table free of the name and both commit.
void lock_name(PostgresConnection& c, std::string_view name) {
  c.query("SELECT pg_advisory_xact_lock(7777002, hashtext($1))", PostgresParams().add(name));
}

}  // namespace

std::optional<PrincipalId> PostgresStore::create_user(const UserRecord& user) {
  return run_write([&] { return fmt::format("create_user '{}'", user.name); },
                   [&](PostgresConnection& c) -> std::optional<PrincipalId> {
                     PostgresTransaction transaction(c);
                     lock_name(c, user.name);
                     // A guest of any node holding the name has it (NodeDirectory).
                     const auto result = c.query(
                         "INSERT INTO users (name, password_hash, created_ms, is_admin)"
                         " SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM guest_names WHERE name = $1)"
                         " ON CONFLICT (name) DO NOTHING RETURNING id",
                         PostgresParams().add(user.name).add(user.password_hash).add(user.created_ms).add_bool(
                             user.is_admin));
                     if (result.rows() == 0) return std::nullopt;
                     transaction.commit();
                     return result.integer(0, 0);
                   });
}

std::optional<UserRecord> PostgresStore::find_user(std::string_view name) const {
  return run_read([&] { return fmt::format("find_user '{}'", name); },
                  [&](PostgresConnection& c) -> std::optional<UserRecord> {
                    const auto result =
                        c.query("SELECT name, password_hash, created_ms, id, is_admin FROM users WHERE name = $1",
                                PostgresParams().add(name));
                    if (result.rows() == 0) return std::nullopt;
                    return UserRecord{result.text(0, 0), result.text(0, 1), result.integer(0, 2),
                                      result.integer(0, 3), result.boolean(0, 4)};
                  });
}

bool PostgresStore::set_admin(std::string_view name, bool is_admin) {
  return run_write([&] { return fmt::format("set_admin '{}' {}", name, is_admin); }, [&](PostgresConnection& c) {
    return c.query("UPDATE users SET is_admin = $2 WHERE name = $1", PostgresParams().add(name).add_bool(is_admin))
               .affected() == 1;
  });
}

std::vector<UserRecord> PostgresStore::load_users() const {
  return run_read([] { return std::string("load_users"); }, [&](PostgresConnection& c) {
    // COLLATE "C": by bytes, as SQLite orders, whatever the database's locale.
    const auto result = c.query("SELECT name, created_ms, id, is_admin FROM users ORDER BY name COLLATE \"C\"");
    std::vector<UserRecord> users;
    for (int row = 0; row < result.rows(); ++row) {
      users.push_back(UserRecord{result.text(row, 0), {}, result.integer(row, 1), result.integer(row, 2),
                                 result.boolean(row, 3)});
    }
    return users;
  });
}

std::int64_t PostgresStore::user_count() const {
  return run_read([] { return std::string("user_count"); },
                  [&](PostgresConnection& c) { return c.query("SELECT COUNT(*) FROM users").integer(0, 0); });
}

std::int64_t PostgresStore::begin_run(std::int64_t started_ms) {
  return run_write([] { return std::string("begin_run"); }, [&](PostgresConnection& c) {
    return c.query("INSERT INTO runs (started_ms) VALUES ($1) RETURNING id", PostgresParams().add(started_ms))
        .integer(0, 0);
  });
}

// --- rooms ---

bool PostgresStore::create_room(const RoomRecord& room) {
  return run_write([&] { return fmt::format("create_room '{}'", room.name); }, [&](PostgresConnection& c) {
    PostgresTransaction transaction(c);
    const auto created =
        c.query("INSERT INTO rooms (name, is_private, topic, owner, created_ms) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (name) DO NOTHING RETURNING id",
                PostgresParams().add(room.name).add_bool(room.is_private).add(room.topic).add(room.owner).add(
                    room.created_ms));
    if (created.rows() == 0) return false;  // the transaction rolls back (it wrote nothing)
    if (!room.owner.empty()) {
      c.query("INSERT INTO memberships (room_id, user_name, role, joined_ms) VALUES ($1, $2, $3, $4)",
              PostgresParams().add(created.integer(0, 0)).add(room.owner).add(std::int64_t{static_cast<int>(Role::owner)}).add(
                  room.created_ms));
    }
    transaction.commit();
    return true;
  });
}

std::optional<RoomRecord> PostgresStore::find_room(std::string_view name) const {
  return run_read([&] { return fmt::format("find_room '{}'", name); },
                  [&](PostgresConnection& c) -> std::optional<RoomRecord> {
                    const auto result = c.query(find_room_sql, PostgresParams().add(name));
                    if (result.rows() == 0) return std::nullopt;
                    return read_room(result, 0);
                  });
}

std::vector<RoomRecord> PostgresStore::load_rooms() const {
  return run_read([] { return std::string("load_rooms"); }, [&](PostgresConnection& c) {
    const auto result = c.query(load_rooms_sql);
    std::vector<RoomRecord> rooms;
    for (int row = 0; row < result.rows(); ++row) rooms.push_back(read_room(result, row));
    return rooms;
  });
}

bool PostgresStore::set_topic(std::string_view room, std::string_view topic) {
  return run_write([&] { return fmt::format("set_topic '{}'", room); }, [&](PostgresConnection& c) {
    return c.query("UPDATE rooms SET topic = $2 WHERE name = $1", PostgresParams().add(room).add(topic)).affected() ==
           1;
  });
}

// --- memberships, bans, invites ---
// A room that does not exist makes room_id NULL, which its NOT NULL constraint refuses: the write throws.

void PostgresStore::upsert_member(std::string_view room, std::string_view user, int role, std::int64_t ts_ms) {
  run_write([&] { return fmt::format("upsert_member '{}' in '{}' role {}", user, room, role); },
            [&](PostgresConnection& c) {
              c.query(sql({"INSERT INTO memberships (room_id, user_name, role, joined_ms) VALUES (", room_id_of,
                           ", $2, $3, $4) ON CONFLICT (room_id, user_name) DO UPDATE SET role = excluded.role"}),
                      PostgresParams().add(room).add(user).add(std::int64_t{role}).add(ts_ms));
            });
}

bool PostgresStore::remove_member(std::string_view room, std::string_view user) {
  return run_write([&] { return fmt::format("remove_member '{}' from '{}'", user, room); },
                   [&](PostgresConnection& c) {
                     return c.query(sql({"DELETE FROM memberships WHERE room_id = ", room_id_of, " AND user_name = $2"}),
                                    PostgresParams().add(room).add(user))
                                .affected() == 1;
                   });
}

std::vector<MembershipRecord> PostgresStore::load_memberships() const {
  return run_read([] { return std::string("load_memberships"); }, [&](PostgresConnection& c) {
    return read_memberships(
        c.query(sql({memberships_select, " ORDER BY r.name COLLATE \"C\", m.user_name COLLATE \"C\""})));
  });
}

void PostgresStore::add_ban(const BanRecord& ban) {
  run_write([&] { return fmt::format("add_ban '{}' in '{}'", ban.user, ban.room); }, [&](PostgresConnection& c) {
    c.query(sql({"INSERT INTO bans (room_id, user_name, banned_by, reason, created_ms) VALUES (", room_id_of,
                 ", $2, $3, $4, $5) ON CONFLICT (room_id, user_name) DO UPDATE SET banned_by = excluded.banned_by,"
                 " reason = excluded.reason, created_ms = excluded.created_ms"}),
            PostgresParams().add(ban.room).add(ban.user).add(ban.by).add(ban.reason).add(ban.created_ms));
  });
}

bool PostgresStore::remove_ban(std::string_view room, std::string_view user) {
  return run_write([&] { return fmt::format("remove_ban '{}' in '{}'", user, room); }, [&](PostgresConnection& c) {
    return c.query(sql({"DELETE FROM bans WHERE room_id = ", room_id_of, " AND user_name = $2"}),
                   PostgresParams().add(room).add(user))
               .affected() == 1;
  });
}

std::vector<BanRecord> PostgresStore::load_bans() const {
  return run_read([] { return std::string("load_bans"); }, [&](PostgresConnection& c) {
    return read_bans(c.query(sql({bans_select, " ORDER BY r.name COLLATE \"C\", b.user_name COLLATE \"C\""})));
  });
}

void PostgresStore::add_invite(const InviteRecord& invite) {
  run_write([&] { return fmt::format("add_invite '{}' to '{}'", invite.user, invite.room); },
            [&](PostgresConnection& c) {
              c.query(sql({"INSERT INTO invites (room_id, user_name, invited_by, created_ms) VALUES (", room_id_of,
                           ", $2, $3, $4) ON CONFLICT (room_id, user_name) DO UPDATE SET"
                           " invited_by = excluded.invited_by, created_ms = excluded.created_ms"}),
                      PostgresParams().add(invite.room).add(invite.user).add(invite.by).add(invite.created_ms));
            });
}

bool PostgresStore::remove_invite(std::string_view room, std::string_view user) {
  return run_write([&] { return fmt::format("remove_invite '{}' to '{}'", user, room); }, [&](PostgresConnection& c) {
    return c.query(sql({"DELETE FROM invites WHERE room_id = ", room_id_of, " AND user_name = $2"}),
                   PostgresParams().add(room).add(user))
               .affected() == 1;
  });
}

std::vector<InviteRecord> PostgresStore::load_invites() const {
  return run_read([] { return std::string("load_invites"); }, [&](PostgresConnection& c) {
    return read_invites(
        c.query(sql({invites_select, " ORDER BY r.name COLLATE \"C\", i.user_name COLLATE \"C\""})));
  });
}

std::optional<RoomState> PostgresStore::load_room_state(std::string_view name) const {
  return run_read([&] { return fmt::format("load_room_state '{}'", name); },
                  [&](PostgresConnection& c) -> std::optional<RoomState> {
                    RoomState state;
                    const auto room = c.query(find_room_sql, PostgresParams().add(name));
                    if (room.rows() == 0) return std::nullopt;
                    state.room = read_room(room, 0);
                    const auto of_room = [&](std::string_view select, std::string_view user) {
                      return c.query(sql({select, " WHERE r.name = $1 ORDER BY ", user, " COLLATE \"C\""}),
                                     PostgresParams().add(name));
                    };
                    state.members = read_memberships(of_room(memberships_select, "m.user_name"));
                    state.bans = read_bans(of_room(bans_select, "b.user_name"));
                    state.invites = read_invites(of_room(invites_select, "i.user_name"));
                    return state;
                  });
}

// --- messages ---

std::vector<AppendOutcome> PostgresStore::append_messages(std::span<const MessageRecord> messages) {
  return append(messages, /*isolate_failures=*/false);
}

std::vector<AppendOutcome> PostgresStore::append_messages_individually(std::span<const MessageRecord> messages) {
  return append(messages, /*isolate_failures=*/true);
}

std::vector<AppendOutcome> PostgresStore::append(std::span<const MessageRecord> messages, bool isolate_failures) {
  if (messages.empty()) return {};
  const MessageRecord* current = nullptr;
  return run_write(
      [&] {
        return fmt::format("{} (batch of {}, {})", isolate_failures ? "append_messages_individually" : "append_messages",
                           messages.size(), current ? describe(*current) : std::string("commit"));
      },
      [&](PostgresConnection& c) {
        PostgresTransaction transaction(c);
        struct Head {
          std::int64_t id = 0;
          std::int64_t last_seq = 0;
          bool advanced = false;
        };
        std::unordered_map<std::string, Head> heads;
        {
          std::vector<std::optional<std::string>> names;
          for (const auto& message : messages) names.emplace_back(message.room);
          std::sort(names.begin(), names.end());
          names.erase(std::unique(names.begin(), names.end()), names.end());
          const auto locked = c.query(lock_rooms_sql, PostgresParams().add_array(names));
          for (int row = 0; row < locked.rows(); ++row) {
            heads[locked.text(row, 0)] = Head{locked.integer(row, 1), locked.integer(row, 2)};
          }
        }
        // (room id, sender id, client id) -> seq, of what is stored and of what this batch stores.
        std::map<std::tuple<std::int64_t, PrincipalId, std::string>, std::int64_t> client_ids;
        {
          std::vector<std::int64_t> rooms, senders;
          std::vector<std::optional<std::string>> ids;
          for (const auto& message : messages) {
            const auto head = heads.find(message.room);
            if (!message.client_id || head == heads.end()) continue;
            rooms.push_back(head->second.id);
            senders.push_back(message.sender_id);
            ids.push_back(message.client_id);
          }
          if (!ids.empty()) {
            const auto stored =
                c.query(stored_client_ids_sql, PostgresParams().add_array(rooms).add_array(senders).add_array(ids));
            for (int row = 0; row < stored.rows(); ++row) {
              client_ids.emplace(std::tuple{stored.integer(row, 0), stored.integer(row, 1), stored.text(row, 2)},
                                 stored.integer(row, 3));
            }
          }
        }
        std::vector<AppendOutcome> outcome;
        outcome.reserve(messages.size());
        MessageColumns rows;
        for (const auto& message : messages) {
          current = &message;
          const auto found = heads.find(message.room);
          if (found == heads.end()) {
            if (!isolate_failures) throw std::runtime_error("no such room");
            outcome.push_back(AppendOutcome::failure(describe(message) + ": no such room"));
            continue;
          }
          Head& head = found->second;
          if (message.client_id) {
            const auto original = client_ids.find(std::tuple{head.id, message.sender_id, *message.client_id});
            if (original != client_ids.end()) {
              outcome.push_back(AppendOutcome::duplicate_of(original->second));
              continue;
            }
          }
          const std::int64_t seq = head.last_seq + 1;
          if (isolate_failures) {
            // A failed statement aborts a PostgreSQL transaction: a savepoint per record lets one fail alone.
            c.exec("SAVEPOINT record");
            try {
              c.query(insert_message_sql, PostgresParams()
                                              .add(head.id)
                                              .add(seq)
                                              .add(message.sender)
                                              .add(message.sender_id)
                                              .add(message.ts_ms)
                                              .add(message.text)
                                              .add_optional(message.client_id)
                                              .add(std::int64_t{static_cast<int>(message.kind)}));
              c.exec("RELEASE SAVEPOINT record");
            } catch (const PostgresError& e) {
              if (e.is_fault()) throw;
              c.exec("ROLLBACK TO SAVEPOINT record");
              c.exec("RELEASE SAVEPOINT record");
              outcome.push_back(AppendOutcome::failure(fmt::format("{}: {}", describe(message), e.what())));
              continue;
            }
          } else {
            rows.add(head.id, seq, message);
          }
          head.last_seq = seq;
          head.advanced = true;
          if (message.client_id) client_ids.emplace(std::tuple{head.id, message.sender_id, *message.client_id}, seq);
          outcome.push_back(AppendOutcome::stored_as(seq));
        }
        current = nullptr;
        if (!rows.seq.empty()) c.query(insert_messages_sql, rows.params());
        std::vector<std::int64_t> ids, last_seqs;
        for (const auto& [name, head] : heads) {
          if (!head.advanced) continue;
          ids.push_back(head.id);
          last_seqs.push_back(head.last_seq);
        }
        if (!ids.empty()) c.query(advance_rooms_sql, PostgresParams().add_array(ids).add_array(last_seqs));
        transaction.commit();
        return outcome;
      });
}

std::vector<MessageRecord> PostgresStore::history(std::string_view room, std::optional<std::int64_t> before,
                                                  std::optional<std::int64_t> after, std::size_t limit) const {
  if (limit == 0) return {};
  return run_read([&] { return fmt::format("history '{}'", room); }, [&](PostgresConnection& c) {
    const auto result = c.query(after ? history_forward_sql : history_backward_sql,
                                PostgresParams()
                                    .add(room)
                                    .add(after.value_or(std::numeric_limits<std::int64_t>::min()))
                                    .add(before.value_or(std::numeric_limits<std::int64_t>::max()))
                                    .add(sql_limit(limit)));
    std::vector<MessageRecord> page;
    for (int row = 0; row < result.rows(); ++row) page.push_back(read_message(result, row, room));
    if (!after) std::reverse(page.begin(), page.end());
    return page;
  });
}

std::vector<MessageRecord> PostgresStore::replay(std::string_view room, std::int64_t since, std::int64_t up_to,
                                                 std::size_t limit) const {
  if (limit == 0 || up_to <= since) return {};
  return run_read([&] { return fmt::format("replay '{}' ({}, {}]", room, since, up_to); },
                  [&](PostgresConnection& c) {
                    const auto result =
                        c.query(replay_sql, PostgresParams().add(room).add(since).add(up_to).add(sql_limit(limit)));
                    std::vector<MessageRecord> page;
                    for (int row = 0; row < result.rows(); ++row) page.push_back(read_message(result, row, room));
                    std::reverse(page.begin(), page.end());
                    return page;
                  });
}

std::optional<std::int64_t> PostgresStore::find_client_message(std::string_view room, PrincipalId sender_id,
                                                               std::string_view client_id) const {
  return run_read([&] { return fmt::format("find_client_message '{}' {} '{}'", room, sender_id, client_id); },
                  [&](PostgresConnection& c) -> std::optional<std::int64_t> {
                    const auto result = c.query(
                        sql({"SELECT seq FROM messages WHERE room_id = ", room_id_of,
                             " AND sender_id = $2 AND client_id = $3"}),
                        PostgresParams().add(room).add(sender_id).add(client_id));
                    if (result.rows() == 0) return std::nullopt;
                    return result.integer(0, 0);
                  });
}

std::vector<ClientMessageRef> PostgresStore::recent_client_messages(std::string_view room, std::size_t limit) const {
  if (limit == 0) return {};
  return run_read([&] { return fmt::format("recent_client_messages '{}'", room); }, [&](PostgresConnection& c) {
    const auto result = c.query(sql({"SELECT sender_id, client_id, seq FROM messages WHERE room_id = ", room_id_of,
                                     " AND client_id IS NOT NULL ORDER BY seq DESC LIMIT $2"}),
                                PostgresParams().add(room).add(sql_limit(limit)));
    std::vector<ClientMessageRef> refs;
    for (int row = result.rows() - 1; row >= 0; --row) {
      refs.push_back({result.integer(row, 0), result.text(row, 1), result.integer(row, 2)});
    }
    return refs;
  });
}

std::int64_t PostgresStore::message_count() const {
  return run_read([] { return std::string("message_count"); },
                  [&](PostgresConnection& c) { return c.query("SELECT COUNT(*) FROM messages").integer(0, 0); });
}

// --- direct messages ---

StoredDirectMessage PostgresStore::store_direct_message(DirectMessageRecord message) {
  return run_write(
      [&] { return fmt::format("store_direct_message '{}' -> '{}'", message.sender, message.recipient); },
      [&](PostgresConnection& c) {
        PostgresTransaction transaction(c);  // its BEGIN finds a connection the server closed, and begins anew
        const auto inserted = c.query(
            "INSERT INTO direct_messages (sender, recipient, ts_ms, text, client_id, sender_id, recipient_id, kind)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (sender_id, recipient_id, client_id) WHERE client_id IS NOT NULL DO NOTHING RETURNING id",
            PostgresParams()
                .add(message.sender)
                .add(message.recipient)
                .add(message.ts_ms)
                .add(message.text)
                .add_optional(message.client_id)
                .add(message.sender_id)
                .add(message.recipient_id)
                .add(std::int64_t{static_cast<int>(message.kind)}));
        if (inserted.rows() == 1) {
          message.id = inserted.integer(0, 0);
          transaction.commit();
          return StoredDirectMessage{std::move(message), false};
        }
        // Only a client id conflict makes the insert do nothing; the conflicting row is committed (an insert
        // of another server still open would have been waited for), so it is found.
        if (!message.client_id) throw StorageError("insert ignored without a client id");
        const auto found = c.query(find_direct_message_sql,
                                   PostgresParams().add(message.sender_id).add(message.recipient_id).add_optional(message.client_id));
        if (found.rows() == 0) throw StorageError("conflicting direct message not found");
        transaction.commit();
        return StoredDirectMessage{read_direct_message(found, 0), true};
      });
}

std::vector<DirectMessageRecord> PostgresStore::undelivered_direct_messages(PrincipalId recipient,
                                                                            std::size_t limit) const {
  if (limit == 0) return {};
  return run_read([&] { return fmt::format("undelivered_direct_messages {}", recipient); },
                  [&](PostgresConnection& c) {
                    const auto result = c.query(undelivered_sql, PostgresParams().add(recipient).add(sql_limit(limit)));
                    std::vector<DirectMessageRecord> messages;
                    for (int row = 0; row < result.rows(); ++row) messages.push_back(read_direct_message(result, row));
                    return messages;
                  });
}

std::size_t PostgresStore::count_undelivered_direct_messages(PrincipalId recipient, std::size_t limit) const {
  if (limit == 0) return 0;
  return run_read([&] { return fmt::format("count_undelivered_direct_messages {}", recipient); },
                  [&](PostgresConnection& c) {
                    return static_cast<std::size_t>(
                        c.query("SELECT COUNT(*) FROM (SELECT 1 FROM direct_messages"
                                " WHERE recipient_id = $1 AND NOT delivered LIMIT $2) AS waiting",
                                PostgresParams().add(recipient).add(sql_limit(limit)))
                            .integer(0, 0));
                  });
}

std::int64_t PostgresStore::count_undelivered_direct_messages() const {
  return run_read([] { return std::string("count_undelivered_direct_messages"); }, [&](PostgresConnection& c) {
    return c.query("SELECT COUNT(*) FROM direct_messages WHERE NOT delivered").integer(0, 0);
  });
}

std::int64_t PostgresStore::mark_delivered(PrincipalId recipient, std::span<const std::int64_t> ids) {
  if (ids.empty()) return 0;
  return run_write(
      [&] { return fmt::format("mark_delivered {} ({} messages from id {})", recipient, ids.size(), ids.front()); },
      [&](PostgresConnection& c) {
        return c
            .query("UPDATE direct_messages SET delivered = true"
                   " WHERE recipient_id = $1 AND id = ANY($2::bigint[]) AND NOT delivered",
                   PostgresParams().add(recipient).add_array(ids))
            .affected();
      });
}

std::int64_t PostgresStore::discard_undelivered_direct_messages(PrincipalId recipient) {
  return run_write([&] { return fmt::format("discard_undelivered_direct_messages {}", recipient); },
                   [&](PostgresConnection& c) {
                     return c.query("DELETE FROM direct_messages WHERE recipient_id = $1 AND NOT delivered",
                                    PostgresParams().add(recipient))
                         .affected();
                   });
}

std::int64_t PostgresStore::discard_undelivered_to_guests() {
  return run_write([] { return std::string("discard_undelivered_to_guests"); }, [&](PostgresConnection& c) {
    return c.query("DELETE FROM direct_messages WHERE recipient_id < 0 AND NOT delivered").affected();
  });
}

// --- several servers ---

bool PostgresStore::heartbeat(std::string_view node) {
  return run_directory(heartbeats_, [&] { return fmt::format("heartbeat of node {}", node); }, [&](PostgresConnection& c) {
    // xmax is 0 on a row this statement inserted, not on one it updated.
    return !c.query("INSERT INTO nodes (node, seen) VALUES ($1, clock_timestamp())"
                    " ON CONFLICT (node) DO UPDATE SET seen = EXCLUDED.seen RETURNING xmax = 0",
                    PostgresParams().add(node))
                .boolean(0, 0);
  });
}

std::vector<std::string> PostgresStore::expire_nodes(std::string_view self, std::chrono::milliseconds timeout) {
  return run_directory(heartbeats_, [] { return std::string("expire_nodes"); }, [&](PostgresConnection& c) {
    PostgresTransaction transaction(c);
    const auto expired = c.query(
        "DELETE FROM nodes WHERE seen < clock_timestamp() - make_interval(secs => $1::BIGINT / 1000.0)"
        " AND node <> $2 RETURNING node",
        PostgresParams().add(static_cast<std::int64_t>(timeout.count())).add(self));
    c.query("DELETE FROM guest_names WHERE node NOT IN (SELECT node FROM nodes)");
    // A guest that holds no name is gone for good: what waits for it, no one will read. (A guest claims its
    // name before anyone can address it, so none that is still to come can be discarded here.)
    c.query("DELETE FROM direct_messages WHERE recipient_id < 0 AND NOT delivered"
            " AND recipient_id NOT IN (SELECT principal FROM guest_names)");
    transaction.commit();
    std::vector<std::string> nodes;
    for (int row = 0; row < expired.rows(); ++row) nodes.push_back(expired.text(row, 0));
    return nodes;
  });
}

void PostgresStore::leave(std::string_view node) {
  run_directory(heartbeats_, [&] { return fmt::format("leave of node {}", node); }, [&](PostgresConnection& c) {
    PostgresTransaction transaction(c);
    c.query("DELETE FROM guest_names WHERE node = $1", PostgresParams().add(node));
    c.query("DELETE FROM nodes WHERE node = $1", PostgresParams().add(node));
    transaction.commit();
  });
}

bool PostgresStore::claim_guest_name(std::string_view name, std::string_view node, PrincipalId principal) {
  return run_directory(claims_, [&] { return fmt::format("claim_guest_name '{}'", name); }, [&](PostgresConnection& c) {
    PostgresTransaction transaction(c);
    lock_name(c, name);
    c.query("INSERT INTO nodes (node, seen) VALUES ($1, clock_timestamp()) ON CONFLICT (node) DO NOTHING",
            PostgresParams().add(node));
    const auto claimed =
        c.query("INSERT INTO guest_names (name, node, principal)"
                " SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM users WHERE name = $1)"
                " ON CONFLICT (name) DO NOTHING RETURNING principal",
                PostgresParams().add(name).add(node).add(principal));
    if (claimed.rows() == 0) return false;
    transaction.commit();
    return true;
  });
}

void PostgresStore::release_guest_name(std::string_view name, PrincipalId principal) {
  run_directory(claims_, [&] { return fmt::format("release_guest_name '{}'", name); }, [&](PostgresConnection& c) {
    c.query("DELETE FROM guest_names WHERE name = $1 AND principal = $2", PostgresParams().add(name).add(principal));
  });
}

std::optional<PrincipalId> PostgresStore::guest_named(std::string_view name) const {
  return run_read([&] { return fmt::format("guest_named '{}'", name); },
                  [&](PostgresConnection& c) -> std::optional<PrincipalId> {
                    const auto result =
                        c.query("SELECT principal FROM guest_names WHERE name = $1", PostgresParams().add(name));
                    if (result.rows() == 0) return std::nullopt;
                    return result.integer(0, 0);
                  });
}

std::vector<std::pair<std::string, PrincipalId>> PostgresStore::guests_of(std::string_view node) const {
  return run_directory(claims_, [&] { return fmt::format("guests_of node {}", node); }, [&](PostgresConnection& c) {
    const auto result =
        c.query("SELECT name, principal FROM guest_names WHERE node = $1 ORDER BY name", PostgresParams().add(node));
    std::vector<std::pair<std::string, PrincipalId>> guests;
    for (int row = 0; row < result.rows(); ++row) guests.emplace_back(result.text(row, 0), result.integer(row, 1));
    return guests;
  });
}

// --- health ---

bool PostgresStore::recover() noexcept {
  std::lock_guard lock(write_mutex_);
  if (!health_.failing()) return true;
  try {
    with_context([] { return std::string("recover"); }, [&] {
      writer_->reconnect_if_lost();
      PostgresTransaction transaction(*writer_);
      writer_->exec("UPDATE chat_schema SET version = version");
      transaction.commit();
    });
  } catch (const std::exception& e) {
    // Each pass would log the same as the first failure did; debug only.
    spdlog::debug("storage: {} still failing: {}", where_, e.what());
    return false;
  }
  if (const auto ended = health_.record_recovery()) {
    spdlog::warn("storage: writes to {} work again after {} ms ({} failed writes, the last: {})", where_,
                 health_.snapshot().since_ms - ended->since_ms, ended->failed_writes, ended->reason);
  }
  return true;
}

}  // namespace chat
