#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "server/http/http_response.hpp"
#include "server/http/origin_policy.hpp"
#include "server/http/http_stats.hpp"
#include "server/http/readiness.hpp"
#include "server/http/static_files.hpp"
#include "server/server_snapshot.hpp"

namespace chat {

// The operator's endpoints: GET /health (the process runs), /ready (it should be sent traffic), /metrics
// (Prometheus text of the server snapshot and the HTTP counters), and the browser client's files when there
// are any (StaticFiles: "/" and the paths it holds); anything else is 404 with a JSON body.
// The path is matched exactly, never resolved, so "/../etc/passwd" is just an unknown path. Only GET and
// HEAD reach here (HttpSession refuses the rest). handle() is safe from any thread as long as the sources
// are; the server calls it from the HTTP thread only.
//
// The server snapshot is taken at most once per kSnapshotMaxAge and shared by the scrapes meanwhile: it
// counts the stored messages in the database, and a peer scraping in a loop must not turn that into a
// steady load on storage (a Prometheus scrape comes every 15 s or so; the HTTP counters stay live).
class OperatorEndpoints {
 public:
  static constexpr std::chrono::milliseconds kSnapshotMaxAge{1000};

  struct Sources {
    std::function<Readiness()> readiness;
    std::function<ServerSnapshot()> snapshot;
    std::function<HttpStats::Snapshot()> http_stats;
  };

  // metrics_allow: the peers that may read /metrics (others get 403); empty lets every peer.
  // web: the browser client's files, or null to serve none.
  // hosts: the Host names /ready and /metrics answer to (others get 421): against DNS rebinding.
  OperatorEndpoints(Sources sources, std::vector<boost::asio::ip::address> metrics_allow,
                    std::shared_ptr<const StaticFiles> web = nullptr, OriginPolicy hosts = OriginPolicy({}));

  HttpResponse handle(const HttpRequest& request, const boost::asio::ip::address& peer) const;

 private:
  HttpResponse health(unsigned version) const;
  HttpResponse ready(unsigned version) const;
  HttpResponse metrics(unsigned version, const boost::asio::ip::address& peer) const;

  ServerSnapshot recent_snapshot() const;

  Sources sources_;
  std::vector<boost::asio::ip::address> metrics_allow_;
  OriginPolicy hosts_;
  std::shared_ptr<const StaticFiles> web_;
  mutable std::mutex snapshot_mutex_;
  mutable std::optional<ServerSnapshot> snapshot_;  // snapshot_mutex_
  mutable std::chrono::steady_clock::time_point snapshot_taken_;  // snapshot_mutex_
};

}  // namespace chat
