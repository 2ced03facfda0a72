#pragma once

#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace chat {

// The address a peer is known by, for every per-address limit and rule (the chat listeners' and the HTTP
// listener's connection limits, log-in throttles, http.metrics_allow) and the logs: an IPv4-mapped IPv6
// address (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 peer) is its IPv4 address, so that
// one client counts as one whichever socket it came through, and a rule naming a.b.c.d applies to it.
boost::asio::ip::address peer_address(const boost::asio::ip::address& address);

// The key every per-address limit counts by — the connection limits of the chat and HTTP listeners, log-in
// throttles and hash places, name probes, guests' room quota — from peer_address()'s text: an IPv4 address
// as it is, an IPv6 address by its /64 network ("2001:db8:1:2::/64"). A host is given a whole /64 and may
// use any address in it: keyed by single IPv6 addresses, one host would count as 2^64 peers. Logs keep
// the address itself. An IPv4-mapped address counts as its IPv4 address (peer_address()); text that is no
// address is its own key.
std::string address_key(std::string_view address);

}  // namespace chat
