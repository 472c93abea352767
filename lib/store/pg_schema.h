// The PostgreSQL store's parts shared by its sink and its source
// (pg_store.h has the schema's description): the tables and their typed
// columns, libpq handles, statements, and the schema's creation.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace ot::pg {

constexpr Nanos kDay = 86'400'000'000'000LL;

enum class ColType { text, numeric, bigint, boolean, real };

struct Column {
  const char* name;  // SQL column
  const char* key;   // event field
  ColType type;
};

struct Table {
  const char* name;
  std::vector<Column> columns;
};

// Every table, "other" last.
const std::vector<Table>& tables();
// The table named `name` ("other" if none is).
const Table& table_named(std::string_view name);
const char* sql_type(ColType t);
// `name` quoted as an SQL identifier.
std::string ident(std::string_view name);
// A table's columns, in COPY order.
std::string column_list(const Table& t);
// Whether `v` can go in a bigint / a numeric column.
bool is_integer(std::string_view v);
bool is_decimal(std::string_view v);

// Binary COPY (COPY ... FROM STDIN (FORMAT binary)): the stream's header
// and trailer, and per row its field count then each field, in network
// byte order. The server reads these without parsing text.
void copy_binary_header(std::string& out);
void copy_binary_trailer(std::string& out);
void append_row_start(std::string& out, int fields);
void append_null(std::string& out);
void append_bigint(std::string& out, std::int64_t v);
void append_text(std::string& out, std::string_view v);
// A typed column's value from its JSON text ("12.50", "1e-05", "true",
// "42", a string's text); false, with nothing written, when the text is
// not of the column's type (the column is then NULL).
bool append_typed(std::string& out, ColType type, std::string_view v);
// numeric's binary form of decimal text, the value and display scale that
// numeric's text input gives ("1.50" keeps two decimals, "1.5e3" is 1500);
// false for anything else, and for exponents beyond +-1000.
bool append_numeric(std::string& out, std::string_view v);

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// The connection's last error, on one line.
std::string conn_error(PGconn* c);
// A connection (5 s timeout, notices quiet); unavailable if none.
Result<Conn> connect(const std::string& url);
// Runs one statement (PQexecParams, text parameters); the result in `keep`
// if asked. refused unless it returns `want` (unavailable when the
// connection is gone), with the SQLSTATE in `state` if asked.
Result<> exec(PGconn* c, const std::string& sql, const std::vector<std::string>& params = {},
              ExecStatusType want = PGRES_COMMAND_OK, ResultPtr* keep = nullptr,
              std::string* state = nullptr);
// A text[] literal of `items`.
std::string array_literal(const std::vector<std::string>& items);
// schema.table, quoted.
std::string q(const std::string& schema, std::string_view table);
// Creates the schema and its tables if absent: TimescaleDB hypertables
// when the extension loads, native partitions else. Whether TimescaleDB is
// used.
Result<bool> ensure_schema(PGconn* c, const std::string& schema);

}  // namespace ot::pg
