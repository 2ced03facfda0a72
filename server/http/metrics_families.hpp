#pragma once

#include "server/http/http_stats.hpp"
#include "server/http/prometheus_text.hpp"
#include "server/server_snapshot.hpp"

namespace chat {

// The server's figures as Prometheus families, named chat_* (docs/operations.md lists each with its
// meaning). Counters end in _total, durations are in seconds. Everything the `stats` op reports is here,
// from the same ServerSnapshot, except the text of the latest storage error (in `stats` and /ready).
void write_snapshot_metrics(PrometheusText& page, const ServerSnapshot& snapshot);

// The HTTP listener's own counters (chat_http_*).
void write_http_metrics(PrometheusText& page, const HttpStats::Snapshot& http);

}  // namespace chat
