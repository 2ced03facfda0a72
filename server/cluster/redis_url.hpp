#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

// Where a Redis server listens: cluster.redis_url, "redis://[[user]:password@]host[:port][/db]". The db number
// is accepted and ignored: publish/subscribe channels are not per database.
struct RedisUrl {
  std::string host;
  std::uint16_t port = 6379;
  std::string user;      // empty: the default user
  std::string password;  // empty: no AUTH
};

// nullopt when the text is no such url (the reason in `error`, which never quotes the password).
std::optional<RedisUrl> parse_redis_url(std::string_view text, std::string* error = nullptr);

// The url with its password replaced by ***, for --print-config; "(an unreadable url)" for a text that is none.
std::string redacted_redis_url(std::string_view text);

// host:port, for logs: never the password.
std::string describe_redis(const RedisUrl& url);

}  // namespace chat
