// register, login, guest, logout: how a connection gets (and drops) an identity.
#include "common/names.hpp"
#include "server/dispatch/command_table.hpp"
#include "server/auth/password_hasher.hpp"
#include "server/auth/password_policy.hpp"
#include "server/server_context.hpp"

namespace chat {
namespace {

void require_logged_out(const CommandContext& ctx) {
  if (ctx.session->identity()) throw ProtocolError(ErrorCode::Conflict, "already logged in on this connection");
}

std::string requested_name(const CommandContext& ctx) {
  auto name = canonical_user_name(ctx.request.required_string("name"), ctx.server.config.limits.max_name_length);
  if (!name) {
    throw ProtocolError(ErrorCode::BadRequest, "invalid name: 1-" +
                                                   std::to_string(ctx.server.config.limits.max_name_length) +
                                                   " characters of A-Z a-z 0-9 _ - .");
  }
  return std::move(*name);
}

// Binds the identity to the connection and lists it online; false when the name is held by someone else
// online (or the connection closed). Only a log-in has direct messages waiting: its inbox opens once they
// are delivered (DirectMessageInbox); other sessions' at once.
bool establish(const CommandContext& ctx, const Identity& identity, bool backlog) {
  return ctx.session->establish(identity, [&] {
    return ctx.server.users.add(identity.user, identity.id, identity.guest, ctx.session, /*inbox_open=*/!backlog);
  });
}

// The one answer to a name someone holds, registered or online: the two are not told apart (NameProbes).
[[noreturn]] void name_taken(const CommandContext& ctx, const std::string& name) {
  ctx.charge_name_probe();
  throw ProtocolError(ErrorCode::Conflict, "name '" + name + "' is taken");
}

void reply_logged_in(const CommandContext& ctx, const Identity& identity, std::size_t pending_dms) {
  auto reply = ctx.ok();
  reply["user"] = identity.user;
  reply["guest"] = identity.guest;
  reply["admin"] = identity.admin;
  auto rooms = nlohmann::json::array();
  for (const auto& room : ctx.server.rooms.rooms_of(identity.user)) {
    rooms.push_back({{"room", room->name()}, {"last_seq", room->delivered_seq()}});
  }
  reply["rooms"] = std::move(rooms);
  reply["pending_dms"] = pending_dms;
  // The room a newcomer is pointed to; the terminal client joins it.
  if (auto room = ctx.server.config.rooms.default_room_name(); !room.empty()) reply["default_room"] = std::move(room);
  ctx.reply(reply);
}

void register_user(const CommandContext& ctx) {
  require_logged_out(ctx);
  const auto name = requested_name(ctx);
  const auto password = ctx.request.required_string("password");
  if (const auto problem = password_problem(password, ctx.server.config.auth.password_min_length)) {
    throw ProtocolError(ErrorCode::BadRequest, *problem);
  }
  ctx.check_name_probe();
  // Before the hash: a taken name costs none.
  if (ctx.server.users.is_online(name) || ctx.server.store.find_user(name)) name_taken(ctx, name);
  // A guest of another node (Store::create_user checks again, atomically).
  if (ctx.server.cluster_node && ctx.server.cluster_node->guest_named(name)) name_taken(ctx, name);
  ctx.server.login_gate.check(ctx.session->address_key(), name);
  UserRecord record{name, ctx.server.hasher.hash(password), CommandContext::now_ms()};
  const auto id = ctx.server.store.create_user(record);
  if (!id) name_taken(ctx, name);
  // A new account is never an administrator: only the operator makes one (chat-server user set-admin).
  const Identity identity{*id, name, false, false};
  if (!establish(ctx, identity, /*backlog=*/false)) {
    throw ProtocolError(ErrorCode::Conflict, "name '" + identity.user + "' is in use");
  }
  ctx.server.logins.registrations.fetch_add(1, std::memory_order_relaxed);
  reply_logged_in(ctx, identity, 0);
}

void login(const CommandContext& ctx) {
  require_logged_out(ctx);
  const auto name = requested_name(ctx);
  const auto password = ctx.request.required_string("password");
  const auto address = ctx.session->address_key();
  // Checked again here, right before the hash: a lockout may have begun while the request waited.
  ctx.server.login_gate.check(address, name);
  const auto user = ctx.server.store.find_user(name);
  // Unknown names cost a hash too, so timing does not tell which names exist.
  static const std::string kDummyHash = ctx.server.hasher.hash("not a password of anyone");
  const bool valid = ctx.server.hasher.verify(password, user ? user->password_hash : kDummyHash) && user;
  if (!valid) {
    ctx.server.login_gate.failed(name, address);
    throw ProtocolError(ErrorCode::Unauthorized, "wrong name or password");
  }
  ctx.server.login_gate.succeeded(name);
  const Identity identity{user->id, name, false, user->is_admin};
  if (!establish(ctx, identity, /*backlog=*/true)) {
    throw ProtocolError(ErrorCode::Conflict, "name '" + identity.user + "' is in use");
  }
  ctx.server.logins.accounts.fetch_add(1, std::memory_order_relaxed);
  reply_logged_in(ctx, identity, ctx.server.inbox.pending_count(identity.id));
  ctx.server.inbox.deliver_pending_later(ctx.session, identity);
}

void guest(const CommandContext& ctx) {
  if (!ctx.server.config.auth.allow_guests) {
    throw ProtocolError(ErrorCode::Forbidden,
                        "guests are not allowed on this server: log in with an account, or register one");
  }
  require_logged_out(ctx);
  const auto name = requested_name(ctx);
  ctx.check_name_probe();
  if (ctx.server.store.find_user(name)) name_taken(ctx, name);
  // A principal of its own, never an account's nor an earlier guest's: nothing addressed to them is its.
  const Identity identity{ctx.server.guest_ids.next(), name, true, false};
  // On a node of a cluster the name is claimed for every node first: a guest of another node may hold it.
  auto* const cluster = ctx.server.cluster_node;
  if (cluster && !cluster->claim_guest(name, identity.id)) name_taken(ctx, name);
  if (!establish(ctx, identity, /*backlog=*/false)) {
    if (cluster) cluster->release_guest(name, identity.id);
    name_taken(ctx, name);
  }
  ctx.server.logins.guests.fetch_add(1, std::memory_order_relaxed);
  reply_logged_in(ctx, identity, 0);
}

void logout(const CommandContext& ctx) {
  ctx.user();
  ctx.server.departures.depart(ctx.session, /*final=*/false);
  ctx.reply(ctx.ok());
}

}  // namespace

void add_account_commands(CommandTable& table) {
  // register and guest both take a name: under the name's key, one of them checks and takes it before the
  // other looks, so the loser is told "conflict" only when the winner really holds the name.
  table.add({.op = "register",
             .requires_login = false,
             .priority = Priority::Low,
             .key = OrderingKey::Name,
             .concurrency_class = kPasswordHashClass,
             .pauses_reading = true,
             .password_gate = true,
             .handler = register_user});
  table.add({.op = "login",
             .requires_login = false,
             .priority = Priority::Low,
             .key = OrderingKey::Connection,
             .concurrency_class = kPasswordHashClass,
             .pauses_reading = true,
             .password_gate = true,
             .handler = login});
  table.add({.op = "guest",
             .requires_login = false,
             .priority = Priority::Normal,
             .key = OrderingKey::Name,
             .pauses_reading = true,
             .handler = guest});
  table.add({.op = "logout",
             .priority = Priority::Normal,
             .key = OrderingKey::Connection,
             .pauses_reading = true,
             .handler = logout});
}

}  // namespace chat
