#pragma once
// storage.postgres_url as the operator wrote it: checked when the configuration is read, and shown without its
// password.

#include <string>
#include <string_view>

namespace chat {

// A libpq URI (postgresql://...) or key=value string that libpq can parse.
bool is_postgres_url(std::string_view url);

// The url with its password, if any, replaced by "***" (postgresql://chat:***@db/chat, password=***), for what
// is printed or logged. A url libpq cannot parse comes back as "(an unreadable url)".
std::string redacted_postgres_url(std::string_view url);

// The database a url names, for log lines and messages: "PostgreSQL database 'chat' on db.example:5432".
std::string describe_postgres_database(std::string_view url);

}  // namespace chat
