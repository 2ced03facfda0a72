#pragma once
// The Store in a PostgreSQL database, which several servers may share.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/storage/node_directory.hpp"
#include "server/storage/store.hpp"

namespace chat {

class PostgresConnection;
template <typename Connection>
class ConnectionPool;

// One writer connection behind a mutex (this server's writes are serialized, as with SQLite) and a small pool
// of connections for reads. Writes of several servers to one database meet in PostgreSQL: appending to a room
// locks its row (rooms.last_seq), so its seqs stay gapless and unique whichever server appends; names, client
// ids and memberships are unique by constraints, so the rules hold across servers.
//
// Storage faults are what PostgresError::is_fault says: the connection lost or refused, the server out of
// disk, memory or connections, shutting down. A lost connection is opened again by the next operation that
// needs it, and by recover().
class PostgresStore final : public Store, public NodeDirectory {
 public:
  // Connects `read_connections` + 1 times to `url` and migrates the schema. Throws StorageError, whose message
  // names the database (without a password).
  PostgresStore(std::string url, std::size_t read_connections);
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

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

  NodeDirectory* node_directory() noexcept override { return this; }
  bool heartbeat(std::string_view node) override;
  std::vector<std::string> expire_nodes(std::string_view self, std::chrono::milliseconds timeout) override;
  void leave(std::string_view node) override;
  bool claim_guest_name(std::string_view name, std::string_view node, PrincipalId principal) override;
  void release_guest_name(std::string_view name, PrincipalId principal) override;
  std::optional<PrincipalId> guest_named(std::string_view name) const override;
  std::vector<std::pair<std::string, PrincipalId>> guests_of(std::string_view node) const override;

  // PostgreSQL checkpoints by itself: nothing to do, true.
  bool checkpoint() noexcept override { return true; }
  std::optional<CheckpointStats> checkpoint_stats() const override { return std::nullopt; }

  StorageHealth::Snapshot health() const override { return health_.snapshot(); }
  bool writes_failing() const noexcept override { return health_.failing(); }
  // Connects the writer again if its connection was lost, then commits a test write.
  bool recover() noexcept override;

 private:
  // The NodeDirectory's connections are each one of these (see heartbeats_, claims_).
  struct DirectoryConnection {
    std::mutex mutex;
    std::unique_ptr<PostgresConnection> connection;  // guarded by mutex
  };
  // Runs fn(writer) holding the writer, reconnecting it first if it was lost, turning failures into
  // StorageErrors named by context() and noting the storage's faults in health_.
  template <typename Context, typename Fn>
  auto run_write(Context&& context, Fn&& fn) -> decltype(fn(std::declval<PostgresConnection&>()));
  // On the directory's connection. Its failures do not turn the store's health: they are the directory's.
  template <typename Context, typename Fn>
  auto run_directory(DirectoryConnection& on, Context&& context, Fn&& fn) const
      -> decltype(fn(std::declval<PostgresConnection&>()));
  // Runs fn(reader) on a pooled connection, reconnecting it first if it was lost.
  template <typename Context, typename Fn>
  auto run_read(Context&& context, Fn&& fn) const -> decltype(fn(std::declval<PostgresConnection&>()));
  std::vector<AppendOutcome> append(std::span<const MessageRecord> messages, bool isolate_failures);

  std::string url_;
  std::string where_;  // the database for log lines: host, port and name, never a password
  std::unique_ptr<PostgresConnection> writer_;  // guarded by write_mutex_
  mutable std::mutex write_mutex_;
  std::unique_ptr<ConnectionPool<PostgresConnection>> readers_;
  // The NodeDirectory's two, opened at their first use (a server alone never opens them): one for the node's
  // heartbeat and the expiry of others, one for its guests' claims — so that no flood of guests delays a
  // heartbeat.
  mutable DirectoryConnection heartbeats_;
  mutable DirectoryConnection claims_;
  StorageHealth health_;
};

}  // namespace chat
