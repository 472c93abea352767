#include "store/pg_schema.h"

#include <algorithm>
#include <bit>
#include <charconv>

#include "store/pg_store.h"

namespace ot {
namespace pg {

const std::vector<Table>& tables() {
  using T = ColType;
  static const std::vector<Table> all = {
      {"book",
       {{"ts", "ts", T::bigint},
        {"snapshot", "snapshot", T::boolean},
        {"first_seq", "first_seq", T::bigint},
        {"venue_seq", "seq", T::bigint},
        {"prev_seq", "prev_seq", T::bigint},
        {"checksum", "checksum", T::bigint}}},
      {"trade",
       {{"ts", "ts", T::bigint},
        {"price", "price", T::numeric},
        {"qty", "qty", T::numeric},
        {"side", "side", T::text},
        {"trade_id", "id", T::text}}},
      {"quote",
       {{"ts", "ts", T::bigint},
        {"venue_seq", "seq", T::bigint},
        {"bid", "bid", T::numeric},
        {"bid_qty", "bid_qty", T::numeric},
        {"ask", "ask", T::numeric},
        {"ask_qty", "ask_qty", T::numeric}}},
      {"bbo",
       {{"ts", "ts", T::bigint},
        {"bid", "bid", T::numeric},
        {"bid_qty", "bid_qty", T::numeric},
        {"ask", "ask", T::numeric},
        {"ask_qty", "ask_qty", T::numeric},
        {"mid", "mid", T::numeric},
        {"spread", "spread", T::numeric}}},
      {"ticker",
       {{"ts", "ts", T::bigint},
        {"last", "last", T::numeric},
        {"mark", "mark", T::numeric},
        {"index_price", "index", T::numeric},
        {"underlying", "underlying", T::numeric},
        {"mark_iv", "mark_iv", T::numeric},
        {"funding_rate", "funding_rate", T::numeric},
        {"open_interest", "open_interest", T::numeric}}},
      {"depth", {{"ts", "ts", T::bigint}}},
      {"status",
       {{"ts", "ts", T::bigint}, {"status", "event", T::text}, {"detail", "detail", T::text}}},
      {"order",
       {{"ts", "ts", T::bigint},
        {"id", "id", T::text},
        {"side", "side", T::text},
        {"qty", "qty", T::numeric},
        {"price", "price", T::numeric},
        {"kind", "kind", T::text},
        {"tif", "tif", T::text},
        {"strategy", "strategy", T::text}}},
      {"cancel",
       {{"ts", "ts", T::bigint}, {"id", "id", T::text}, {"strategy", "strategy", T::text}}},
      {"amend",
       {{"ts", "ts", T::bigint},
        {"id", "id", T::text},
        {"qty", "qty", T::numeric},
        {"price", "price", T::numeric}}},
      {"exec",
       {{"ts", "ts", T::bigint},
        {"id", "id", T::text},
        {"status", "status", T::text},
        {"side", "side", T::text},
        {"price", "price", T::numeric},
        {"qty", "qty", T::numeric},
        {"filled", "filled", T::numeric},
        {"leaves", "leaves", T::numeric},
        {"fee", "fee", T::numeric},
        {"liquidity", "liquidity", T::text},
        {"reason", "reason", T::text},
        {"exec_seq", "seq", T::bigint}}},
      {"position",
       {{"ts", "ts", T::bigint},
        {"qty", "qty", T::numeric},
        {"avg_price", "avg_price", T::numeric},
        {"realized_pnl", "realized_pnl", T::numeric},
        {"unrealized_pnl", "unrealized_pnl", T::numeric},
        {"fees", "fees", T::numeric}}},
      {"greeks",
       {{"ts", "ts", T::bigint},
        {"underlying", "underlying", T::text},
        {"delta", "delta", T::real},
        {"gamma", "gamma", T::real},
        {"vega", "vega", T::real},
        {"theta", "theta", T::real}}},
      {"control",
       {{"ts", "ts", T::bigint},
        {"command", "command", T::text},
        {"target", "target", T::text},
        {"detail", "detail", T::text}}},
      {"bar",
       {{"ts", "ts", T::bigint},
        {"kind", "kind", T::text},
        {"bar_interval", "interval", T::text},
        {"bar_size", "size", T::numeric},
        {"source", "source", T::text},
        {"bar_start", "start", T::bigint},
        {"bar_end", "end", T::bigint},
        {"open", "open", T::numeric},
        {"high", "high", T::numeric},
        {"low", "low", T::numeric},
        {"close", "close", T::numeric},
        {"volume", "volume", T::numeric},
        {"buy_volume", "buy_volume", T::numeric},
        {"trades", "trades", T::bigint},
        {"vwap", "vwap", T::numeric},
        {"forming", "forming", T::boolean}}},
      {"raw", {}},
      {"other", {{"type", "type", T::text}}},
  };
  return all;
}

const Table& table_named(std::string_view name) {
  for (const auto& t : tables()) {
    if (name == t.name) return t;
  }
  return tables().back();
}

const char* sql_type(ColType t) {
  switch (t) {
    case ColType::text:
      return "text";
    case ColType::numeric:
      return "numeric";
    case ColType::bigint:
      return "bigint";
    case ColType::boolean:
      return "boolean";
    case ColType::real:
      return "double precision";
  }
  return "text";
}

std::string ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string column_list(const Table& t) {
  std::string cols = "time, seq, venue, symbol, digest, event";
  for (const auto& c : t.columns) cols += ", " + ident(c.name);
  return cols;
}

bool is_decimal(std::string_view v) {
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) v.remove_prefix(1);
  bool digits = false, dot = false;
  std::size_t i = 0;
  for (; i < v.size(); ++i) {
    const char c = v[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digits) return false;
  if (i == v.size()) return true;
  if (v[i] != 'e' && v[i] != 'E') return false;
  ++i;
  if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
  return i < v.size() && std::all_of(v.begin() + static_cast<long>(i), v.end(),
                                     [](char c) { return c >= '0' && c <= '9'; });
}

// ------------------------------------------------------------------ binary COPY

namespace {

void put16(std::string& out, std::uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 2);
}
void put32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}
void put64(std::string& out, std::uint64_t v) {
  put32(out, static_cast<std::uint32_t>(v >> 32));
  put32(out, static_cast<std::uint32_t>(v));
}

}  // namespace

