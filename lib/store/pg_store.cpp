#include "store/pg_store.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "core/json_in.h"
#include "io/input.h"
#include "store/file_store.h"

namespace fs = std::filesystem;

namespace ot {
namespace {

constexpr Nanos kDay = 86'400'000'000'000LL;

// ------------------------------------------------------------------ schema

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

bool is_integer(std::string_view v) {
  if (!v.empty() && v[0] == '-') v.remove_prefix(1);
  return !v.empty() && v.size() <= 18 &&
         std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
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

// ------------------------------------------------------------------ libpq RAII

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string conn_error(PGconn* c) {
  std::string e = c ? PQerrorMessage(c) : "out of memory";
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  for (auto& ch : e) {
    if (ch == '\n') ch = ' ';
  }
  return e;
}

Conn connect(const std::string& url, std::string& error) {
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {url.c_str(), "5", "ot-store", nullptr};
  Conn c(PQconnectdbParams(keys, values, 1));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    error = "cannot connect to the database: " + conn_error(c.get());
    return nullptr;
  }
  // Quiet notices ("relation already exists, skipping").
  PQsetNoticeProcessor(
      c.get(), [](void*, const char*) {}, nullptr);
  return c;
}

// Runs one statement (PQexecParams, text parameters). False and `error`
// unless it returns `want`.
bool exec(PGconn* c, const std::string& sql, std::string& error,
          const std::vector<std::string>& params = {}, ExecStatusType want = PGRES_COMMAND_OK,
          Result* keep = nullptr) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  Result r(PQexecParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr,
                        values.empty() ? nullptr : values.data(), nullptr, nullptr, 0));
  const ExecStatusType got = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (got != want) {
    error = conn_error(c);
    if (r && PQresultErrorMessage(r.get())[0] != '\0') {
      error = PQresultErrorMessage(r.get());
      while (!error.empty() && error.back() == '\n') error.pop_back();
      for (auto& ch : error) {
        if (ch == '\n' || ch == '\t') ch = ' ';
      }
    }
    return false;
  }
  if (keep) *keep = std::move(r);
  return true;
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

bool ensure_schema(PGconn* c, const std::string& schema, bool& timescale, std::string& error) {
  if (!exec(c, "CREATE SCHEMA IF NOT EXISTS " + ident(schema), error)) return false;
  // TimescaleDB when it is installed and loadable; native partitions else.
  Result r;
  timescale = false;
  if (exec(c, "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'", error, {},
           PGRES_TUPLES_OK, &r) &&
      PQntuples(r.get()) == 1) {
    std::string ignored;
    exec(c, "SAVEPOINT ts", ignored);
    timescale = exec(c, "CREATE EXTENSION IF NOT EXISTS timescaledb", ignored);
    if (!timescale) exec(c, "ROLLBACK TO SAVEPOINT ts", ignored);
  }
  if (timescale && !exec(c,
                         "CREATE OR REPLACE FUNCTION " + q(schema, "now_ns") +
                             "() RETURNS bigint LANGUAGE sql STABLE AS "
                             "$$ SELECT (extract(epoch FROM now()) * 1000000000)::bigint $$",
                         error)) {
    return false;
  }
  for (const auto& t : tables()) {
    std::string cols =
        "time bigint NOT NULL, seq bigint NOT NULL, venue text NOT NULL, symbol text NOT NULL, "
        "digest bigint NOT NULL, event text NOT NULL";
    for (const auto& col : t.columns) cols += ", " + ident(col.name) + " " + sql_type(col.type);
    const std::string name = q(schema, t.name);
    std::string sql = "CREATE TABLE IF NOT EXISTS " + name + " (" + cols + ")";
    if (!timescale) sql += " PARTITION BY RANGE (time)";
    if (!exec(c, sql, error)) return false;
    if (!exec(c,
              "CREATE UNIQUE INDEX IF NOT EXISTS " + ident(std::string(t.name) + "_key") + " ON " +
                  name + " (time, venue, symbol, digest)",
              error)) {
      return false;
    }
    if (timescale) {
      const std::string lit = "'" + schema + "." + t.name + "'";
      if (!exec(c,
                "SELECT create_hypertable(" + lit +
                    "::regclass, 'time', chunk_time_interval => 86400000000000, "
                    "if_not_exists => true)",
                error, {}, PGRES_TUPLES_OK) ||
          !exec(c,
                "SELECT set_integer_now_func(" + lit + "::regclass, '" + schema +
                    ".now_ns'::regproc, replace_if_exists => true)",
                error, {}, PGRES_TUPLES_OK) ||
          !exec(c,
                "ALTER TABLE " + name +
                    " SET (timescaledb.compress, timescaledb.compress_segmentby = "
                    "'venue, symbol', timescaledb.compress_orderby = 'time, seq')",
                error) ||
          !exec(c,
                "SELECT add_compression_policy(" + lit +
                    "::regclass, compress_after => 604800000000000::bigint, "
                    "if_not_exists => true)",
                error, {}, PGRES_TUPLES_OK)) {
        return false;
      }
    }
  }
  return true;
}

std::string default_spool(const PgOptions& o) {
  std::string base;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) {
    base = x;
  } else {
    const char* home = std::getenv("HOME");
    base = std::string(home && *home ? home : ".") + "/.local/state";
  }
  char h[17];
  std::snprintf(h, sizeof h, "%016llx", static_cast<unsigned long long>(fnv1a64(o.url)));
  return base + "/optitrade/spool/" + encode_name(o.schema) + "-" + h;
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// ------------------------------------------------------------------ sink

// A queued record: "<time> <seq> <venue>\t<symbol>\t<type>\t<line>", the
// spool's line format too.
struct QueuedRecord {
  Nanos time = 0;
  std::uint64_t seq = 0;
  std::string_view venue, symbol, type, line;
};

bool parse_queued(std::string_view rec, QueuedRecord& r) {
  const char* p = rec.data();
  const char* end = p + rec.size();
  auto a = std::from_chars(p, end, r.time);
  if (a.ec != std::errc() || a.ptr == end || *a.ptr != ' ') return false;
  auto b = std::from_chars(a.ptr + 1, end, r.seq);
  if (b.ec != std::errc() || b.ptr == end || *b.ptr != ' ') return false;
  std::string_view rest(b.ptr + 1, static_cast<std::size_t>(end - b.ptr - 1));
  std::string_view* parts[3] = {&r.venue, &r.symbol, &r.type};
  for (auto* part : parts) {
    const std::size_t tab = rest.find('\t');
    if (tab == std::string_view::npos) return false;
    *part = rest.substr(0, tab);
    rest.remove_prefix(tab + 1);
  }
  r.line = rest;
  return true;
}

class PgSink final : public RecordSink {
 public:
  PgSink(PgOptions o, Diagnostics& diag) : opt_(std::move(o)), diag_(diag) {
    if (opt_.spool_dir.empty()) opt_.spool_dir = default_spool(opt_);
    seq_ = static_cast<std::uint64_t>(now_ns());
  }
  ~PgSink() override {
    if (spool_fd_ >= 0) ::close(spool_fd_);
  }

