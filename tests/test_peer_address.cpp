// The address a peer is known by, and the key every per-address limit counts it by.
#include <doctest/doctest.h>

#include <boost/asio/ip/address.hpp>

#include "server/net/peer_address.hpp"

using chat::address_key;
using chat::peer_address;
using boost::asio::ip::make_address;

TEST_CASE("an IPv4-mapped IPv6 peer is known by its IPv4 address") {
  CHECK(peer_address(make_address("::ffff:192.0.2.7")).to_string() == "192.0.2.7");
  CHECK(peer_address(make_address("192.0.2.7")).to_string() == "192.0.2.7");
  CHECK(peer_address(make_address("2001:db8::1")).to_string() == "2001:db8::1");
}

TEST_CASE("AddressRotation: one host's IPv6 addresses share one key, its /64, however many it takes") {
  // A host is given a whole /64: each connection from another address of it must still count as the same peer.
  CHECK(address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64");
  CHECK(address_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64");
  CHECK(address_key("2001:db8:1:2:dead:beef:0:7") == address_key("2001:db8:1:2::1"));
  CHECK(address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1"));  // the next /64 is another peer
  CHECK(address_key("::1") == "::/64");
  // IPv4 addresses count one by one.
  CHECK(address_key("192.0.2.7") == "192.0.2.7");
  CHECK(address_key("192.0.2.8") != address_key("192.0.2.7"));
  CHECK(address_key("127.0.0.1") == "127.0.0.1");
  CHECK(address_key("::ffff:192.0.2.7") == "192.0.2.7");  // an IPv4 client through a dual-stack socket
  CHECK(address_key("not an address") == "not an address");
}
