#include "server/storage/postgres_url.hpp"

#include <libpq-fe.h>

#include <memory>
#include <regex>

namespace chat {
namespace {

struct OptionsFree {
  void operator()(PQconninfoOption* options) const noexcept { PQconninfoFree(options); }
};

std::unique_ptr<PQconninfoOption, OptionsFree> parse(std::string_view url) {
  const std::string text(url);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
  PQfreemem(error);  // its words may quote the url
  return std::unique_ptr<PQconninfoOption, OptionsFree>(options);
}

}  // namespace

bool is_postgres_url(std::string_view url) { return parse(url) != nullptr; }

std::string describe_postgres_database(std::string_view url) {
  const auto options = parse(url);
  if (!options) return "PostgreSQL (an unreadable url)";
  std::string host = "localhost", port = "5432", name;
  for (auto* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string_view keyword = option->keyword;
    if (keyword == "host" || keyword == "hostaddr") host = option->val;
    if (keyword == "port") port = option->val;
    if (keyword == "dbname") name = option->val;
  }
  return "PostgreSQL database '" + name + "' on " + host + ":" + port;
}

std::string redacted_postgres_url(std::string_view url) {
  if (!is_postgres_url(url)) return "(an unreadable url)";
  std::string text(url);
  // URI form: scheme://user:password@host; key=value form: password=value or password='value'.
  static const std::regex uri_password(R"(^(postgres(?:ql)?://[^:@/]*:)[^@/]*@)");
  static const std::regex key_password(R"((\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+))");
  text = std::regex_replace(text, uri_password, "$1***@");
  return std::regex_replace(text, key_password, "$1***");
}

}  // namespace chat