  bool start(std::string& error) {
    std::error_code ec;
    fs::create_directories(opt_.spool_dir, ec);
    if (ec) {
      error = "cannot create the spool directory " + opt_.spool_dir + ": " + ec.message();
      return false;
    }
    try_connect(true);
    if (conn_ == nullptr && !last_error_.empty() && fatal_) {
      error = last_error_;
      return false;
    }
    return true;
  }

  bool append(const RecordKey& key, std::string_view line, std::string&) override {
    const std::size_t before = queue_.size();
    append_record_prefix(queue_, key.time, seq_++);
    queue_.append(key.venue.empty() ? std::string_view("_") : key.venue);
    queue_ += '\t';
    queue_.append(key.symbol.empty() ? std::string_view("_") : key.symbol);
    queue_ += '\t';
    queue_.append(key.type);
    queue_ += '\t';
    queue_.append(line);
    queue_ += '\n';
    pending_ += queue_.size() - before;
    return true;
  }

  std::size_t pending_bytes() const override { return pending_; }

  bool flush(std::string& error) override {
    if (queue_.empty() && !spooled_) return true;
    if (!conn_) try_connect(false);
    if (conn_ && spooled_ && !drain()) drop_connection();
    if (conn_ && !spooled_ && !queue_.empty()) {
      if (!insert(queue_)) {
        if (fatal_) {
          error = last_error_;
          return false;
        }
        drop_connection();
      }
      if (conn_) clear_queue();
    }
    if (!queue_.empty()) {
      if (!spool(error)) return false;
      clear_queue();
    }
    return true;
  }

