#include "loadtest/report.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>
#include <vector>

namespace chat::loadtest {
namespace {

double round2(double value) { return std::round(value * 100.0) / 100.0; }

nlohmann::json summary_of(const Histogram& h) {
  return {{"count", h.count()},          {"p50", h.percentile(50)},     {"p90", h.percentile(90)},
          {"p99", h.percentile(99)},     {"p99_9", h.percentile(99.9)}, {"max", h.max()},
          {"mean", round2(h.mean())}};
}

nlohmann::json server_figures(const LoadOptions& options, const RunFacts& facts, std::uint64_t connected) {
  nlohmann::json server{{"pid", options.server_pid}};
  if (facts.server_before) server["rss_before_kb"] = facts.server_before->rss_kb;
  if (facts.server_window_end) server["rss_after_kb"] = facts.server_window_end->rss_kb;
  if (facts.server_before && facts.server_window_end && connected > 0) {
    const double grown = static_cast<double>(facts.server_window_end->rss_kb) -
                         static_cast<double>(facts.server_before->rss_kb);
    server["rss_per_connection_kb"] = round2(grown / static_cast<double>(connected));
  }
  if (facts.server_window_start) server["rss_window_start_kb"] = facts.server_window_start->rss_kb;
  if (facts.server_window_mid) server["rss_window_mid_kb"] = facts.server_window_mid->rss_kb;
  if (facts.server_after_drain) server["rss_after_drain_kb"] = facts.server_after_drain->rss_kb;
  if (facts.server_window_start && facts.server_window_end) {
    server["rss_growth_kb"] = static_cast<std::int64_t>(facts.server_window_end->rss_kb) -
                              static_cast<std::int64_t>(facts.server_window_start->rss_kb);
    const double cpu = facts.server_window_end->cpu_s - facts.server_window_start->cpu_s;
    server["cpu_s"] = round2(cpu);
    server["cpu_percent"] = round2(100.0 * cpu / options.duration_s);
  }
  if (options.max_rss_growth_kb > 0) server["max_rss_growth_kb"] = options.max_rss_growth_kb;
  if (facts.sockets_at_start && facts.sockets_after) {
    server["sockets_at_start"] = *facts.sockets_at_start;
    server["sockets_after"] = *facts.sockets_after;
    server["leaked_connections"] = *facts.sockets_after > *facts.sockets_at_start
                                       ? *facts.sockets_after - *facts.sockets_at_start
                                       : 0;
  }
  return server;
}

// The server's side of the verdict: its memory grew beyond the tolerance it
// was given, or it kept connections the churners had closed.
void add_server_problems(const nlohmann::json& r, std::vector<std::string>& problems) {
  if (!r.contains("server")) return;
  const auto& s = r["server"];
  if (s.contains("max_rss_growth_kb")) {
    if (!s.contains("rss_growth_kb")) {
      problems.emplace_back("server RSS not measured");
    } else if (s["rss_growth_kb"].get<std::int64_t>() > s["max_rss_growth_kb"].get<std::int64_t>()) {
      problems.push_back("server RSS grew " + s["rss_growth_kb"].dump() + " KiB in the window (tolerance " +
                         s["max_rss_growth_kb"].dump() + " KiB)");
    }
  }
  if (s.value("leaked_connections", std::uint64_t{0}) > 0) {
    problems.push_back(s["leaked_connections"].dump() + " server connections leaked (sockets " +
                       s["sockets_at_start"].dump() + " before the run, " + s["sockets_after"].dump() +
                       " after)");
  }
}

// "code n, code n" of a {code: n} object.
std::string counts(const nlohmann::json& by_code) {
  std::string text;
  for (const auto& [code, n] : by_code.items()) {
    text += (text.empty() ? "" : ", ") + code + " " + std::to_string(n.get<std::uint64_t>());
  }
  return text;
}

// One phrase per reason the run is not correct; empty when it is. Any error
// the server answered (a refused send, a refused join, an error event before
// a close) fails the run as much as a lost message does: a run that was
// partly refused measured something other than what it was asked to.
std::vector<std::string> problems_of(const nlohmann::json& r) {
  std::vector<std::string> problems;
  const auto add = [&](const nlohmann::json& from, const char* key, const char* what) {
    if (const auto n = from.value(key, std::uint64_t{0}); n > 0) problems.push_back(std::to_string(n) + " " + what);
  };
  if (const auto n = r.value("connect_failures", std::uint64_t{0}); n > 0) {
    const auto& why = r["connect_errors"];
    problems.push_back(std::to_string(n) + " connections failed" + (why.empty() ? "" : " (" + counts(why) + ")"));
  }
  add(r, "disconnects", "connections lost");
  add(r, "lost", "messages lost");
  add(r, "dup", "duplicates");
  add(r, "out_of_order", "order violations");
  add(r, "send_errors", "sends refused");
  add(r, "unanswered", "sends unanswered");
  add(r, "missed_slots", "send slots missed (no sender ready)");
  if (r.contains("churn")) add(r["churn"], "failures", "churn cycles failed");
  add(r, "unreadable_lines", "unreadable lines");
  if (!r["errors"].empty()) problems.push_back("errors (" + counts(r["errors"]) + ")");
  if (r.value("senders", 0u) > 0 && r.value("acked", std::uint64_t{0}) == 0) problems.emplace_back("nothing was sent");
  add_server_problems(r, problems);
  return problems;
}

std::string joined(const nlohmann::json& phrases) {
  std::string text;
  for (const auto& phrase : phrases) text += (text.empty() ? "" : ", ") + phrase.get<std::string>();
  return text;
}

// At most two decimals and never an exponent: 1093210.5, not 1.09321e+06.
std::string number(const nlohmann::json& value) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << value.get<double>();
  std::string text = out.str();
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string ms(std::uint64_t us) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(us < 10'000 ? 2 : 1) << static_cast<double>(us) / 1000.0 << " ms";
  return out.str();
}

std::string percentiles(const nlohmann::json& h) {
  if (h.value("count", std::uint64_t{0}) == 0) return "no samples";
  std::ostringstream out;
  out << "p50 " << ms(h["p50"]) << "  p90 " << ms(h["p90"]) << "  p99 " << ms(h["p99"]) << "  p99.9 "
      << ms(h["p99_9"]) << "  max " << ms(h["max"]) << "  (" << h["count"].get<std::uint64_t>() << " samples)";
  return out.str();
}

}  // namespace

nlohmann::json make_report(const LoadOptions& options, const RunStats& stats, const RunFacts& facts) {
  const double connect_s = static_cast<double>(stats.connect_phase_us) / 1e6;
  nlohmann::json r{
      {"protocol", options.protocol == Protocol::Chat ? "chat" : "redis"},
      {"transport", options.transport == Transport::Ws ? "ws" : "tcp"},
      {"mode", options.mode == SendMode::Closed ? "closed" : "open"},
      {"connections", options.connections},
      {"connected", stats.connected},
      {"connect_failures", stats.connect_failures},
      {"rooms", options.rooms},
      {"senders", options.rooms * options.senders},
      {"churners", options.churners},
      {"workers", facts.workers},
      {"source_addrs", options.source_addrs},
      {"message_bytes", options.message_bytes},
      {"warmup_s", options.warmup_s},
      {"duration_s", options.duration_s},
      {"sent", stats.sent},
      {"acked", stats.acked},
      {"send_errors", stats.send_errors},
      {"unanswered", stats.unanswered},
      {"expected", stats.expected()},
      {"delivered", stats.delivered()},
      {"echo_deliveries", stats.echo_deliveries},
      {"lost", stats.lost()},
      {"dup", stats.duplicates()},
      {"out_of_order", stats.out_of_order()},
      {"disconnects", stats.disconnects},
      {"unreadable_lines", stats.unreadable_lines},
      {"sends_per_s", round2(static_cast<double>(stats.sent_measured) / options.duration_s)},
      {"deliveries_per_s", round2(static_cast<double>(stats.delivered_measured) / options.duration_s)},
      {"latency_us", summary_of(stats.latency_us)},
      {"ack_latency_us", summary_of(stats.ack_latency_us)},
      {"connect",
       {{"time_s", round2(connect_s)},
        {"rate_per_s", connect_s > 0 ? round2(static_cast<double>(stats.connected) / connect_s) : 0.0},
        {"p50_us", stats.connect_us.percentile(50)},
        {"p99_us", stats.connect_us.percentile(99)},
        {"max_us", stats.connect_us.max()}}},
      {"errors", stats.errors},
      {"connect_errors", stats.connect_errors},
      {"rooms_created_by", facts.rooms_created_by},
  };
  if (options.mode == SendMode::Closed) {
    r["window"] = options.window;
  } else {
    r["rate"] = options.rate;
    r["send_lag_us"] = summary_of(stats.send_lag_us);
    r["missed_slots"] = stats.missed_slots;
  }
  if (options.churners > 0) {
    r["churn"] = {{"cycles", stats.churn_cycles},
                  {"cycles_per_s", round2(static_cast<double>(stats.churn_cycles_measured) / options.duration_s)},
                  {"failures", stats.churn_failures}};
  }
  if (options.server_pid > 0) r["server"] = server_figures(options, facts, stats.connected);
  const auto problems = problems_of(r);
  r["ok"] = problems.empty();
  r["problems"] = problems;
  return r;
}

std::string human_summary(const nlohmann::json& r) {
  std::ostringstream out;
  const bool open = r["mode"] == "open";
  const bool idle = r["senders"].get<unsigned>() == 0;
  out << "chat-loadtest: " << (r.value("protocol", "chat") == "redis" ? "redis pub/sub, " : "")
      << (r.value("transport", "tcp") == "ws" ? "over WebSocket, " : "")
      << (idle ? "no senders" : open ? "open loop" : "closed loop") << ", " << r["connections"]
      << " connections in " << r["rooms"] << " rooms, " << r["senders"] << " senders";
  if (!idle && open) out << ", " << number(r["rate"]) << " sends/s";
  if (!idle && !open) out << ", window " << r["window"];
  if (r["churners"].get<unsigned>() > 0) out << ", " << r["churners"] << " churners";
  out << ", " << r["workers"] << " worker(s), " << number(r["duration_s"]) << " s measured\n";
  const auto& c = r["connect"];
  out << "  connect    " << r["connected"] << " ok, " << r["connect_failures"] << " failed";
  if (!r["connect_errors"].empty()) out << " (" << counts(r["connect_errors"]) << ")";
  out << " in "
      << number(c["time_s"]) << " s (" << number(c["rate_per_s"]) << "/s); setup p50 "
      << ms(c["p50_us"]) << ", p99 " << ms(c["p99_us"]) << "\n";
  out << "  sent       " << r["sent"] << " (" << number(r["sends_per_s"]) << "/s measured), " << r["acked"]
      << " acked, " << r["send_errors"] << " errors, " << r["unanswered"] << " unanswered\n";
  out << "  delivered  " << r["delivered"] << " of " << r["expected"] << " expected, " << r["echo_deliveries"]
      << " of them own echoes (" << number(r["deliveries_per_s"])
      << "/s to other members measured); lost " << r["lost"] << ", dup " << r["dup"]
      << ", out of order " << r["out_of_order"] << ", disconnects " << r["disconnects"] << "\n";
  out << "  latency    " << percentiles(r["latency_us"]) << "\n";
  out << "  ack        " << percentiles(r["ack_latency_us"]) << "\n";
  if (open) {
    out << "  send lag   " << percentiles(r["send_lag_us"]) << "; " << r["missed_slots"] << " slots missed\n";
  }
  if (r.contains("churn")) {
    out << "  churn      " << r["churn"]["cycles"] << " cycles (" << number(r["churn"]["cycles_per_s"])
        << "/s measured), " << r["churn"]["failures"] << " failed\n";
  }
  if (!r["errors"].empty()) out << "  errors     " << r["errors"].dump() << "\n";
  if (r.contains("server")) {
    const auto& s = r["server"];
    out << "  server     pid " << s["pid"];
    if (s.contains("rss_before_kb") && s.contains("rss_after_kb")) {
      out << ", RSS " << s["rss_before_kb"] << " -> " << s["rss_after_kb"] << " KiB";
    }
    if (s.contains("rss_per_connection_kb")) out << " (" << number(s["rss_per_connection_kb"]) << " KiB/conn)";
    if (s.contains("cpu_s")) {
      out << ", CPU " << number(s["cpu_s"]) << " s in the window (" << number(s["cpu_percent"])
          << " % of a core)";
    }
    out << "\n";
    if (s.contains("rss_growth_kb")) {
      const auto kb = [&](const char* key) { return s.contains(key) ? s[key].dump() : std::string("?"); };
      out << "  memory     RSS in the window " << kb("rss_window_start_kb") << " -> " << kb("rss_window_mid_kb")
          << " -> " << kb("rss_after_kb") << " KiB, " << kb("rss_after_drain_kb") << " after the drain; growth "
          << s["rss_growth_kb"] << " KiB";
      if (s.contains("max_rss_growth_kb")) out << " (tolerance " << s["max_rss_growth_kb"] << ")";
      out << "\n";
    }
    if (s.contains("leaked_connections")) {
      out << "  leaks      server sockets " << s["sockets_at_start"] << " before the run, "
          << s["sockets_after"] << " after: " << s["leaked_connections"] << " leaked\n";
    }
  }
  const auto& problems = r["problems"];
  out << "  result     " << (problems.empty() ? "OK" : "FAILED: " + joined(problems)) << "\n";
  return out.str();
}

}  // namespace chat::loadtest
