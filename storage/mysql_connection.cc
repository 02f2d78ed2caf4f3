#include "storage/mysql_connection.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <charconv>
#include <cstring>

#include "common/str_cat.h"

namespace im::storage {
namespace {

template <typename T>
T ParseNumber(const std::string& text) {
  T value{};
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

std::uint64_t SqlRow::U64(std::size_t i) const {
  return IsNull(i) ? 0 : ParseNumber<std::uint64_t>(*columns_.at(i));
}
std::int64_t SqlRow::I64(std::size_t i) const {
  return IsNull(i) ? 0 : ParseNumber<std::int64_t>(*columns_.at(i));
}
const std::string& SqlRow::Str(std::size_t i) const {
  static const std::string kEmpty;
  return IsNull(i) ? kEmpty : *columns_.at(i);
}

absl::StatusOr<std::unique_ptr<MysqlConnection>> MysqlConnection::Connect(
    const MysqlOptions& options) {
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return absl::ResourceExhaustedError("mysql_init failed");
  const unsigned timeout = static_cast<unsigned>(options.timeout_seconds);
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (mysql_real_connect(
          mysql, options.host.c_str(), options.user.c_str(), options.password.c_str(),
          options.database.empty() ? nullptr : options.database.c_str(),
          static_cast<unsigned>(options.port), nullptr, CLIENT_MULTI_STATEMENTS) == nullptr) {
    const unsigned code = mysql_errno(mysql);
    const std::string message = common::StrCat("cannot connect to MySQL at ", options.host, ":",
                                               options.port, ": ", mysql_error(mysql));
    // A refused account will not be accepted by retrying: say so at once.
    absl::Status status = code == ER_ACCESS_DENIED_ERROR || code == ER_DBACCESS_DENIED_ERROR ||
                                  code == ER_ACCESS_DENIED_NO_PASSWORD_ERROR
                              ? absl::PermissionDeniedError(message)
                              : absl::UnavailableError(message);
    mysql_close(mysql);
    return status;
  }
  return std::unique_ptr<MysqlConnection>(new MysqlConnection(mysql));
}

MysqlConnection::~MysqlConnection() {
  for (auto& [sql, stmt] : statements_) mysql_stmt_close(stmt);
  mysql_close(mysql_);
}

absl::Status MysqlConnection::ErrorFromCode(unsigned code, std::string_view detail,
                                            std::string_view what) {
  const std::string message = common::StrCat(what, ": ", detail, " (", code, ")");
  switch (code) {
    case ER_DUP_ENTRY:
      return absl::AlreadyExistsError(message);
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
      return absl::AbortedError(message);
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN:
      broken_ = true;
      return absl::UnavailableError(message);
    default:
      // An unknown error may leave the connection in an unknown state.
      if (code >= 2000 && code < 3000) broken_ = true;  // client-side (CR_*) errors
      return absl::InternalError(message);
  }
}

absl::StatusOr<MYSQL_STMT*> MysqlConnection::Prepare(std::string_view sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  MYSQL_STMT* stmt = mysql_stmt_init(mysql_);
  if (stmt == nullptr) return ErrorFromCode(mysql_errno(mysql_), mysql_error(mysql_), "prepare");
  if (mysql_stmt_prepare(stmt, sql.data(), sql.size()) != 0) {
    absl::Status status = ErrorFromCode(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), "prepare");
    mysql_stmt_close(stmt);
    return status;
  }
  statements_.emplace(std::string(sql), stmt);
  return stmt;
}

absl::StatusOr<SqlResult> MysqlConnection::Execute(std::string_view sql,
                                                   std::span<const SqlParam> params) {
  if (broken_) return absl::UnavailableError("MySQL connection lost");
  auto prepared = Prepare(sql);
  if (!prepared.ok()) return prepared.status();
  MYSQL_STMT* stmt = *prepared;
  if (mysql_stmt_param_count(stmt) != params.size()) {
    return absl::InternalError(common::StrCat("statement takes ", mysql_stmt_param_count(stmt),
                                              " parameters, ", params.size(), " given"));
  }

  std::vector<MYSQL_BIND> binds(params.size());
  std::vector<unsigned long> lengths(params.size());
  std::size_t i = 0;
  for (const SqlParam& param : params) {
    MYSQL_BIND& b = binds[i];
    std::memset(&b, 0, sizeof b);
    if (std::holds_alternative<std::nullptr_t>(param)) {
      b.buffer_type = MYSQL_TYPE_NULL;
    } else if (auto* v = std::get_if<std::int64_t>(&param)) {
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = const_cast<std::int64_t*>(v);
    } else if (auto* u = std::get_if<std::uint64_t>(&param)) {
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = const_cast<std::uint64_t*>(u);
      b.is_unsigned = 1;
    } else {
      auto s = std::get<std::string_view>(param);
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = const_cast<char*>(s.data());
      b.buffer_length = s.size();
      lengths[i] = s.size();
      b.length = &lengths[i];
    }
    ++i;
  }
  if (!binds.empty() && mysql_stmt_bind_param(stmt, binds.data()) != 0) {
    return ErrorFromCode(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), "bind");
  }
  if (mysql_stmt_execute(stmt) != 0) {
    return ErrorFromCode(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), "execute");
  }