  bool close(std::string& error) override {
    if (!flush(error)) return false;
    const Nanos deadline = now_ns() + static_cast<Nanos>(opt_.drain_wait_s) * 1'000'000'000LL;
    while (spooled_) {
      if (now_ns() > deadline) {
        error = "the database is unreachable (" + last_error_ + "); " +
                std::to_string(spooled_records_) + " records wait in " + opt_.spool_dir +
                " and go in at the next run";
        return false;
      }
      next_attempt_ = 0;
      if (!flush(error)) return false;
      if (spooled_) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (spool_fd_ >= 0) ::close(spool_fd_);
    spool_fd_ = -1;
    return true;
  }

 private:
  void clear_queue() {
    queue_.clear();
    pending_ = 0;
  }

  void drop_connection() {
    if (conn_)
      diag_.warning(
          "", "database connection lost (" + last_error_ + "); spooling to " + opt_.spool_dir);
    conn_.reset();
    staged_ = false;
    next_attempt_ = now_ns() + backoff_;
    backoff_ = std::min<Nanos>(backoff_ * 2, 5'000'000'000LL);
  }

  void try_connect(bool first) {
    if (!first && now_ns() < next_attempt_) return;
    std::string error;
    Conn c = connect(opt_.url, error);
    if (!c) {
      if (first || last_error_ != error) {
        diag_.warning("", error + "; spooling to " + opt_.spool_dir);
      }
      last_error_ = error;
      next_attempt_ = now_ns() + backoff_;
      backoff_ = std::min<Nanos>(backoff_ * 2, 5'000'000'000LL);
      return;
    }
    if (!ensure_schema(c.get(), opt_.schema, timescale_, error)) {
      last_error_ = "cannot set up schema " + opt_.schema + ": " + error;
      if (PQstatus(c.get()) == CONNECTION_OK) fatal_ = true;
      return;
    }
    if (!first) diag_.warning("", "database connection back; draining the spool");
    conn_ = std::move(c);
    backoff_ = 200'000'000;
    // Spool files left by an earlier run or an outage drain first.
    spooled_ = spooled_ || !spool_files().empty();
  }

  bool stage() {
    if (staged_) return true;
    for (const auto& t : tables()) {
      if (!exec(conn_.get(),
                "CREATE TEMP TABLE IF NOT EXISTS " + ident(std::string("stage_") + t.name) +
                    " (LIKE " + q(opt_.schema, t.name) + ") ON COMMIT DELETE ROWS",
                last_error_)) {
        return false;
      }
    }
    staged_ = true;
    return true;
  }

  // Builds the COPY rows of `records` (queued-record lines) per table.
  bool build_rows(std::string_view records, std::map<std::string, std::string>& rows,
                  std::set<std::pair<std::string, Nanos>>& days) {
    std::size_t pos = 0;
    QueuedRecord r;
    while (pos < records.size()) {
      std::size_t nl = records.find('\n', pos);
      if (nl == std::string_view::npos) break;  // a torn spool tail
      const std::string_view rec = records.substr(pos, nl - pos);
      pos = nl + 1;
      if (!parse_queued(rec, r)) {
        diag_.error(opt_.spool_dir, "skipping a malformed spooled record");
        continue;
      }
      const std::string_view tname = pg_table_for(r.type);
      const Table& t = table_named(tname);
      std::string& out = rows[t.name];
      char num[32];
      out.append(num, std::to_chars(num, num + sizeof num, r.time).ptr);
      out += '\t';
      out.append(num, std::to_chars(num, num + sizeof num, r.seq).ptr);
      out += '\t';
      copy_escape(r.venue, out);
      out += '\t';
      copy_escape(r.symbol, out);
      out += '\t';
      out.append(
          num,
          std::to_chars(num, num + sizeof num, static_cast<std::int64_t>(fnv1a64(r.line))).ptr);
      out += '\t';
      copy_escape(r.line, out);
      typed_columns(t, r, out);
      out += '\n';
      const Nanos day = (r.time >= 0 ? r.time / kDay : (r.time - kDay + 1) / kDay) * kDay;
      days.emplace(t.name, day);
    }
    return true;
  }

  // The table's typed columns from the event's fields (NULL when absent or
  // not of the column's type).
  void typed_columns(const Table& t, const QueuedRecord& r, std::string& out) {
    if (t.columns.empty()) return;
    values_.assign(t.columns.size(), std::nullopt);
    if (std::string_view(t.name) == "other") {
      values_[0] = r.type;
    } else {
      padded_.assign(r.line);
      padded_.append(kLinePadding, '\0');
      try {
        auto doc = parser_.iterate(
            simdjson::padded_string_view(padded_.data(), r.line.size(), padded_.size()));
        for (auto field : doc.get_object()) {
          const std::string_view k = field.unescaped_key();
          for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (k != t.columns[i].key) continue;
            auto v = field.value();
            const simdjson::ondemand::json_type jt = v.type().value();
            if (jt == simdjson::ondemand::json_type::string) {
              values_[i] = std::string_view(v.get_string().value());
            } else if (jt == simdjson::ondemand::json_type::number ||
                       jt == simdjson::ondemand::json_type::boolean) {
              values_[i] = trim_raw(v.raw_json_token());
            }
            break;
          }
        }
      } catch (const simdjson::simdjson_error&) {
        // Leaves what was found; the event text is stored whole anyway.
      }
    }
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      out += '\t';
      const auto& v = values_[i];
      bool ok = v.has_value();
      if (ok) {
        switch (t.columns[i].type) {
          case ColType::numeric:
          case ColType::real:
            ok = is_decimal(*v);
            break;
          case ColType::bigint:
            ok = is_integer(*v);
            break;
          case ColType::boolean:
            ok = *v == "true" || *v == "false";
            break;
          case ColType::text:
            break;
        }
      }
      if (ok) {
        copy_escape(*v, out);
      } else {
        out += "\\N";
      }
    }
  }

  static std::string_view trim_raw(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' ||
                          s.back() == '\t' || s.back() == ',' || s.back() == '}'))
      s.remove_suffix(1);
    return s;
  }

