// ping, rooms, members, whois, stats: questions about the server's state.
#include <set>

#include "server/dispatch/command_table.hpp"
#include "server/commands/room_access.hpp"
#include "server/server_context.hpp"
#include "server/server_snapshot.hpp"

namespace chat {
namespace {

double micros(std::chrono::nanoseconds value) { return static_cast<double>(value.count()) / 1000.0; }

void ping(const CommandContext& ctx) {
  nlohmann::json reply{{"type", "pong"}};
  if (!ctx.request.id().is_null()) reply["id"] = ctx.request.id();
  reply["time"] = CommandContext::now_ms();
  ctx.reply(reply);
}

void rooms(const CommandContext& ctx) {
  const auto user = ctx.user();
  auto list = nlohmann::json::array();
  for (const auto& room : ctx.server.rooms.list()) {
    const auto settings = room->settings();
    if (settings.is_private && !room->role_of(user.user)) continue;
    list.push_back({{"room", room->name()},
                    {"topic", settings.topic},
                    {"private", settings.is_private},
                    {"members", room->member_count()},
                    {"online", room->online_count()},
                    {"last_seq", room->delivered_seq()}});
  }
  auto reply = ctx.ok();
  reply["rooms"] = std::move(list);
  ctx.reply(reply);
}

void members(const CommandContext& ctx) {
  const auto user = ctx.user();
  const auto room = ctx.room();
  require_visible(*room, user.user);
  std::set<std::string> online;
  for (const auto& subscriber : *room->subscribers()) online.insert(subscriber.user);
  auto list = nlohmann::json::array();
  for (const auto& [name, role] : room->members()) {
    const bool on = online.contains(name) || room->elsewhere().online(name);  // here, or on another node
    list.push_back({{"user", name}, {"role", role_name(role)}, {"online", on}});
  }
  auto reply = ctx.ok();
  reply["room"] = room->name();
  reply["members"] = std::move(list);
  ctx.reply(reply);
}

void whois(const CommandContext& ctx) {
  const auto asker = ctx.user();
  const auto name = ctx.user_name();
  // Whether a name exists is what a probe asks: whois costs what a dm to nobody does (NameProbes).
  ctx.check_name_probe();
  // Online first: a guest exists only there, and an account online needs no database read. A name is held by
  // one principal at a time, so an online guest's name is no account's.
  const auto online = ctx.server.users.find(name);
  const bool registered = online ? !online->guest : ctx.server.store.find_user(name).has_value();
  if (!online && !registered) {
    ctx.charge_name_probe();
    throw ProtocolError(ErrorCode::NotFound, "no user '" + name + "'");
  }
  // Only rooms the asker is in too: it learns nothing of rooms it cannot see, a private one least of all.
  auto rooms = nlohmann::json::array();
  for (const auto& room : ctx.server.rooms.rooms_of(name)) {
    if (room->role_of(asker.user)) rooms.push_back(room->name());
  }
  auto reply = ctx.ok();
  reply["user"] = name;
  reply["registered"] = registered;
  reply["online"] = online.has_value();
  reply["rooms"] = std::move(rooms);
  ctx.reply(reply);
}

void stats(const CommandContext& ctx) {
  if (!ctx.is_admin()) {
    throw ProtocolError(ErrorCode::Forbidden,
                        "stats are for admins: the operator makes an account one with "
                        "`chat-server user set-admin NAME on`");
  }
  // The same snapshot /metrics renders (server_snapshot.hpp): one gathering, two formats.
  const auto snapshot = ServerSnapshot::take(ctx.server);
  const auto& pool = snapshot.pool;
  const auto& commits = snapshot.commits;
  const auto& bus = snapshot.bus;
  const auto& checkpoints = snapshot.checkpoints;
  auto reply = ctx.ok();
  reply["connections"] = snapshot.connections;
  reply["connections_by_transport"] = snapshot.connections_by_transport;
  reply["users_online"] = snapshot.users_online;
  reply["rooms"] = snapshot.rooms;
  // null while the database cannot be read
  reply["messages_stored"] = snapshot.messages_stored ? nlohmann::json(*snapshot.messages_stored) : nlohmann::json();
  reply["direct_messages_waiting"] =
      snapshot.direct_messages_waiting ? nlohmann::json(*snapshot.direct_messages_waiting) : nlohmann::json();
  reply["delivery_us_mean"] = micros(snapshot.delivery_latency.mean);
  reply["delivery_us_p99"] = micros(snapshot.delivery_latency.p99);
  reply["pool"] = {{"threads", pool.live_threads},
                   {"idle_threads", pool.idle_threads},
                   {"peak_threads", pool.peak_threads},
                   {"queued", pool.queued_total()},
                   {"running", pool.running},
                   {"submitted", pool.submitted},
                   {"completed", pool.completed},
                   {"failed", pool.failed},
                   {"cancelled", pool.cancelled},
                   {"timed_out", pool.timed_out},
                   {"rejected", pool.rejected},
                   {"queue_wait_us_mean", micros(pool.queue_wait.mean)},
                   {"queue_wait_us_p99", micros(pool.queue_wait.p99)},
                   {"run_us_mean", micros(pool.run_time.mean)},
                   {"run_us_p99", micros(pool.run_time.p99)}};
  reply["commits"] = {{"batches", commits.batches},
                      {"committed", commits.committed},
                      {"duplicates", commits.duplicates},
                      {"failed", commits.failed},
                      {"refused", commits.refused_full},
                      {"refused_schedules", commits.refused_schedules},
                      {"largest_batch", commits.largest_batch},
                      {"commit_us_mean", micros(commits.commit_time.mean)},
                      {"commit_us_p99", micros(commits.commit_time.p99)}};
  reply["bus"] = {{"published", bus.published},
                  {"refused", bus.refused},
                  {"handler_failures", bus.handler_failures},
                  {"backlog", bus.backlog},
                  {"keys_active", bus.keys_active}};
  reply["requests"] = {{"busy", snapshot.requests.busy},
                       {"expired", snapshot.requests.expired},
                       {"cancelled", snapshot.requests.cancelled}};
  const auto& health = snapshot.storage;
  reply["storage"] = {{"state", to_string(health.state)},
                      {"since_ms", health.since_ms},
                      {"last_error", health.last_error},
                      {"failed_writes", health.failed_writes},
                      {"recoveries", health.recoveries}};
  if (checkpoints) {  // SQLite only
    reply["checkpoints"] = {{"background", checkpoints->background_passes},
                            {"writer", checkpoints->writer_passes},
                            {"failed", checkpoints->failures},
                            {"wal_pages", checkpoints->wal_pages}};
  }
  nlohmann::json disconnects = nlohmann::json::object();
  for (std::size_t i = 0; i < kDisconnectReasonCount; ++i) {
    disconnects[std::string(to_string(static_cast<DisconnectReason>(i)))] = snapshot.disconnects[i];
  }
  reply["disconnects"] = std::move(disconnects);
  reply["auth"] = {{"logins", snapshot.logged_in.accounts},
                   {"registrations", snapshot.logged_in.registrations},
                   {"guests", snapshot.logged_in.guests},
                   {"login_failures", snapshot.logins.failures},
                   {"logins_throttled", snapshot.logins.throttled},
                   {"logins_busy", snapshot.logins.busy},
                   {"name_probes_refused", snapshot.name_probes_refused}};
  reply["cluster"] = nullptr;  // a server alone
  if (const auto& cluster = snapshot.cluster) {
    const auto& link = cluster->link;
    const auto& delivery = cluster->delivery;
    reply["cluster"] = {{"node", cluster->node},
                        {"redis", {{"publisher_connected", link.publisher_connected},
                                   {"subscriber_connected", link.subscriber_connected},
                                   {"published", link.published},
                                   {"publish_failures", link.publish_failures},
                                   {"received", link.received},
                                   {"reconnects", link.reconnects}}},
                        {"frames_in_order", delivery.published_batches},
                        {"frames_duplicate", delivery.duplicate_batches},
                        {"gaps_repaired", delivery.gaps_repaired},
                        {"repaired_messages", delivery.repaired_messages},
                        {"repair_failures", delivery.repair_failures},
                        {"catch_up_notices", cluster->catch_up_notices},
                        {"room_changes", cluster->room_changes},
                        {"direct_messages", cluster->direct_messages},
                        {"unreadable", cluster->unreadable},
                        {"relay_us_mean", micros(cluster->relay_latency.mean)},
                        {"relay_us_p99", micros(cluster->relay_latency.p99)}};
  }
  if (const auto& node = snapshot.cluster_node; node && snapshot.cluster) {
    reply["cluster"]["nodes_expired"] = node->nodes_expired;
    reply["cluster"]["guest_names_lost"] = node->names_lost;
    reply["cluster"]["heartbeat_failures"] = node->heartbeat_failures;
  }
  ctx.reply(reply);
}

}  // namespace

void add_info_commands(CommandTable& table) {
  table.add({.op = "ping", .requires_login = false, .priority = Priority::High, .handler = ping});
  table.add({.op = "rooms", .priority = Priority::Normal, .handler = rooms});
  // members touches one room: under its key it sees every earlier request of that room, a pipelined join too.
  table.add({.op = "members", .priority = Priority::Normal, .key = OrderingKey::Room, .handler = members});
  // No key, as rooms: it only reads the registries (and an account row), answered as soon as a worker is free.
  table.add({.op = "whois", .priority = Priority::Normal, .handler = whois});
  table.add({.op = "stats", .priority = Priority::Normal, .handler = stats});
}

}  // namespace chat
