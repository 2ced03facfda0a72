#include "server/cluster/redis_url.hpp"

#include <charconv>

namespace chat {

namespace {
bool fail(std::string* error, const char* why) {
  if (error) *error = why;
  return false;
}
}  // namespace

std::optional<RedisUrl> parse_redis_url(std::string_view text, std::string* error) {
  constexpr std::string_view kScheme = "redis://";
  if (!text.starts_with(kScheme)) return fail(error, "must start with redis://"), std::nullopt;
  std::string_view rest = text.substr(kScheme.size());
  RedisUrl url;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      url.password = std::string(credentials);  // redis://secret@host: the password alone
    } else {
      url.user = std::string(credentials.substr(0, colon));
      url.password = std::string(credentials.substr(colon + 1));
    }
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    int number = 0;
    if (!db.empty() && std::from_chars(db.data(), db.data() + db.size(), number).ptr != db.data() + db.size()) {
      return fail(error, "the path must be a database number"), std::nullopt;
    }
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  if (rest.starts_with('[')) {  // [::1]:6379
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return fail(error, "an IPv6 address must end with ]"), std::nullopt;
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return fail(error, "expected :port after ]"), std::nullopt;
    if (!rest.empty()) rest = rest.substr(1);
  } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    rest = rest.substr(colon + 1);
  } else {
    rest = {};
  }
  if (host.empty()) return fail(error, "the host is missing"), std::nullopt;
  url.host = std::string(host);
  if (!rest.empty()) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), port);
    if (ec != std::errc{} || end != rest.data() + rest.size() || port == 0 || port > 65535) {
      return fail(error, "the port must be a number from 1 to 65535"), std::nullopt;
    }
    url.port = static_cast<std::uint16_t>(port);
  }
  return url;
}

std::string redacted_redis_url(std::string_view text) {
  if (text.empty()) return {};  // no cluster
  const auto url = parse_redis_url(text);
  if (!url) return "(an unreadable url)";
  if (url->password.empty()) return std::string(text);
  const auto at = text.rfind('@');
  const auto scheme_end = text.find("//") + 2;
  const auto colon = text.find(':', scheme_end);
  // redis://user:pw@ or redis://:pw@ keep the user; redis://pw@ has no user.
  const auto secret_start = colon != std::string_view::npos && colon < at ? colon + 1 : scheme_end;
  return std::string(text.substr(0, secret_start)) + "***" + std::string(text.substr(at));
}

std::string describe_redis(const RedisUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

}  // namespace chat