  // One transaction: partitions, COPY into staging, move without duplicates.
  bool insert(std::string_view records) {
    std::map<std::string, std::string> rows;
    std::set<std::pair<std::string, Nanos>> days;
    build_rows(records, rows, days);
    if (rows.empty()) return true;
    PGconn* c = conn_.get();
    if (!stage() || !exec(c, "BEGIN", last_error_)) return classify();
    if (!timescale_) {
      for (const auto& [table, day] : days) {
        const std::string part = table + "_" + utc_day(day).replace(4, 1, "").replace(6, 1, "");
        if (partitions_.count(part)) continue;
        if (!exec(c,
                  "CREATE TABLE IF NOT EXISTS " + q(opt_.schema, part) + " PARTITION OF " +
                      q(opt_.schema, table) + " FOR VALUES FROM (" + std::to_string(day) +
                      ") TO (" + std::to_string(day + kDay) + ")",
                  last_error_)) {
          return classify();
        }
        new_partitions_.push_back(part);
      }
    }
    for (const auto& [table, data] : rows) {
      const Table& t = table_named(table);
      const std::string cols = column_list(t);
      const std::string stage_name = ident(std::string("stage_") + t.name);
      if (!exec(c, "COPY " + stage_name + " (" + cols + ") FROM STDIN", last_error_, {},
                PGRES_COPY_IN)) {
        return classify();
      }
      if (PQputCopyData(c, data.data(), static_cast<int>(data.size())) != 1 ||
          PQputCopyEnd(c, nullptr) != 1) {
        last_error_ = conn_error(c);
        return classify();
      }
      Result r(PQgetResult(c));
      if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        last_error_ = r ? PQresultErrorMessage(r.get()) : conn_error(c);
        while (PGresult* more = PQgetResult(c)) PQclear(more);
        return classify();
      }
      while (PGresult* more = PQgetResult(c)) PQclear(more);
      if (!exec(c,
                "INSERT INTO " + q(opt_.schema, t.name) + " (" + cols + ") SELECT " + cols +
                    " FROM " + stage_name + " ON CONFLICT DO NOTHING",
                last_error_)) {
        return classify();
      }
    }
    if (!exec(c, "COMMIT", last_error_)) return classify();
    for (auto& p : new_partitions_) partitions_.insert(std::move(p));
    new_partitions_.clear();
    return true;
  }

  // After a failure: a lost connection is an outage (spool and retry);
  // anything else is fatal.
  bool classify() {
    new_partitions_.clear();
    while (!last_error_.empty() && last_error_.back() == '\n') last_error_.pop_back();
    if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) {
      std::string ignored;
      exec(conn_.get(), "ROLLBACK", ignored);
      if (PQstatus(conn_.get()) == CONNECTION_OK) fatal_ = true;
    }
    return false;
  }

  std::vector<std::string> spool_files() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(opt_.spool_dir, ec)) {
      const std::string n = e.path().filename().string();
      if (n.starts_with("spool-") && n.ends_with(".ndjson")) out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  bool spool(std::string& error) {
    if (spool_fd_ < 0) {
      auto files = spool_files();
      std::uint64_t n = 1;
      if (!files.empty()) {
        const std::string last = fs::path(files.back()).filename().string();
        n = std::strtoull(last.c_str() + 6, nullptr, 10) + 1;
      }
      char name[40];
      std::snprintf(name, sizeof name, "spool-%012llu.ndjson", static_cast<unsigned long long>(n));
      const std::string path = opt_.spool_dir + "/" + name;
      spool_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (spool_fd_ < 0) {
        error = "cannot open the spool " + path + ": " + std::strerror(errno);
        return false;
      }
    }
    if (!write_all(spool_fd_, queue_.data(), queue_.size()) || ::fdatasync(spool_fd_) != 0) {
      error = "cannot write the spool in " + opt_.spool_dir + ": " + std::strerror(errno);
      return false;
    }
    spooled_ = true;
    spooled_records_ += static_cast<std::uint64_t>(std::count(queue_.begin(), queue_.end(), '\n'));
    return true;
  }

  // Inserts every spool file, oldest first, removing each once committed.
  bool drain() {
    if (spool_fd_ >= 0) {
      ::close(spool_fd_);
      spool_fd_ = -1;
    }
    for (const auto& path : spool_files()) {
      std::string data;
      {
        auto in = open_input(path, last_error_);
        if (!in) return false;
        std::string_view line;
        // Batches of about 16 MiB, each its own transaction.
        while (in->next(line)) {
          data.append(line);
          data += '\n';
          if (data.size() >= (16u << 20)) {
            if (!insert(data)) return false;
            data.clear();
          }
        }
      }
      if (!data.empty() && !insert(data)) return false;
      ::unlink(path.c_str());
    }
    spooled_ = false;
    spooled_records_ = 0;
    return true;
  }

  PgOptions opt_;
  Diagnostics& diag_;
  Conn conn_;
  bool timescale_ = false;
  bool staged_ = false;
  bool fatal_ = false;
  bool spooled_ = false;
  std::uint64_t spooled_records_ = 0;
  int spool_fd_ = -1;
  std::string queue_;
  std::size_t pending_ = 0;
  std::uint64_t seq_ = 0;
  Nanos next_attempt_ = 0;
  Nanos backoff_ = 200'000'000;
  std::string last_error_;
  std::set<std::string> partitions_;
  std::vector<std::string> new_partitions_;
  simdjson::ondemand::parser parser_;
  std::string padded_;
  // Views into the record or the parser's buffer, used before the next parse.
  std::vector<std::optional<std::string_view>> values_;
};