void copy_binary_header(std::string& out) {
  out.append("PGCOPY\n\377\r\n\0", 11);
  put32(out, 0);  // flags
  put32(out, 0);  // header extension length
}

void copy_binary_trailer(std::string& out) { put16(out, 0xFFFF); }

void append_row_start(std::string& out, int fields) {
  put16(out, static_cast<std::uint16_t>(fields));
}

void append_null(std::string& out) { put32(out, 0xFFFFFFFF); }

void append_bigint(std::string& out, std::int64_t v) {
  put32(out, 8);
  put64(out, static_cast<std::uint64_t>(v));
}

void append_text(std::string& out, std::string_view v) {
  put32(out, static_cast<std::uint32_t>(v.size()));
  out.append(v);
}

bool append_numeric(std::string& out, std::string_view v) {
  if (!is_decimal(v)) return false;
  bool negative = false;
  if (v[0] == '-' || v[0] == '+') {
    negative = v[0] == '-';
    v.remove_prefix(1);
  }
  // The significant digits without the point, and how many of them come
  // before it (negative: zeros between the point and the first of them).
  char digits[64];
  int n = 0, before_point = 0, fraction = 0;
  bool seen_point = false;
  std::size_t i = 0;
  for (; i < v.size() && v[i] != 'e' && v[i] != 'E'; ++i) {
    if (v[i] == '.') {
      seen_point = true;
      continue;
    }
    if (seen_point) {
      ++fraction;
    } else {
      ++before_point;
    }
    if (n == 0 && v[i] == '0') {  // a leading zero: only moves the first digit
      --before_point;
      continue;
    }
    if (n == static_cast<int>(sizeof digits)) return false;
    digits[n++] = v[i];
  }
  int exponent = 0;
  if (i < v.size()) {
    const char* first = v.data() + i + 1;
    if (*first == '+') ++first;
    const auto r = std::from_chars(first, v.data() + v.size(), exponent);
    if (r.ec != std::errc() || exponent > 1000 || exponent < -1000) return false;
  }
  const int ints = before_point + exponent;  // digits before the point
  const int dscale = std::max(0, fraction - exponent);
  while (n > 0 && digits[n - 1] == '0') --n;
  if (n == 0) {  // zero, at its scale
    put32(out, 8);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    put16(out, static_cast<std::uint16_t>(dscale));
    return true;
  }
  // Base-10000 groups aligned on the point: the first digit's power of ten
  // is ints - 1, in group floor((ints - 1) / 4).
  const int top = ints - 1;
  const int weight = top >= 0 ? top / 4 : -((-top + 3) / 4);
  const int pad = 3 - (top - 4 * weight);
  const int groups = (pad + n + 3) / 4;
  put32(out, static_cast<std::uint32_t>(8 + 2 * groups));
  put16(out, static_cast<std::uint16_t>(groups));
  put16(out, static_cast<std::uint16_t>(static_cast<std::int16_t>(weight)));
  put16(out, negative ? 0x4000 : 0x0000);
  put16(out, static_cast<std::uint16_t>(dscale));
  for (int g = 0; g < groups; ++g) {
    int group = 0;
    for (int k = 0; k < 4; ++k) {
      const int at = g * 4 + k - pad;  // index into digits
      group = group * 10 + (at >= 0 && at < n ? digits[at] - '0' : 0);
    }
    put16(out, static_cast<std::uint16_t>(group));
  }
  return true;
}

