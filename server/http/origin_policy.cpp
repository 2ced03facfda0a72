#include "server/http/origin_policy.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/ip/address.hpp>

namespace chat {

namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The host[:port] of an origin, or empty when it is not one.
std::string_view authority(std::string_view origin) {
  const auto separator = origin.find("://");
  if (separator == std::string_view::npos || separator == 0) return {};
  const auto scheme = origin.substr(0, separator);
  const auto scheme_char = [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; };
  if (!std::all_of(scheme.begin(), scheme.end(), scheme_char)) {
    return {};
  }
  const auto rest = origin.substr(separator + 3);
  if (rest.empty()) return {};
  // Nothing but the authority: no path, query, fragment or user information, no spaces.
  const bool plain = std::all_of(rest.begin(), rest.end(), [](unsigned char c) {
    return c > ' ' && c < 0x7f && c != '/' && c != '?' && c != '#' && c != '@';
  });
  return plain ? rest : std::string_view{};
}

// A host[:port] whose host is a loopback name or address: what a browser can only reach on its own machine,
// whatever a DNS server answers (browsers resolve localhost and *.localhost themselves).
bool is_loopback_authority(std::string_view authority) {
  std::string_view host = authority;
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    host = host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

}  // namespace

bool is_web_origin(std::string_view text) { return !authority(text).empty(); }

OriginPolicy::OriginPolicy(std::vector<std::string> allowed, bool loopback) : loopback_(loopback) {
  for (const auto& origin : allowed) allowed_.push_back(lowercase(origin));
}

bool OriginPolicy::allows(bool has_origin, std::string_view origin, std::string_view host) const {
  if (!has_origin) return true;
  const auto wanted = lowercase(origin);
  if (!allowed_.empty()) return std::find(allowed_.begin(), allowed_.end(), wanted) != allowed_.end();
  // Same origin: "null" (a sandboxed page, a file) and anything malformed have no authority and never match.
  const auto own = authority(wanted);
  return !own.empty() && !host.empty() && own == lowercase(host) && (!loopback_ || is_loopback_authority(own));
}

bool OriginPolicy::allows_host(std::string_view host) const {
  if (!loopback_ || host.empty()) return true;
  auto wanted = lowercase(host);
  // A fully qualified name may end in a dot ("localhost.:8080"): the same host.
  const auto port_at = wanted.starts_with('[') ? wanted.find(']') + 1 : wanted.rfind(':');
  const auto name_end = std::min(port_at, wanted.size());  // npos (no port) is the end; "[" unclosed is 0
  if (name_end > 0 && wanted[name_end - 1] == '.') wanted.erase(name_end - 1, 1);
  if (is_loopback_authority(wanted)) return true;
  return std::any_of(allowed_.begin(), allowed_.end(), [&](const std::string& origin) {
    // A proxy may pass the port the browser left out: "chat.example.org:443" is https://chat.example.org.
    const auto listed = std::string(authority(origin));
    const std::string_view default_port =
        origin.starts_with("https://") ? ":443" : origin.starts_with("http://") ? ":80" : "";
    return wanted == listed || (!default_port.empty() && wanted == listed + std::string(default_port));
  });
}

}  // namespace chat