// ------------------------------------------------------------------ reading

// The WHERE clause and parameters of a filter over one table.
std::string where_clause(const StoreFilter& f, const Table& t, std::vector<std::string>& params) {
  std::vector<std::string> conds;
  auto param = [&](std::string v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  if (!f.venues.empty())
    conds.push_back("venue = ANY(" + param(array_literal(f.venues)) + "::text[])");
  if (!f.symbols.empty()) {
    std::string c = "symbol = ANY(" + param(array_literal(f.symbols)) + "::text[])";
    if (f.raw) c = "(" + c + " OR symbol = '_')";
    conds.push_back(c);
  }
  if (std::string_view(t.name) == "other" && !f.types.empty()) {
    conds.push_back("type = ANY(" + param(array_literal(f.types)) + "::text[])");
  }
  if (f.from) conds.push_back("time >= " + param(std::to_string(*f.from)) + "::bigint");
  if (f.to) conds.push_back("time <= " + param(std::to_string(*f.to)) + "::bigint");
  std::string out;
  for (std::size_t i = 0; i < conds.size(); ++i) out += (i ? " AND " : " WHERE ") + conds[i];
  return out;
}

// Tables that exist and can hold types matching the filter.
std::vector<const Table*> selected_tables(PGconn* c, const std::string& schema,
                                          const StoreFilter& f, std::string& error) {
  std::vector<const Table*> out;
  for (const auto& t : tables()) {
    const std::string_view name = t.name;
    if (name == "other") {
      const bool any_other =
          f.types.empty() || std::any_of(f.types.begin(), f.types.end(), [](const auto& ty) {
            return pg_table_for(ty) == "other";
          });
      if (!any_other) continue;
    } else if (!f.types.empty() &&
               std::find(f.types.begin(), f.types.end(), name) == f.types.end()) {
      continue;
    }
    Result r;
    if (!exec(c, "SELECT to_regclass($1)", error, {schema + "." + std::string(name)},
              PGRES_TUPLES_OK, &r)) {
      return {};
    }
    if (!PQgetisnull(r.get(), 0, 0)) out.push_back(&t);
  }
  return out;
}

class PgSource final : public RecordSource {
 public:
  bool open(const PgOptions& o, const StoreFilter& f, std::string& error) {
    conn_ = connect(o.url, error);
    if (!conn_) return false;
    auto selected = selected_tables(conn_.get(), o.schema, f, error);
    if (!error.empty()) return false;
    if (selected.empty()) return true;
    std::string sql;
    std::vector<std::string> params;
    for (const Table* t : selected) {
      if (!sql.empty()) sql += " UNION ALL ";
      const std::string type_expr =
          std::string_view(t->name) == "other" ? "type" : "'" + std::string(t->name) + "'::text";
      sql += "SELECT time, seq, venue, symbol, " + type_expr + " AS type, event FROM " +
             q(o.schema, t->name) + where_clause(f, *t, params);
    }
    Result r;
    if (!exec(conn_.get(), "SELECT DISTINCT venue FROM (" + sql + ") s", error, params,
              PGRES_TUPLES_OK, &r)) {
      return false;
    }
    for (int i = 0; i < PQntuples(r.get()); ++i) venues_.emplace_back(PQgetvalue(r.get(), i, 0));
    if (!exec(conn_.get(), "BEGIN READ ONLY", error) ||
        !exec(conn_.get(), "DECLARE records NO SCROLL CURSOR FOR " + sql + " ORDER BY time, seq",
              error, params)) {
      return false;
    }
    open_ = true;
    return true;
  }

  bool next(StoredRecord& r) override {
    if (!open_) return false;
    if (row_ >= rows_) {
      if (!exec(conn_.get(), "FETCH FORWARD 20000 FROM records", error_, {}, PGRES_TUPLES_OK,
                &batch_)) {
        open_ = false;
        return false;
      }
      row_ = 0;
      rows_ = PQntuples(batch_.get());
      if (rows_ == 0) {
        open_ = false;
        std::string ignored;
        exec(conn_.get(), "COMMIT", ignored);
        return false;
      }
    }
    PGresult* b = batch_.get();
    r.time = std::strtoll(PQgetvalue(b, row_, 0), nullptr, 10);
    r.seq = std::strtoull(PQgetvalue(b, row_, 1), nullptr, 10);
    r.venue = std::string_view(PQgetvalue(b, row_, 2), PQgetlength(b, row_, 2));
    r.symbol = std::string_view(PQgetvalue(b, row_, 3), PQgetlength(b, row_, 3));
    r.type = std::string_view(PQgetvalue(b, row_, 4), PQgetlength(b, row_, 4));
    r.line = std::string_view(PQgetvalue(b, row_, 5), PQgetlength(b, row_, 5));
    ++row_;
    return true;
  }

  const std::string& error() const override { return error_; }
  std::vector<std::string> venues() const override { return venues_; }

 private:
  Conn conn_;
  Result batch_;
  int row_ = 0, rows_ = 0;
  bool open_ = false;
  std::string error_;
  std::vector<std::string> venues_;
};

}  // namespace

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

