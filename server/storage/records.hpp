#pragma once
// Plain rows exchanged with the Store. Names are canonical (lowercase) and stored as given;
// times are milliseconds since the Unix epoch.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <utility>

namespace chat {

// Who wrote or receives a message: a principal, not a name. An account is its users.id (> 0); a guest is a
// negative id never given to anyone else (GuestIds). A name is only what a principal is called now: a guest's
// goes free when it leaves and may become an account's, which must inherit nothing of the guest's.
using PrincipalId = std::int64_t;
constexpr bool is_guest_principal(PrincipalId id) noexcept { return id < 0; }

// Membership roles; the numeric values are stored in the database and must not change.
enum class Role : int { member = 0, moderator = 1, owner = 2 };

// What a message is: said (text) or done (an action, IRC's /me). Stored as its numeric value, which must not
// change; text is 0 so that rows written before kinds existed read as text.
enum class MessageKind : std::uint8_t { text = 0, action = 1 };

// A stored kind as read back. One this server does not know (a newer server's) reads as text: the words are
// shown rather than lost.
constexpr MessageKind stored_message_kind(std::int64_t value) noexcept {
  return value == static_cast<int>(MessageKind::action) ? MessageKind::action : MessageKind::text;
}

struct UserRecord {
  std::string name;
  std::string password_hash;
  std::int64_t created_ms = 0;
  PrincipalId id = 0;  // assigned by the Store
  bool is_admin = false;  // may call `stats`; set by the operator only (chat-server user)
};

struct RoomRecord {
  std::string name;
  bool is_private = false;
  std::string topic;
  std::string owner;
  std::int64_t created_ms = 0;
  std::int64_t last_seq = 0;  // highest committed message seq, 0 when the room has none; filled by load_rooms()
};

struct MembershipRecord {
  std::string room;
  std::string user;
  int role = 0;  // a Role value
  std::int64_t joined_ms = 0;
};

struct BanRecord {
  std::string room, user, by, reason;
  std::int64_t created_ms = 0;
};

struct InviteRecord {
  std::string room, user, by;
  std::int64_t created_ms = 0;
};

// A room with its memberships, bans and invitations (Store::load_room_state).
struct RoomState {
  RoomRecord room;
  std::vector<MembershipRecord> members;
  std::vector<BanRecord> bans;
  std::vector<InviteRecord> invites;
};

struct MessageRecord {
  std::string room;
  std::int64_t seq = 0;  // > 0, unique per room; given by the Store when the message is appended (ignored there)
  std::string sender;
  PrincipalId sender_id = 0;
  std::int64_t ts_ms = 0;
  std::string text;
  std::optional<std::string> client_id;  // a retried send with the same (room, sender_id, client_id) is stored once
  MessageKind kind = MessageKind::text;
};

// What became of one appended message.
struct AppendOutcome {
  enum class Status {
    stored,     // written; `seq` is the one it was given
    duplicate,  // (room, sender_id, client_id) was stored before: nothing written, `seq` is the original's
    failed,     // not written, took no seq; `error` says why
  };
  Status status = Status::failed;
  std::int64_t seq = 0;
  std::string error;

  static AppendOutcome stored_as(std::int64_t seq) { return {Status::stored, seq, {}}; }
  static AppendOutcome duplicate_of(std::int64_t seq) { return {Status::duplicate, seq, {}}; }
  static AppendOutcome failure(std::string error) { return {Status::failed, 0, std::move(error)}; }
};

// One entry of a room's de-duplication window, as rebuilt after a restart.
struct ClientMessageRef {
  PrincipalId sender_id = 0;
  std::string client_id;
  std::int64_t seq = 0;
};

struct DirectMessageRecord {
  std::int64_t id = 0;  // assigned by the Store
  std::string sender;
  PrincipalId sender_id = 0;
  std::string recipient;
  PrincipalId recipient_id = 0;
  std::int64_t ts_ms = 0;
  std::string text;
  // A retried dm with the same (sender_id, recipient_id, client_id) is stored once.
  std::optional<std::string> client_id;
  MessageKind kind = MessageKind::text;
};

// Result of Store::store_direct_message: the stored row, and whether it already existed (a retried send).
struct StoredDirectMessage {
  DirectMessageRecord message;
  bool duplicate = false;
};

// How the WAL is being copied back into the database (WalCheckpointer).
struct CheckpointStats {
  std::uint64_t background_passes = 0;  // checkpoints run by the checkpoint thread
  std::uint64_t writer_passes = 0;      // tails (or, at wal_max_pages, everything left) copied by the writer
  std::uint64_t failures = 0;           // checkpoints that failed with an error other than busy
  std::int64_t wal_pages = 0;           // frames in the WAL after the latest commit
};

}  // namespace chat
