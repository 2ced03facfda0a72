#pragma once
// Durable state of the chat server in one SQLite file: users, rooms and their memberships, bans and invites,
// room messages and direct messages.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/storage/records.hpp"
#include "server/storage/storage_health.hpp"
#include "server/storage/store_options.hpp"

namespace chat {

class Connection;
class ConnectionPool;
class StorageError;
class WalCheckpointer;

// Thread-safe: one writer connection behind a mutex (writes are serialized), reads through a small pool of
// read-only connections, so history reads never wait for a write transaction (WAL mode). A read sees every
// write that returned before it started. The WAL is copied back into the database by a thread of the
// Store's own (WalCheckpointer), not inside the commits.
//
// Errors: SQLite failures throw StorageError, whose message names the operation and its subject. Outcomes the
// caller expects (a name already taken, nothing to remove) are return values, not exceptions. The Store logs
// only opening, checkpoint problems and the changes of its health; reporting a thrown error is the caller's
// job.
//
// Health: a write that fails for the storage (disk full, I/O error, read-only or damaged file; see
// StorageHealth) turns the store to failing until recover() succeeds. The store goes on trying every write
// it is asked to do; refusing writes while it fails is the caller's choice.
//
// Writes naming a room that does not exist throw StorageError (the room id cannot be resolved).
class Store {
 public:
  // Opens or creates the file (and its parent directory) in WAL mode, checks its integrity
  // (options.check_at_start), proves that it takes writes and migrates the schema. Throws StorageError, whose
  // message names the file.
  explicit Store(StoreOptions options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const StoreOptions& options() const noexcept { return options_; }

  // --- users ---
  // The new account's id (user.id is ignored); nullopt: name taken.
  std::optional<PrincipalId> create_user(const UserRecord& user);
  std::optional<UserRecord> find_user(std::string_view name) const;  // with its id
  bool set_admin(std::string_view name, bool is_admin);  // false: no such user
  std::vector<UserRecord> load_users() const;            // by name, without password hashes
  std::int64_t user_count() const;

  // --- runs ---
  // Records a start of the server and returns its number: never returned before, by this file, > 0. Guests'
  // principal ids are drawn from it (GuestIds).
  std::int64_t begin_run(std::int64_t started_ms);

  // --- rooms, memberships, bans, invites (each call one short transaction) ---
  // false: name taken. A non-empty owner becomes a member with Role::owner in the same transaction.
  // room.last_seq is ignored.
  bool create_room(const RoomRecord& room);
  std::optional<RoomRecord> find_room(std::string_view name) const;  // with last_seq
  std::vector<RoomRecord> load_rooms() const;                         // with last_seq, in creation order
  bool set_topic(std::string_view room, std::string_view topic);      // false: no such room

  // Adds the member, or changes the role of an existing one (keeping the original joined_ms).
  void upsert_member(std::string_view room, std::string_view user, int role, std::int64_t ts_ms);
  bool remove_member(std::string_view room, std::string_view user);  // false: was not a member
  std::vector<MembershipRecord> load_memberships() const;             // ordered by room, then user

  // Adding a ban or an invite that exists replaces it (new author, reason, time).
  void add_ban(const BanRecord& ban);
  bool remove_ban(std::string_view room, std::string_view user);  // false: was not banned
  std::vector<BanRecord> load_bans() const;
  void add_invite(const InviteRecord& invite);
  bool remove_invite(std::string_view room, std::string_view user);  // false: was not invited
  std::vector<InviteRecord> load_invites() const;

  // --- messages ---
  // Appends in one transaction, giving each message written the next seq of its room (message.seq is
  // ignored): seqs are read and advanced inside the transaction, so a seq is never given twice nor skipped,
  // and one that a failed transaction would have used goes to the next message. A message whose (room,
  // sender_id, client_id) is stored already writes nothing and takes no seq: its outcome is `duplicate` with the
  // original's seq. Returns one outcome per message, none of them `failed`; on a throw nothing is stored.
  // A message's sender is its sender_id; `sender`, the name, is what readers are shown.
  std::vector<AppendOutcome> append_messages(std::span<const MessageRecord> messages);
  // The same, except that a message violating a constraint (an unknown room...) fails alone: its outcome is
  // `failed`, it takes no seq, and the others are kept. Throws StorageError — and stores nothing — when the
  // transaction itself fails (I/O error, disk full).
  std::vector<AppendOutcome> append_messages_individually(std::span<const MessageRecord> messages);

  // A page of history in ascending seq order, at most `limit` records. With `after`, the page starts right
  // after that seq (paging forward); otherwise it ends right before `before`, or at the newest message
  // (paging backward). Both bounds are exclusive and may be combined.
  std::vector<MessageRecord> history(std::string_view room, std::optional<std::int64_t> before,
                                     std::optional<std::int64_t> after, std::size_t limit) const;
  // For resuming a session: the records with since < seq <= up_to, ascending; when there are more than
  // `limit`, the most recent `limit` of them.
  std::vector<MessageRecord> replay(std::string_view room, std::int64_t since, std::int64_t up_to,
                                    std::size_t limit) const;
  // seq of the message stored for (room, sender_id, client_id), if any.
  std::optional<std::int64_t> find_client_message(std::string_view room, PrincipalId sender_id,
                                                  std::string_view client_id) const;
  // The `limit` most recent messages of the room that carry a client id, ascending by seq: enough to rebuild
  // an in-memory de-duplication window after a restart.
  std::vector<ClientMessageRef> recent_client_messages(std::string_view room, std::size_t limit) const;
  std::int64_t message_count() const;

  // --- direct messages ---
  // Stores the message and assigns its id (the id passed in is ignored). If (sender_id, recipient_id,
  // client_id) was stored before, nothing is written and the stored message is returned with duplicate = true.
  StoredDirectMessage store_direct_message(DirectMessageRecord message);
  // The oldest `limit` undelivered messages for the recipient, ascending by id.
  std::vector<DirectMessageRecord> undelivered_direct_messages(PrincipalId recipient, std::size_t limit) const;
  // How many undelivered messages wait for the recipient, counting up to `limit` (an index range count, no
  // rows read).
  std::size_t count_undelivered_direct_messages(PrincipalId recipient, std::size_t limit) const;
  // All recipients' undelivered messages together (the partial index's entries, not the table's rows).
  std::int64_t count_undelivered_direct_messages() const;
  // Marks exactly these messages of the recipient delivered, in one transaction; returns how many changed.
  // Not a watermark: an older message may still be on its way to the recipient, or have been dropped.
  std::int64_t mark_delivered(PrincipalId recipient, std::span<const std::int64_t> ids);
  // Deletes what waits for the recipient (a guest that left: nobody else may ever read it); returns how many.
  std::int64_t discard_undelivered_direct_messages(PrincipalId recipient);
  // The same for every guest: at start-up, when the guests of earlier runs are all gone.
  std::int64_t discard_undelivered_to_guests();

  // --- maintenance ---
  std::string integrity_check() const;  // "ok" when healthy, otherwise SQLite's findings, one per line
  // Stops the background checkpoints, copies the WAL into the database and truncates it (for shutdown; later
  // commits checkpoint as SQLite does by default). Returns false — and logs — when readers kept it from
  // completing or it failed (a full disk, a read-only file); nothing is lost then, the WAL is simply kept.
  bool checkpoint() noexcept;
  CheckpointStats checkpoint_stats() const;

  // --- health ---
  StorageHealth::Snapshot health() const;
  bool writes_failing() const noexcept { return health_.failing(); }
  // While writes fail: copies the WAL back into the database and truncates it — the space it gives back may
  // be what was missing — then commits a test write; if that succeeds, the store is healthy again. Returns
  // whether it is. Logs the recovery once, a failed attempt at debug only. Meant to be called periodically
  // while writes_failing() (the server: every storage.retry_interval_ms); holds the writer meanwhile.
  bool recover() noexcept;

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
  std::unique_ptr<Connection> writer_;  // guarded by write_mutex_
  mutable std::mutex write_mutex_;
  std::unique_ptr<ConnectionPool> readers_;  // declared after writer_: readers close first
  StorageHealth health_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // last: stops before any connection closes
};

}  // namespace chat
