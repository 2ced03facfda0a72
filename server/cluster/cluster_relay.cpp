#include "server/cluster/cluster_relay.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/names.hpp"
#include "server/dispatch/command.hpp"

namespace chat {

namespace {

// A drain's frame holds at most 64 KiB of lines past one message (MessagePipeline); these bounds are far above.
constexpr std::int64_t kMostLinesPerFrame = 1'000'000;
constexpr std::size_t kLargestFrame = 16 * 1024 * 1024;
// limits.max_name_length is at most 64.
constexpr std::size_t kLongestName = 64;

}  // namespace

ClusterRelay::ClusterRelay(boost::asio::io_context& io, const ServerConfig::Cluster& config, std::string node,
                           EventBus& bus, RoomRegistry& rooms, Store& store, MessagePipeline& messages,
                           RoomChanges& room_changes, RoomPresence& presence, DirectMessageInbox& inbox)
    : config_prefix_(config.channel_prefix),
      prefix_(config.channel_prefix + "room:"),
      user_prefix_(config.channel_prefix + "user:"),
      node_(std::move(node)),
      repair_interval_(config.repair_interval_ms),
      bus_(bus),
      rooms_(rooms),
      store_(store),
      messages_(messages),
      room_changes_(room_changes),
      presence_(presence),
      inbox_(inbox),
      node_timeout_(config.node_timeout_ms),
      repair_timer_(boost::asio::make_strand(io)),
      presence_timer_(boost::asio::make_strand(io)) {
  presence_round_subscription_ =
      bus_.subscribe<PresenceRound>([this](const PresenceRound&) { presence_round(); }, Priority::Normal);
  presence_report_subscription_ = bus_.subscribe<PresenceReport>(
      [this](const PresenceReport& report) { report_presence(report.room); }, Priority::Normal);
  catch_up_all_subscription_ =
      bus_.subscribe<CatchUpAll>([this](const CatchUpAll& request) { catch_up_all(request.at_once); });
  RedisLink::Options options;
  options.url = *parse_redis_url(config.redis_url);  // validated with the configuration
  redis_ = describe_redis(options.url);
  options.pattern = config.channel_prefix + "*";
  RedisLink::Handlers handlers;
  handlers.message = [this](std::string_view channel, std::string_view payload) { on_message(channel, payload); };
  handlers.subscribed = [this] { on_subscribed(); };
  handlers.unpublished = [this](std::vector<std::string> channels) { on_unpublished(channels); };
  link_ = std::make_unique<RedisLink>(io, std::move(options), std::move(handlers));
}

ClusterRelay::~ClusterRelay() { stop(); }

void ClusterRelay::start() {
  spdlog::info("cluster: node {} shares its rooms and direct messages through Redis at {} (channels {}*, {}*)",
               node_, redis_, prefix_, user_prefix_);
  link_->start();
  schedule_repair();
  schedule_presence();
}

void ClusterRelay::stop() {
  if (stopped_.exchange(true)) return;
  {
    // The users here go with this node: the others hear it now, not once its reports are old.
    std::lock_guard lock(reported_mutex_);
    const std::string none = nlohmann::json{{"node", node_}, {"online", nlohmann::json::array()}}.dump();
    for (const auto& room : reported_) link_->publish(prefix_ + room, none, /*repaired=*/false);
    reported_.clear();
  }
  link_->stop();
  boost::asio::post(repair_timer_.get_executor(), [this] { repair_timer_.cancel(); });
  boost::asio::post(presence_timer_.get_executor(), [this] { presence_timer_.cancel(); });
  catch_up_all_subscription_.unsubscribe();
  presence_round_subscription_.unsubscribe();
  presence_report_subscription_.unsubscribe();
}

std::string ClusterRelay::channel_of(std::string_view room) const { return prefix_ + canonical_name(room); }

void ClusterRelay::publish(const Room& room, std::int64_t first, std::int64_t last, const std::string& lines) {
  if (stopped_) return;
  std::string payload = fmt::format(R"({{"node":"{}","first":{},"last":{},"ms":{}}})", node_, first, last,
                                    CommandContext::now_ms());
  payload += '\n';
  payload += lines;
  // A failure is counted by the link and repaired: the channel gets a catch-up notice once Redis is back.
  link_->publish(channel_of(room.name()), payload);
}

void ClusterRelay::publish_change(const RoomChange& change) {
  if (stopped_) return;
  const nlohmann::json header = {{"node", node_}, {"change", change.to_json()}};
  link_->publish(channel_of(change.room), header.dump());
}

void ClusterRelay::publish_presence(const Room& room, const std::string& user, bool online) {
  if (stopped_) return;
  const nlohmann::json header = {{"node", node_}, {"presence", {{"user", user}, {"online", online}}}};
  // Not repaired when lost: the room's next whole report makes it good.
  link_->publish(channel_of(room.name()), header.dump(), /*repaired=*/false);
}

void ClusterRelay::publish_direct_message(const DirectMessageInbox::Recipient& to, std::int64_t id,
                                          const Frame& frame) {
  if (stopped_) return;
  std::string payload = fmt::format(R"({{"node":"{}","to_id":{},"dm_id":{}}})", node_, to.id, id);
  payload += '\n';
  payload += *frame;
  link_->publish(user_prefix_ + canonical_name(to.name), payload);
}

void ClusterRelay::on_message(std::string_view channel, std::string_view payload) {
  const bool room = channel.starts_with(prefix_);
  if (!room && !channel.starts_with(user_prefix_)) return;
  // Every message: a JSON header line naming the node that published it, then what the header describes.
  const auto header_end = payload.find('\n');
  const auto header = nlohmann::json::parse(payload.substr(0, header_end), nullptr, /*allow_exceptions=*/false);
  if (!header.is_object() || !header.contains("node") || !header["node"].is_string()) {
    unreadable_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (header["node"] == node_) return;  // ours, handled here already
  const auto body = header_end == std::string_view::npos ? std::string_view{} : payload.substr(header_end + 1);
  if (room) {
    on_room_message(channel.substr(prefix_.size()), header, body);
  } else {
    on_direct_message(channel.substr(user_prefix_.size()), header, body);
  }
}

void ClusterRelay::on_direct_message(std::string_view user, const nlohmann::json& header, std::string_view line) {
  if (header.contains("catch_up")) {
    if (header["catch_up"] != true) {
      unreadable_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    catch_up_notices_.fetch_add(1, std::memory_order_relaxed);
    if (const auto name = canonical_user_name(user, kLongestName)) inbox_.catch_up(*name);
    return;
  }
  const auto to_id = header.value("to_id", PrincipalId{0});
  const auto id = header.value("dm_id", std::int64_t{0});
  // One dm event's line, as the sender's node framed it.
  if (to_id == 0 || id < 1 || line.size() > kLargestFrame || line.empty() || line.back() != '\n' ||
      line.find('\n') != line.size() - 1) {
    unreadable_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  direct_messages_received_.fetch_add(1, std::memory_order_relaxed);
  inbox_.deliver_published(DirectMessageInbox::Recipient{to_id, std::string(user)}, id,
                           std::make_shared<const std::string>(line));
}

void ClusterRelay::on_room_message(std::string_view room_name, const nlohmann::json& header, std::string_view lines) {
  if (const auto change = header.find("change"); change != header.end()) {
    auto parsed = RoomChange::from_json(*change);
    if (!parsed || canonical_name(parsed->room) != room_name) {
      unreadable_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    room_changes_received_.fetch_add(1, std::memory_order_relaxed);
    room_changes_.received(std::move(*parsed));
    return;
  }
  if (const auto presence = header.find("presence"); presence != header.end()) {
    const auto user = presence->is_object() ? canonical_user_name(presence->value("user", ""), kLongestName) : std::nullopt;
    const auto online = presence->is_object() ? presence->find("online") : presence->end();
    if (!user || online == presence->end() || !online->is_boolean()) {
      unreadable_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    presence_.received(header["node"].get<std::string>(), std::string(room_name), *user, online->get<bool>());
    return;
  }
  if (const auto online = header.find("online"); online != header.end()) {
    std::vector<std::string> users;
    bool readable = online->is_array() && online->size() <= kMostLinesPerFrame;
    for (std::size_t i = 0; readable && i < online->size(); ++i) {
      const auto& entry = (*online)[i];
      const auto user = entry.is_string() ? canonical_user_name(entry.get<std::string>(), kLongestName) : std::nullopt;
      if (user) users.push_back(*user);
      readable = user.has_value();
    }
    if (!readable) {
      unreadable_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    presence_.received_all(header["node"].get<std::string>(), std::string(room_name), std::move(users));
    return;
  }
  const auto room = rooms_.find(room_name);
  // A room this node does not know has no members here.
  if (!room) return;
  if (header.value("catch_up", false)) {
    catch_up_notices_.fetch_add(1, std::memory_order_relaxed);
    // The failed publications may have been room changes too.
    room_changes_.reconcile(room->name());
    messages_.catch_up(room);
    return;
  }
  // Redis is trusted as the database is (operations.md: keep it private), but a frame that does not hold what
  // its header says would stall the room's delivery (a last seq far ahead) or reach clients broken: refused.
  const auto first = header.value("first", std::int64_t{0});
  const auto last = header.value("last", std::int64_t{0});
  if (first < 1 || last < first || last - first >= kMostLinesPerFrame || lines.size() > kLargestFrame ||
      lines.empty() || lines.back() != '\n' ||
      std::count(lines.begin(), lines.end(), '\n') != last - first + 1) {
    unreadable_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (const auto sent = header.value("ms", std::int64_t{0}); sent > 0) {
    const auto lag_ms = std::max<std::int64_t>(0, CommandContext::now_ms() - sent);
    relay_latency_.record_shared(std::chrono::milliseconds(lag_ms));
  }
  messages_.deliver_published(room, first, last, std::string(lines));
}

void ClusterRelay::on_subscribed() {
  subscribed_since_ = Clock::now();
  // Whatever was published while this node was not subscribed is lost to it: read it from the database. The
  // first subscription too: the rooms were loaded at start, and other nodes may have written since.
  if (!bus_.publish(CatchUpAll{true}).ok()) spdlog::warn("cluster: the pool refused the catch-up after subscribing");
  // The direct messages other nodes published meanwhile wait in the database.
  inbox_.catch_up_all();
  spdlog::info("cluster: subscribed to {}*; catching up every room behind the database", config_prefix_);
}

void ClusterRelay::catch_up_all(bool at_once) {
  if (!at_once) catch_up_pending_ = false;
  // While storage fails its recovery comes first (Server); the sweep after it catches up.
  if (store_.writes_failing()) return;
  std::vector<RoomRecord> records;
  try {
    records = store_.load_rooms();
  } catch (const std::exception& e) {
    spdlog::debug("cluster: cannot read the rooms' last seqs to catch up: {}", e.what());
    return;
  }
  // Deaf: another node's changes do not reach this one while the subscription is down.
  const bool deaf = !link_->stats().subscriber_connected;
  std::lock_guard lock(sweep_mutex_);
  std::size_t behind = 0;
  for (const auto& record : records) {
    // After a subscription, every room's state may have missed changes; a room this node does not know was
    // made while its announcement was lost; while deaf, a room whose members here may have been kicked or
    // banned elsewhere (the others wait for the subscription).
    const auto room = rooms_.find(record.name);
    if (at_once || !room || (deaf && !room->subscribers()->empty())) room_changes_.reconcile(record.name);
    if (!room) continue;
    // A message committed by the previous sweep and still not delivered is overdue: Redis will not bring it.
    // One committed since may still be on its way, and is left to Redis until the next sweep.
    auto& seen = last_seen_[record.name];
    const std::int64_t due = at_once ? record.last_seq : seen;
    seen = record.last_seq;
    if (due <= room->delivered_seq()) continue;
    ++behind;
    messages_.catch_up(room);
  }
  if (behind > 0) spdlog::debug("cluster: {} rooms behind the database, catching up", behind);
}

void ClusterRelay::on_unpublished(const std::vector<std::string>& channels) {
  const std::string notice = fmt::format(R"({{"node":"{}","catch_up":true}})", node_);
  // On a user's channel it makes the nodes with that user's connections deliver what waits for it.
  for (const auto& channel : channels) link_->publish(channel, notice);
  spdlog::info("cluster: told the other nodes to catch up {} rooms and users whose messages could not be published",
               channels.size());
}

void ClusterRelay::schedule_repair() {
  repair_timer_.expires_after(repair_interval_);
  repair_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    // One sweep at a time: a slow database must not pile them up.
    if (!catch_up_pending_.exchange(true) && !bus_.publish(CatchUpAll{false}).ok()) catch_up_pending_ = false;
    schedule_repair();
  });
}

void ClusterRelay::presence_round() {
  struct Done {
    std::atomic<bool>& pending;
    ~Done() { pending = false; }
  } done{presence_round_pending_};
  // Each room's report under the room's key, so that it keeps its place among the room's joins and departures
  // (a report of a set from before a departure, published after it, would bring the user back).
  for (const auto& room : rooms_.list()) {
    auto key = canonical_name(room->name());
    if (room->subscribers()->empty()) {
      // Nobody here, and the others were told so: nothing to report.
      std::lock_guard lock(reported_mutex_);
      if (!reported_.contains(key)) continue;
    }
    (void)bus_.publish(PresenceReport{room->name()}, PublishOptions{std::move(key), Priority::Normal, {}});
  }
  // While this node hears nothing, or has only just begun to hear again, the others' reports are not stale:
  // they did not reach it.
  const auto since = subscribed_since_.load();
  if (link_->stats().subscriber_connected && since != Clock::time_point{} && Clock::now() - since >= node_timeout_) {
    presence_.expire(node_timeout_);
  }
}

void ClusterRelay::report_presence(const std::string& name) {
  const auto room = rooms_.find(name);
  if (!room || stopped_) return;
  std::set<std::string> here;
  for (const auto& subscriber : *room->subscribers()) here.insert(subscriber.user);
  const auto key = canonical_name(room->name());
  {
    std::lock_guard lock(reported_mutex_);
    if (here.empty()) {
      if (reported_.erase(key) == 0) return;  // told already that none is here
    } else {
      reported_.insert(key);
    }
  }
  const nlohmann::json header = {{"node", node_}, {"online", here}};
  link_->publish(channel_of(room->name()), header.dump(), /*repaired=*/false);
}

void ClusterRelay::schedule_presence() {
  presence_timer_.expires_after(node_timeout_ / 3);
  presence_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    if (!presence_round_pending_.exchange(true) && !bus_.publish(PresenceRound{}).ok()) presence_round_pending_ = false;
    schedule_presence();
  });
}

ClusterRelay::Stats ClusterRelay::stats() const {
  Stats stats;
  stats.node = node_;
  stats.link = link_->stats();
  stats.delivery = messages_.cluster_counters();
  stats.relay_latency = relay_latency_.summary();
  stats.catch_up_notices = catch_up_notices_.load(std::memory_order_relaxed);
  stats.room_changes = room_changes_received_.load(std::memory_order_relaxed);
  stats.direct_messages = direct_messages_received_.load(std::memory_order_relaxed);
  stats.unreadable = unreadable_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace chat
