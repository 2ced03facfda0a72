#pragma once
// Durable state of the chat server: users, rooms and their memberships, bans and invites, room messages and
// direct messages. Two backends keep it: SqliteStore (one file, the embedded default) and PostgresStore (a
// database several servers can share); open_store picks one from the configuration.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/storage/records.hpp"
#include "server/storage/storage_health.hpp"

namespace chat {

class NodeDirectory;

// Thread-safe. A read sees every write that returned before it started.
//
// Errors: failures throw StorageError, whose message names the operation and its subject. Outcomes the caller
// expects (a name already taken, nothing to remove) are return values, not exceptions. A store logs only
// opening, maintenance problems and the changes of its health; reporting a thrown error is the caller's job.
//
// Health: a write that fails for the storage (disk full, I/O error, a database gone; StorageError::is_fault)
// turns the store to failing until recover() succeeds. The store goes on trying every write it is asked to do;
// refusing writes while it fails is the caller's choice.
//
// Writes naming a room that does not exist throw StorageError (the room id cannot be resolved).
class Store {
 public:
  virtual ~Store() = default;

  // --- users ---
  // The new account's id (user.id is ignored); nullopt: name taken.
  virtual std::optional<PrincipalId> create_user(const UserRecord& user) = 0;
  virtual std::optional<UserRecord> find_user(std::string_view name) const = 0;  // with its id
  virtual bool set_admin(std::string_view name, bool is_admin) = 0;              // false: no such user
  virtual std::vector<UserRecord> load_users() const = 0;  // by name, without password hashes
  virtual std::int64_t user_count() const = 0;

  // --- runs ---
  // Records a start of a server and returns its number: never returned before by this database, > 0. Guests'
  // principal ids are drawn from it (GuestIds), so servers sharing a database never give one id twice.
  virtual std::int64_t begin_run(std::int64_t started_ms) = 0;

  // --- rooms, memberships, bans, invites (each call one short transaction) ---
  // false: name taken. A non-empty owner becomes a member with Role::owner in the same transaction.
  // room.last_seq is ignored.
  virtual bool create_room(const RoomRecord& room) = 0;
  virtual std::optional<RoomRecord> find_room(std::string_view name) const = 0;  // with last_seq
  virtual std::vector<RoomRecord> load_rooms() const = 0;  // with last_seq, in creation order
  virtual bool set_topic(std::string_view room, std::string_view topic) = 0;  // false: no such room

  // Adds the member, or changes the role of an existing one (keeping the original joined_ms).
  virtual void upsert_member(std::string_view room, std::string_view user, int role, std::int64_t ts_ms) = 0;
  virtual bool remove_member(std::string_view room, std::string_view user) = 0;  // false: was not a member
  virtual std::vector<MembershipRecord> load_memberships() const = 0;  // ordered by room, then user

  // Adding a ban or an invite that exists replaces it (new author, reason, time).
  virtual void add_ban(const BanRecord& ban) = 0;
  virtual bool remove_ban(std::string_view room, std::string_view user) = 0;  // false: was not banned
  virtual std::vector<BanRecord> load_bans() const = 0;
  virtual void add_invite(const InviteRecord& invite) = 0;
  virtual bool remove_invite(std::string_view room, std::string_view user) = 0;  // false: was not invited
  virtual std::vector<InviteRecord> load_invites() const = 0;
  // One room as the four loads above give every room (its members, bans and invites ordered by user); nullopt if
  // there is no such room. Several reads, not one snapshot: a change committed meanwhile may show in part (its
  // own announcement, which follows, completes it).
  virtual std::optional<RoomState> load_room_state(std::string_view name) const = 0;

  // --- messages ---
  // Appends in one transaction, giving each message written the next seq of its room (message.seq is
  // ignored): seqs are read and advanced inside the transaction, so a seq is never given twice nor skipped,
  // and one that a failed transaction would have used goes to the next message. A message whose (room,
  // sender_id, client_id) is stored already writes nothing and takes no seq: its outcome is `duplicate` with
  // the original's seq. Returns one outcome per message, none of them `failed`; on a throw nothing is stored.
  // A message's sender is its sender_id; `sender`, the name, is what readers are shown.
  virtual std::vector<AppendOutcome> append_messages(std::span<const MessageRecord> messages) = 0;
  // The same, except that a message violating a constraint (an unknown room...) fails alone: its outcome is
  // `failed`, it takes no seq, and the others are kept. Throws StorageError — and stores nothing — when the
  // transaction itself fails (I/O error, disk full, the database gone).
  virtual std::vector<AppendOutcome> append_messages_individually(std::span<const MessageRecord> messages) = 0;