bool append_typed(std::string& out, ColType type, std::string_view v) {
  switch (type) {
    case ColType::text:
      append_text(out, v);
      return true;
    case ColType::numeric:
      return append_numeric(out, v);
    case ColType::bigint: {
      // Any int64 (nanosecond times take 19 digits); past its range, NULL.
      std::int64_t x = 0;
      const auto r = std::from_chars(v.data(), v.data() + v.size(), x);
      if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) return false;
      append_bigint(out, x);
      return true;
    }
    case ColType::boolean:
      if (v != "true" && v != "false") return false;
      put32(out, 1);
      out += v == "true" ? '\1' : '\0';
      return true;
    case ColType::real: {
      double x = 0;
      if (!is_decimal(v)) return false;
      if (v[0] == '+') v.remove_prefix(1);
      if (std::from_chars(v.data(), v.data() + v.size(), x).ec != std::errc()) return false;
      put32(out, 8);
      put64(out, std::bit_cast<std::uint64_t>(x));
      return true;
    }
  }
  return false;
}

// ------------------------------------------------------------------ libpq RAII

std::string conn_error(PGconn* c) {
  std::string e = c ? PQerrorMessage(c) : "out of memory";
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  for (auto& ch : e) {
    if (ch == '\n') ch = ' ';
  }
  return e;
}

Result<Conn> connect(const std::string& url) {
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {url.c_str(), "5", "ot-store", nullptr};
  Conn c(PQconnectdbParams(keys, values, 1));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    return Error(ErrorCode::unavailable, "cannot connect to the database: " + conn_error(c.get()));
  }
  // Quiet notices ("relation already exists, skipping").
  PQsetNoticeProcessor(
      c.get(), [](void*, const char*) {}, nullptr);
  return c;
}

