#include "server/storage/postgres_connection.hpp"

#include <spdlog/fmt/fmt.h>

#include <array>
#include <charconv>
#include <utility>

#include "server/storage/postgres_url.hpp"
#include "server/storage/storage_error.hpp"

namespace chat {
namespace {

// libpq's words on one line (it writes several, indented), for one log line per error: a break becomes "; ",
// other runs of blanks one space.
std::string error_of(const PGconn* connection) {
  const std::string_view raw = connection != nullptr ? PQerrorMessage(connection) : "out of memory";
  std::string message;
  std::size_t i = 0;
  while (i < raw.size()) {
    if (raw[i] != ' ' && raw[i] != '\t' && raw[i] != '\n') {
      message += raw[i++];
      continue;
    }
    bool line_break = false;
    for (; i < raw.size() && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n'); ++i) line_break |= raw[i] == '\n';
    if (!message.empty() && i < raw.size()) message += line_break ? "; " : " ";
  }
  return message;
}

// Notices (NOTICE:  relation ... already exists, skipping) are for an interactive user: not written to stderr.
void ignore_notice(void*, const char*) {}

// An element of an array literal: quoted, with backslash and double quote escaped.
void append_quoted(std::string& out, std::string_view value) {
  out += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

PostgresError::PostgresError(const std::string& what, std::string sqlstate)
    : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}

bool PostgresError::is_fault() const noexcept {
  if (sqlstate_.size() < 2) return true;  // no answer from the server: the connection failed
  // 25006: a read-only transaction, as on a standby after a failover: no write can succeed until it passes.
  if (sqlstate_ == "25006") return true;
  const std::string_view cls(sqlstate_.data(), 2);
  return cls == "08" || cls == "53" || cls == "57" || cls == "58" || cls == "XX";
}

void rethrow_postgres_as_storage_error(std::string_view context) {
  try {
    throw;
  } catch (const PostgresError& e) {
    const std::string_view what = e.what();
    throw StorageError(fmt::format("{}: {}", context, what), e.is_fault(),
                       std::string(what.substr(0, what.find("; "))));
  } catch (...) {
    rethrow_as_storage_error(context);
  }
}

PostgresParams& PostgresParams::add(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

PostgresParams& PostgresParams::add(std::string_view value) {
  values_.emplace_back(std::string(value));
  return *this;
}

PostgresParams& PostgresParams::add_optional(const std::optional<std::string>& value) {
  values_.push_back(value);
  return *this;
}

PostgresParams& PostgresParams::add_bool(bool value) {
  values_.emplace_back(value ? "t" : "f");
  return *this;
}

PostgresParams& PostgresParams::add_array(std::span<const std::int64_t> values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) literal += ',';
    literal += std::to_string(values[i]);
  }
  literal += '}';
  values_.emplace_back(std::move(literal));
  return *this;
}

PostgresParams& PostgresParams::add_array(std::span<const std::optional<std::string>> values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) literal += ',';
    if (values[i]) {
      append_quoted(literal, *values[i]);
    } else {
      literal += "NULL";
    }
  }
  literal += '}';
  values_.emplace_back(std::move(literal));
  return *this;
}

std::vector<const char*> PostgresParams::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& value : values_) {
    // libpq takes C strings: a value would be cut at a NUL, and stored cut. PostgreSQL's text cannot hold one
    // anyway (the protocol refuses U+0000), so it is refused here too rather than stored short.
    if (value && value->find('\0') != std::string::npos) {
      throw PostgresError("a value holds U+0000, which PostgreSQL's text cannot store", "22021");
    }
    out.push_back(value ? value->c_str() : nullptr);
  }
  return out;
}

std::string PostgresResult::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> PostgresResult::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::int64_t PostgresResult::integer(int row, int column) const {
  const char* const value = PQgetvalue(result_.get(), row, column);
  const auto length = static_cast<std::size_t>(PQgetlength(result_.get(), row, column));
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(value, value + length, number);
  if (error != std::errc{} || end != value + length) {
    throw PostgresError(fmt::format("not an integer: '{}'", std::string_view(value, length)), "22P02");
  }
  return number;
}

bool PostgresResult::boolean(int row, int column) const { return PQgetvalue(result_.get(), row, column)[0] == 't'; }

std::string_view PostgresResult::command_tag() const noexcept { return PQcmdStatus(result_.get()); }

std::int64_t PostgresResult::affected() const {
  const char* const count = PQcmdTuples(result_.get());
  return count[0] == '\0' ? 0 : std::stoll(count);
}