void copy_escape(std::string_view v, std::string& out) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

std::string_view pg_table_for(std::string_view type) {
  for (const auto& t : tables()) {
    if (type == t.name && type != "other") return t.name;
  }
  return "other";
}

std::unique_ptr<RecordSink> open_pg_sink(const PgOptions& options, Diagnostics& diag,
                                         std::string& error) {
  auto sink = std::make_unique<PgSink>(options, diag);
  if (!sink->start(error)) return nullptr;
  return sink;
}

std::unique_ptr<RecordSource> open_pg_source(const PgOptions& options, const StoreFilter& filter,
                                             std::string& error) {
  auto source = std::make_unique<PgSource>();
  if (!source->open(options, filter, error)) return nullptr;
  return source;
}

bool list_pg(const PgOptions& options, const StoreFilter& filter, std::vector<StoredSeries>& out,
             std::string& error) {
  Conn c = connect(options.url, error);
  if (!c) return false;
  auto selected = selected_tables(c.get(), options.schema, filter, error);
  if (!error.empty()) return false;
  for (const Table* t : selected) {
    std::vector<std::string> params;
    const std::string type_expr =
        std::string_view(t->name) == "other" ? "type" : "'" + std::string(t->name) + "'::text";
    Result r;
    if (!exec(c.get(),
              "SELECT venue, symbol, " + type_expr +
                  ", count(*), min(time), max(time), count(DISTINCT time / 86400000000000), "
                  "sum(pg_column_size(t.*)), sum(octet_length(event) + 1) FROM " +
                  q(options.schema, t->name) + " t" + where_clause(filter, *t, params) +
                  " GROUP BY 1, 2, 3",
              error, params, PGRES_TUPLES_OK, &r)) {
      return false;
    }
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      StoredSeries s;
      s.venue = PQgetvalue(r.get(), i, 0);
      s.symbol = PQgetvalue(r.get(), i, 1);
      s.type = PQgetvalue(r.get(), i, 2);
      s.records = std::strtoull(PQgetvalue(r.get(), i, 3), nullptr, 10);
      s.first = std::strtoll(PQgetvalue(r.get(), i, 4), nullptr, 10);
      s.last = std::strtoll(PQgetvalue(r.get(), i, 5), nullptr, 10);
      s.days = std::strtoull(PQgetvalue(r.get(), i, 6), nullptr, 10);
      s.bytes = std::strtoull(PQgetvalue(r.get(), i, 7), nullptr, 10);
      s.raw_bytes = std::strtoull(PQgetvalue(r.get(), i, 8), nullptr, 10);
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.venue, a.symbol, a.type) < std::tie(b.venue, b.symbol, b.type);
  });
  return true;
}

}  // namespace ot
