#include "server/http/operator_endpoints.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/http/metrics_families.hpp"
#include "server/http/prometheus_text.hpp"

namespace chat {

OperatorEndpoints::OperatorEndpoints(Sources sources, std::vector<boost::asio::ip::address> metrics_allow,
                                     std::shared_ptr<const StaticFiles> web, OriginPolicy hosts)
    : sources_(std::move(sources)),
      metrics_allow_(std::move(metrics_allow)),
      hosts_(std::move(hosts)),
      web_(std::move(web)) {}

HttpResponse OperatorEndpoints::handle(const HttpRequest& request, const boost::asio::ip::address& peer) const {
  const auto target = request.target();
  // A query string does not change what is asked (Prometheus may add one); the path alone is matched.
  const auto path = target.substr(0, target.find('?'));
  const auto version = request.version();
  if (path == "/health") return health(version);
  const auto host = request[http::field::host];
  if ((path == "/ready" || path == "/metrics") && !hosts_.allows_host(std::string_view(host.data(), host.size()))) {
    // A page of another site whose name now points at this loopback listener (DNS rebinding) asks with its
    // own name: what the server says about itself is not for it.
    return json_response(http::status::misdirected_request,
                         R"({"error":"misdirected","detail":"not a name of this listener; see http.allowed_origins"})",
                         version);
  }
  if (path == "/ready") return ready(version);
  if (path == "/metrics") return metrics(version, peer);
  if (web_) {
    if (const auto* file = web_->find(std::string_view(path.data(), path.size()))) {
      return StaticFiles::respond(*file, request);
    }
  }
  return json_response(http::status::not_found,
                       R"({"error":"not_found","endpoints":["/health","/ready","/metrics"]})", version);
}

HttpResponse OperatorEndpoints::health(unsigned version) const {
  // Answered by the process itself: if this comes back, the process runs and its HTTP thread is not stuck.
  return json_response(http::status::ok, R"({"status":"ok"})", version);
}

HttpResponse OperatorEndpoints::ready(unsigned version) const {
  const auto readiness = sources_.readiness();
  if (readiness.ready) return json_response(http::status::ok, R"({"status":"ready"})", version);
  const nlohmann::json body{{"status", "not_ready"}, {"reason", readiness.reason}, {"detail", readiness.detail}};
  return json_response(http::status::service_unavailable, body.dump(), version);
}

ServerSnapshot OperatorEndpoints::recent_snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (!snapshot_ || now - snapshot_taken_ >= kSnapshotMaxAge) {
    snapshot_ = sources_.snapshot();
    snapshot_taken_ = now;
  }
  return *snapshot_;
}

HttpResponse OperatorEndpoints::metrics(unsigned version, const boost::asio::ip::address& peer) const {
  if (!metrics_allow_.empty() && std::find(metrics_allow_.begin(), metrics_allow_.end(), peer) == metrics_allow_.end()) {
    return json_response(http::status::forbidden, R"({"error":"forbidden","detail":"not in http.metrics_allow"})",
                         version);
  }
  PrometheusText page;
  write_snapshot_metrics(page, recent_snapshot());
  write_http_metrics(page, sources_.http_stats());
  return make_response(http::status::ok, PrometheusText::kContentType, page.text(), version);
}

}  // namespace chat