  SqlResult result;
  result.affected_rows = mysql_stmt_affected_rows(stmt);
  result.insert_id = mysql_stmt_insert_id(stmt);
  const unsigned columns = mysql_stmt_field_count(stmt);
  if (columns == 0) return result;

  // Every column is fetched as text into a small buffer, refetched whole when
  // longer. Values are converted by SqlRow's typed getters.
  constexpr unsigned long kInitialBuffer = 64;
  std::vector<MYSQL_BIND> out(columns);
  std::vector<std::string> buffers(columns, std::string(kInitialBuffer, '\0'));
  std::vector<unsigned long> out_lengths(columns);
  std::vector<my_bool> nulls(columns);
  for (unsigned c = 0; c < columns; ++c) {
    std::memset(&out[c], 0, sizeof out[c]);
    out[c].buffer_type = MYSQL_TYPE_STRING;
    out[c].buffer = buffers[c].data();
    out[c].buffer_length = kInitialBuffer;
    out[c].length = &out_lengths[c];
    out[c].is_null = &nulls[c];
  }
  if (mysql_stmt_bind_result(stmt, out.data()) != 0) {
    absl::Status status = ErrorFromCode(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), "bind");
    mysql_stmt_free_result(stmt);
    return status;
  }
  for (;;) {
    int rc = mysql_stmt_fetch(stmt);
    if (rc == MYSQL_NO_DATA) break;
    if (rc == 1) {
      absl::Status status = ErrorFromCode(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), "fetch");
      mysql_stmt_free_result(stmt);
      return status;
    }
    std::vector<std::optional<std::string>> row(columns);
    for (unsigned c = 0; c < columns; ++c) {
      if (nulls[c]) continue;
      if (out_lengths[c] <= kInitialBuffer) {
        row[c].emplace(buffers[c].data(), out_lengths[c]);
        continue;
      }
      std::string whole(out_lengths[c], '\0');
      MYSQL_BIND one;
      std::memset(&one, 0, sizeof one);
      one.buffer_type = MYSQL_TYPE_STRING;
      one.buffer = whole.data();
      one.buffer_length = whole.size();
      if (mysql_stmt_fetch_column(stmt, &one, c, 0) != 0) {
        absl::Status status =
            ErrorFromCode(mysql_stmt_errno(stmt), mysql_stmt_error(stmt), "fetch column");
        mysql_stmt_free_result(stmt);
        return status;
      }
      row[c] = std::move(whole);
    }
    result.rows.emplace_back(std::move(row));
  }
  mysql_stmt_free_result(stmt);
  return result;
}

absl::Status MysqlConnection::ExecuteScript(std::string_view sql) {
  if (broken_) return absl::UnavailableError("MySQL connection lost");
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return ErrorFromCode(mysql_errno(mysql_), mysql_error(mysql_), "query");
  }
  // Drain every result of a multi-statement script.
  do {
    if (MYSQL_RES* res = mysql_store_result(mysql_)) mysql_free_result(res);
  } while (mysql_next_result(mysql_) == 0);
  if (mysql_errno(mysql_) != 0) {
    return ErrorFromCode(mysql_errno(mysql_), mysql_error(mysql_), "query");
  }
  return absl::OkStatus();
}

absl::Status MysqlConnection::Begin() { return ExecuteScript("START TRANSACTION"); }

absl::Status MysqlConnection::Commit() {
  if (mysql_commit(mysql_) != 0) {
    return ErrorFromCode(mysql_errno(mysql_), mysql_error(mysql_), "commit");
  }
  return absl::OkStatus();
}

void MysqlConnection::Rollback() {
  if (!broken_ && mysql_rollback(mysql_) != 0) broken_ = true;
}

}  // namespace im::storage