  // A page of history in ascending seq order, at most `limit` records. With `after`, the page starts right
  // after that seq (paging forward); otherwise it ends right before `before`, or at the newest message
  // (paging backward). Both bounds are exclusive and may be combined.
  virtual std::vector<MessageRecord> history(std::string_view room, std::optional<std::int64_t> before,
                                             std::optional<std::int64_t> after, std::size_t limit) const = 0;
  // For resuming a session: the records with since < seq <= up_to, ascending; when there are more than
  // `limit`, the most recent `limit` of them.
  virtual std::vector<MessageRecord> replay(std::string_view room, std::int64_t since, std::int64_t up_to,
                                            std::size_t limit) const = 0;
  // seq of the message stored for (room, sender_id, client_id), if any.
  virtual std::optional<std::int64_t> find_client_message(std::string_view room, PrincipalId sender_id,
                                                          std::string_view client_id) const = 0;
  // The `limit` most recent messages of the room that carry a client id, ascending by seq: enough to rebuild
  // an in-memory de-duplication window after a restart.
  virtual std::vector<ClientMessageRef> recent_client_messages(std::string_view room, std::size_t limit) const = 0;
  virtual std::int64_t message_count() const = 0;

  // --- direct messages ---
  // Stores the message and assigns its id (the id passed in is ignored). If (sender_id, recipient_id,
  // client_id) was stored before, nothing is written and the stored message is returned with duplicate = true.
  virtual StoredDirectMessage store_direct_message(DirectMessageRecord message) = 0;
  // The oldest `limit` undelivered messages for the recipient, ascending by id.
  virtual std::vector<DirectMessageRecord> undelivered_direct_messages(PrincipalId recipient,
                                                                       std::size_t limit) const = 0;
  // How many undelivered messages wait for the recipient, counting up to `limit` (an index range count).
  virtual std::size_t count_undelivered_direct_messages(PrincipalId recipient, std::size_t limit) const = 0;
  // All recipients' undelivered messages together.
  virtual std::int64_t count_undelivered_direct_messages() const = 0;
  // Marks exactly these messages of the recipient delivered, in one transaction; returns how many changed.
  // Not a watermark: an older message may still be on its way to the recipient, or have been dropped.
  virtual std::int64_t mark_delivered(PrincipalId recipient, std::span<const std::int64_t> ids) = 0;
  // Deletes what waits for the recipient (a guest that left: nobody else may ever read it); returns how many.
  virtual std::int64_t discard_undelivered_direct_messages(PrincipalId recipient) = 0;
  // The same for every guest: at start-up, when the guests of earlier runs are all gone.
  virtual std::int64_t discard_undelivered_to_guests() = 0;

  // --- several servers ---
  // The directory of the nodes that share this store; null for a store no other server shares (SQLite).
  virtual NodeDirectory* node_directory() noexcept { return nullptr; }

  // --- maintenance ---
  // For shutdown: leaves what is committed in its most compact form on disk (SQLite: the WAL copied back and
  // truncated; PostgreSQL checkpoints by itself, nothing to do). Returns false — and logs — when that could
  // not be completed; nothing is lost then.
  virtual bool checkpoint() noexcept = 0;
  // How the SQLite WAL is being copied back; nullopt for a backend without one of its own.
  virtual std::optional<CheckpointStats> checkpoint_stats() const = 0;

  // --- health ---
  virtual StorageHealth::Snapshot health() const = 0;
  virtual bool writes_failing() const noexcept = 0;
  // While writes fail: does what may give the storage back (SQLite: empties the WAL; PostgreSQL: reconnects),
  // then commits a test write; if that succeeds, the store is healthy again. Returns whether it is. Logs the
  // recovery once, a failed attempt at debug only. Meant to be called periodically while writes_failing()
  // (the server: every storage.retry_interval_ms).
  virtual bool recover() noexcept = 0;
};

}  // namespace chat
