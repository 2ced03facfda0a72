#pragma once
// One PostgreSQL connection (libpq) with its prepared statements, and the text-format parameters and results
// it exchanges. Internal to the storage layer.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace chat {

// A failed PostgreSQL operation: the server's message, its SQLSTATE ("" when the connection failed before the
// server could answer) and whether the storage is to blame rather than the statement.
class PostgresError : public std::runtime_error {
 public:
  PostgresError(const std::string& what, std::string sqlstate);
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  // Connection lost or refused, the server out of disk, memory or connections, shutting down, an I/O error, a
  // read-only database: SQLSTATE classes 08, 53, 57, 58 and XX, 25006, or none at all.
  bool is_fault() const noexcept;

 private:
  std::string sqlstate_;
};

// Call from a catch block only: rethrows the exception being handled as a StorageError whose message starts
// with `context`; a PostgresError keeps whether the storage is to blame, and its reason (what a refused client
// is told) is the first of libpq's lines ("FATAL: terminating connection due to administrator command").
[[noreturn]] void rethrow_postgres_as_storage_error(std::string_view context);

// Parameters of one statement, in PostgreSQL's text format; arrays as array literals.
class PostgresParams {
 public:
  PostgresParams& add(std::int64_t value);
  PostgresParams& add(std::string_view value);
  PostgresParams& add_optional(const std::optional<std::string>& value);  // nullopt: NULL
  PostgresParams& add_bool(bool value);
  // An array literal ('{1,2}', '{"a","b",NULL}') for a parameter cast to an array type in the SQL.
  PostgresParams& add_array(std::span<const std::int64_t> values);
  PostgresParams& add_array(std::span<const std::optional<std::string>> values);

  int size() const noexcept { return static_cast<int>(values_.size()); }
  // Pointers into this object's strings: valid while it lives and is not added to.
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// An owned PGresult of a statement that succeeded.
class PostgresResult {
 public:
  explicit PostgresResult(PGresult* result) noexcept : result_(result) {}

  int rows() const noexcept { return PQntuples(result_.get()); }
  bool is_null(int row, int column) const noexcept { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string text(int row, int column) const;
  std::optional<std::string> optional_text(int row, int column) const;
  std::int64_t integer(int row, int column) const;
  bool boolean(int row, int column) const;  // 't' or 'f'
  std::int64_t affected() const;            // rows an INSERT, UPDATE or DELETE changed
  std::string_view command_tag() const noexcept;  // "COMMIT", "INSERT 0 1"...

 private:
  struct Clear {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

// Not thread-safe: one thread at a time (the store's write mutex or a ConnectionPool lease guarantees it).
class PostgresConnection {
 public:
  // Connects to `url` (a libpq URI or key=value string) with client_encoding UTF8 and a connect timeout unless
  // the url sets one. Throws PostgresError.
  explicit PostgresConnection(std::string url);
  ~PostgresConnection();
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // Statements without parameters, several allowed (the schema, BEGIN, COMMIT). Throws PostgresError.
  PostgresResult exec(const std::string& sql);
  // One statement with parameters ($1, $2...), prepared on first use and kept for the connection's life.
  // Throws PostgresError.
  PostgresResult query(const std::string& sql, const PostgresParams& params = {});

  // When the connection was lost, connects again (a fresh session: prepared statements are prepared anew);
  // when it was left inside a transaction, rolls it back. Throws PostgresError if that fails. Cheap when the
  // connection is fine.
  void reconnect_if_lost();
  bool lost() const noexcept;

 private:
  PostgresResult check(PGresult* result, std::string_view what);

  std::string url_;
  PGconn* connection_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
};

// BEGIN ... COMMIT on a connection, rolled back unless committed. A BEGIN that finds the connection closed by
// the server since its last use connects again and begins once more.
class PostgresTransaction {
 public:
  explicit PostgresTransaction(PostgresConnection& connection);
  ~PostgresTransaction();
  PostgresTransaction(const PostgresTransaction&) = delete;
  PostgresTransaction& operator=(const PostgresTransaction&) = delete;

  void commit();

 private:
  PostgresConnection& connection_;
  bool finished_ = false;
};

}  // namespace chat
