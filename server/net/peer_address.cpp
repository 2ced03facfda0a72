#include "server/net/peer_address.hpp"

#include <algorithm>

namespace chat {

boost::asio::ip::address peer_address(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::string address_key(std::string_view address) {
  boost::system::error_code ec;
  const auto parsed = peer_address(boost::asio::ip::make_address(std::string(address), ec));
  if (ec) return std::string(address);
  if (!parsed.is_v6()) return parsed.to_string();
  auto bytes = parsed.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace chat
