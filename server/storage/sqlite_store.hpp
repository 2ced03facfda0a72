#pragma once
// The Store in one SQLite file: the embedded default.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/storage/store.hpp"
#include "server/storage/store_options.hpp"

namespace chat {

class SqliteConnection;
template <typename Connection>
class ConnectionPool;
class StorageError;
class WalCheckpointer;

// The store in one SQLite file. One writer connection behind a mutex (writes are serialized), reads through a
// small pool of read-only connections, so history reads never wait for a write transaction (WAL mode). The WAL
// is copied back into the database by a thread of the store's own (WalCheckpointer), not inside the commits.
// Storage faults are SQLite's result codes for a full disk, an I/O error, a read-only or damaged file.
class SqliteStore final : public Store {
 public:
  // Opens or creates the file (and its parent directory) in WAL mode, checks its integrity
  // (options.check_at_start), proves that it takes writes and migrates the schema. Throws StorageError, whose
  // message names the file.
  explicit SqliteStore(StoreOptions options);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  const StoreOptions& options() const noexcept { return options_; }

  std::optional<PrincipalId> create_user(const UserRecord& user) override;
  std::optional<UserRecord> find_user(std::string_view name) const override;
  bool set_admin(std::string_view name, bool is_admin) override;
  std::vector<UserRecord> load_users() const override;
  std::int64_t user_count() const override;
  std::int64_t begin_run(std::int64_t started_ms) override;

  bool create_room(const RoomRecord& room) override;
  std::optional<RoomRecord> find_room(std::string_view name) const override;
  std::vector<RoomRecord> load_rooms() const override;
  bool set_topic(std::string_view room, std::string_view topic) override;
  void upsert_member(std::string_view room, std::string_view user, int role, std::int64_t ts_ms) override;
  bool remove_member(std::string_view room, std::string_view user) override;
  std::vector<MembershipRecord> load_memberships() const override;
  void add_ban(const BanRecord& ban) override;
  bool remove_ban(std::string_view room, std::string_view user) override;
  std::vector<BanRecord> load_bans() const override;
  void add_invite(const InviteRecord& invite) override;
  bool remove_invite(std::string_view room, std::string_view user) override;
  std::vector<InviteRecord> load_invites() const override;
  std::optional<RoomState> load_room_state(std::string_view name) const override;

  std::vector<AppendOutcome> append_messages(std::span<const MessageRecord> messages) override;
  std::vector<AppendOutcome> append_messages_individually(std::span<const MessageRecord> messages) override;
  std::vector<MessageRecord> history(std::string_view room, std::optional<std::int64_t> before,
                                     std::optional<std::int64_t> after, std::size_t limit) const override;
  std::vector<MessageRecord> replay(std::string_view room, std::int64_t since, std::int64_t up_to,
                                    std::size_t limit) const override;
  std::optional<std::int64_t> find_client_message(std::string_view room, PrincipalId sender_id,
                                                  std::string_view client_id) const override;
  std::vector<ClientMessageRef> recent_client_messages(std::string_view room, std::size_t limit) const override;
  std::int64_t message_count() const override;

  StoredDirectMessage store_direct_message(DirectMessageRecord message) override;
  std::vector<DirectMessageRecord> undelivered_direct_messages(PrincipalId recipient,
                                                               std::size_t limit) const override;
  std::size_t count_undelivered_direct_messages(PrincipalId recipient, std::size_t limit) const override;
  std::int64_t count_undelivered_direct_messages() const override;
  std::int64_t mark_delivered(PrincipalId recipient, std::span<const std::int64_t> ids) override;
  std::int64_t discard_undelivered_direct_messages(PrincipalId recipient) override;
  std::int64_t discard_undelivered_to_guests() override;

  // "ok" when healthy, otherwise SQLite's findings, one per line.
  std::string integrity_check() const;
  // Stops the background checkpoints, copies the WAL into the database and truncates it (for shutdown; later
  // commits checkpoint as SQLite does by default). Returns false — and logs — when readers kept it from
  // completing or it failed (a full disk, a read-only file); nothing is lost then, the WAL is simply kept.
  bool checkpoint() noexcept override;
  std::optional<CheckpointStats> checkpoint_stats() const override;

  StorageHealth::Snapshot health() const override;
  bool writes_failing() const noexcept override { return health_.failing(); }
  // Copies the WAL back into the database and truncates it — the space it gives back may be what was
  // missing — then commits a test write. Holds the writer meanwhile.
  bool recover() noexcept override;

 private:
  // Runs fn holding the writer, turning failures into StorageErrors named by context() and noting the
  // storage's own faults in health_.
  template <typename Context, typename Fn>
  auto run_write(Context&& context, Fn&& fn) -> decltype(fn());
  void note_fault(const StorageError& error);
  // The single number a `SELECT COUNT(*) ...` without parameters reads, on a reader connection.
  std::int64_t count(const char* what, const char* sql) const;
  struct RoomHead;
  // Runs the check options.check_at_start names; throws StorageError with SQLite's findings unless "ok".
  void check_integrity();
  // Empties the WAL where it can (a TRUNCATE checkpoint), then commits a write that changes nothing (the
  // schema version rewritten with its own value): the proof that the file, its folder and its volume take
  // writes. Throws. Writer held.
  void prove_writable();
  // The body of both appends, inside the caller's transaction; `current` names the message being written.
  std::vector<AppendOutcome> write_messages(std::span<const MessageRecord> messages, bool isolate_failures,
                                            const MessageRecord*& current);

  StoreOptions options_;
  std::unique_ptr<SqliteConnection> writer_;  // guarded by write_mutex_
  mutable std::mutex write_mutex_;
  std::unique_ptr<ConnectionPool<SqliteConnection>> readers_;  // declared after writer_: readers close first
  StorageHealth health_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // last: stops before any connection closes
};

}  // namespace chat