PostgresConnection::PostgresConnection(std::string url) : url_(std::move(url)) {
  // libpq's words about a url it cannot parse may quote it, password included: none of them are passed on.
  if (!is_postgres_url(url_)) {
    throw PostgresError("storage.postgres_url is neither a libpq URI (postgresql://...) nor a key=value string",
                        "");
  }
  // Keywords are applied in order and the url is expanded where it stands: its own settings win over the
  // defaults before it, and nothing overrides the encoding after it. The defaults bound how long a database
  // that vanished without a word (a cut network path) can hold a call: a connect in 10 s; on a connection,
  // unacknowledged data or silence past 30 s.
  const std::array<const char*, 9> keywords{"connect_timeout", "application_name", "keepalives_idle",
                                            "keepalives_interval", "keepalives_count", "tcp_user_timeout", "dbname",
                                            "client_encoding", nullptr};
  const std::array<const char*, 9> values{"10", "chat-server", "10", "5", "4", "30000", url_.c_str(), "UTF8",
                                          nullptr};
  connection_ = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) {
    std::string message = error_of(connection_);
    PQfinish(connection_);
    connection_ = nullptr;
    throw PostgresError(fmt::format("cannot connect to PostgreSQL: {}", message), "");
  }
  PQsetNoticeProcessor(connection_, ignore_notice, nullptr);
}

PostgresConnection::~PostgresConnection() { PQfinish(connection_); }

bool PostgresConnection::lost() const noexcept { return connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK; }

void PostgresConnection::reconnect_if_lost() {
  if (!lost() && PQtransactionStatus(connection_) == PQTRANS_IDLE) return;
  if (!lost()) {
    // Left inside a transaction (a ROLLBACK that failed): end it, or start afresh.
    PGresult* const rollback = PQexec(connection_, "ROLLBACK");
    const bool ended = rollback != nullptr && PQresultStatus(rollback) == PGRES_COMMAND_OK;
    PQclear(rollback);
    if (ended && PQtransactionStatus(connection_) == PQTRANS_IDLE) return;
  }
  prepared_.clear();
  PQreset(connection_);
  if (PQstatus(connection_) != CONNECTION_OK) {
    throw PostgresError(fmt::format("cannot reconnect to PostgreSQL: {}", error_of(connection_)), "");
  }
}

PostgresResult PostgresConnection::check(PGresult* result, std::string_view what) {
  const auto status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PostgresResult(result);
  std::string sqlstate;
  std::string message;
  if (result != nullptr) {
    if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) sqlstate = state;
    if (const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) message = primary;
    PQclear(result);
  }
  if (message.empty()) message = error_of(connection_);
  throw PostgresError(sqlstate.empty() ? fmt::format("{} ({:.40})", message, what)
                                       : fmt::format("{} (SQLSTATE {})", message, sqlstate),
                      sqlstate);
}

PostgresResult PostgresConnection::exec(const std::string& sql) { return check(PQexec(connection_, sql.c_str()), sql); }

PostgresResult PostgresConnection::query(const std::string& sql, const PostgresParams& params) {
  auto [entry, unseen] = prepared_.try_emplace(sql);
  if (unseen) {
    std::string name = fmt::format("s{}", prepared_.size());
    try {
      check(PQprepare(connection_, name.c_str(), sql.c_str(), 0, nullptr), "prepare");
    } catch (...) {
      prepared_.erase(entry);
      throw;
    }
    entry->second = std::move(name);
  }
  const auto values = params.pointers();
  return check(PQexecPrepared(connection_, entry->second.c_str(), params.size(), values.data(), nullptr, nullptr, 0),
               "execute");
}

PostgresTransaction::PostgresTransaction(PostgresConnection& connection) : connection_(connection) {
  try {
    connection_.exec("BEGIN");
  } catch (const PostgresError&) {
    // A connection the server closed since its last use (a restart of PostgreSQL, an idle timeout) is found
    // only by using it. Nothing ran yet, so beginning again on a new one is safe.
    if (!connection_.lost()) throw;
    connection_.reconnect_if_lost();
    connection_.exec("BEGIN");
  }
}

PostgresTransaction::~PostgresTransaction() {
  if (finished_ || connection_.lost()) return;
  try {
    connection_.exec("ROLLBACK");
  } catch (...) {
    // The connection broke meanwhile: the server rolls back what was not committed.
  }
}

void PostgresTransaction::commit() {
  // COMMIT of a transaction that an error aborted succeeds as a ROLLBACK: that is a failure here.
  const auto result = connection_.exec("COMMIT");
  finished_ = true;
  if (result.command_tag() != "COMMIT") throw PostgresError("the transaction was rolled back", "40000");
}

}  // namespace chat