Result<> exec(PGconn* c, const std::string& sql, const std::vector<std::string>& params,
              ExecStatusType want, ResultPtr* keep, std::string* state) {
  if (state) state->clear();
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  ResultPtr r(PQexecParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr,
                           values.empty() ? nullptr : values.data(), nullptr, nullptr, 0));
  const ExecStatusType got = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (got != want) {
    std::string error = conn_error(c);
    if (const char* code = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
        code != nullptr && state != nullptr) {
      *state = code;
    }
    if (r && PQresultErrorMessage(r.get())[0] != '\0') {
      error = PQresultErrorMessage(r.get());
      while (!error.empty() && error.back() == '\n') error.pop_back();
      for (auto& ch : error) {
        if (ch == '\n' || ch == '\t') ch = ' ';
      }
    }
    // A statement refused on a live connection; a lost connection is an outage.
    return Error(PQstatus(c) == CONNECTION_OK ? ErrorCode::refused : ErrorCode::unavailable,
                 std::move(error));
  }
  if (keep) *keep = std::move(r);
  return {};
}

std::string array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

std::string q(const std::string& schema, std::string_view table) {
  return ident(schema) + "." + ident(table);
}

Result<bool> ensure_schema(PGconn* c, const std::string& schema) {
  if (auto r = exec(c, "CREATE SCHEMA IF NOT EXISTS " + ident(schema)); !r) return r.error();
  // TimescaleDB when it is installed and loadable; native partitions else.
  ResultPtr available;
  bool timescale = false;
  if (exec(c, "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'", {},
           PGRES_TUPLES_OK, &available) &&
      PQntuples(available.get()) == 1) {
    (void)exec(c, "SAVEPOINT ts");
    timescale = exec(c, "CREATE EXTENSION IF NOT EXISTS timescaledb").ok();
    if (!timescale) (void)exec(c, "ROLLBACK TO SAVEPOINT ts");
  }
  // The statements in order, each a command or, with `rows`, a query.
  std::vector<std::pair<std::string, bool>> statements;
  if (timescale) {
    statements.emplace_back("CREATE OR REPLACE FUNCTION " + q(schema, "now_ns") +
                                "() RETURNS bigint LANGUAGE sql STABLE AS "
                                "$$ SELECT (extract(epoch FROM now()) * 1000000000)::bigint $$",
                            false);
  }
  for (const auto& t : tables()) {
    std::string cols =
        "time bigint NOT NULL, seq bigint NOT NULL, venue text NOT NULL, symbol text NOT NULL, "
        "digest bigint NOT NULL, event text NOT NULL";
    for (const auto& col : t.columns) cols += ", " + ident(col.name) + " " + sql_type(col.type);
    const std::string name = q(schema, t.name);
    std::string sql = "CREATE TABLE IF NOT EXISTS " + name + " (" + cols + ")";
    if (!timescale) sql += " PARTITION BY RANGE (time)";
    statements.emplace_back(std::move(sql), false);
    statements.emplace_back("CREATE UNIQUE INDEX IF NOT EXISTS " +
                                ident(std::string(t.name) + "_key") + " ON " + name +
                                " (time, venue, symbol, digest)",
                            false);
    if (!timescale) continue;
    const std::string lit = "'" + schema + "." + t.name + "'";
    statements.emplace_back("SELECT create_hypertable(" + lit +
                                "::regclass, 'time', chunk_time_interval => 86400000000000, "
                                "if_not_exists => true)",
                            true);
    statements.emplace_back("SELECT set_integer_now_func(" + lit + "::regclass, '" + schema +
                                ".now_ns'::regproc, replace_if_exists => true)",
                            true);
    statements.emplace_back("ALTER TABLE " + name +
                                " SET (timescaledb.compress, timescaledb.compress_segmentby = "
                                "'venue, symbol', timescaledb.compress_orderby = 'time, seq')",
                            false);
    statements.emplace_back("SELECT add_compression_policy(" + lit +
                                "::regclass, compress_after => 604800000000000::bigint, "
                                "if_not_exists => true)",
                            true);
  }
  for (const auto& [sql, rows] : statements) {
    if (auto r = exec(c, sql, {}, rows ? PGRES_TUPLES_OK : PGRES_COMMAND_OK); !r) return r.error();
  }
  return timescale;
}

}  // namespace pg

std::string_view pg_table_for(std::string_view type) {
  for (const auto& t : pg::tables()) {
    if (type == t.name && type != "other") return t.name;
  }
  return "other";
}

}  // namespace ot
