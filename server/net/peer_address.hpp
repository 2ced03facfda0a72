#pragma once

#include <boost/asio/ip/address.hpp>

namespace chat {

// The address a peer is known by, for every per-address limit and rule (the chat listeners' and the HTTP
// listener's connection limits, log-in throttles, http.metrics_allow) and the logs: an IPv4-mapped IPv6
// address (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 peer) is its IPv4 address, so that
// one client counts as one whichever socket it came through, and a rule naming a.b.c.d applies to it.
boost::asio::ip::address peer_address(const boost::asio::ip::address& address);

}  // namespace chat
