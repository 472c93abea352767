// The PostgreSQL sink: batches, COPY into staging, the spool (pg_store.h).
#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>
#include <utility>

#include "core/json_in.h"
#include "io/input.h"
#include "io/output.h"
#include "store/file_store.h"
#include "store/pg_schema.h"
#include "store/pg_store.h"

namespace fs = std::filesystem;

namespace ot {
namespace {

using namespace pg;

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
    if (worker_.joinable()) worker_.join();
    if (spool_fd_ >= 0) ::close(spool_fd_);
  }

  Result<> start() {
    std::error_code ec;
    fs::create_directories(opt_.spool_dir, ec);
    if (ec) {
      return Error(ErrorCode::io_error,
                   "cannot create the spool directory " + opt_.spool_dir + ": " + ec.message());
    }
    try_connect(true);
    report_notes();
    // Unreachable is no error (the records spool); a refused schema is.
    if (conn_ == nullptr && !last_error_.empty() && fatal_) {
      return Error(ErrorCode::refused, last_error_);
    }
    return {};
  }

  Result<> append(const RecordKey& key, std::string_view line) override {
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
    return {};
  }

  std::size_t pending_bytes() const override { return pending_; }

  // The batch queued so far is committed on a thread of its own while the
  // next one is queued (the COPY rows made, the server taking them in);
  // the next call waits for it first.
  Result<> start_flush() override {
    if (auto done = finish_batch(); !done) return done;
    if (queue_.empty() && !spooled_) return {};
    batch_.swap(queue_);
    clear_queue();
    worker_ = std::thread([this] { batch_result_ = commit(batch_); });
    return {};
  }

  Result<> flush() override {
    if (auto done = finish_batch(); !done) return done;
    auto r = commit(queue_);
    clear_queue();
    report_notes();
    return r;
  }

  Result<> close() override {
    if (auto flushed = flush(); !flushed) return flushed;
    const Nanos deadline = now_ns() + static_cast<Nanos>(opt_.drain_wait_s) * 1'000'000'000LL;
    while (spooled_) {
      if (now_ns() > deadline) {
        return Error(ErrorCode::unavailable, "the database is unreachable (" + last_error_ + "); " +
                                                 std::to_string(spooled_records_) +
                                                 " records wait in " + opt_.spool_dir +
                                                 " and go in at the next run");
      }
      next_attempt_ = 0;
      if (auto flushed = flush(); !flushed) return flushed;
      if (spooled_) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (spool_fd_ >= 0) ::close(spool_fd_);
    spool_fd_ = -1;
    return {};
  }

 private:
  // Waits for the batch committing on its own thread, if any: its outcome.
  Result<> finish_batch() {
    if (!worker_.joinable()) return {};
    worker_.join();
    report_notes();
    return std::exchange(batch_result_, Result<>{});
  }

  // Makes `records` durable: committed, or spooled while the database is
  // away (after what waits in the spool); empties it.
  Result<> commit(std::string& records) {
    if (records.empty() && !spooled_) return {};
    if (!conn_) try_connect(false);
    if (conn_ && spooled_ && !drain()) drop_connection();
    if (conn_ && !spooled_ && !records.empty()) {
      if (!insert(records)) {
        if (fatal_) return Error(ErrorCode::refused, last_error_);
        drop_connection();
      }
      if (conn_) records.clear();
    }
    if (!records.empty()) {
      if (auto spooled = spool(records); !spooled) return spooled;
      records.clear();
    }
    return {};
  }

  // What the commits had to say, told on the main thread.
  void report_notes() {
    for (const auto& [error, text] : notes_) {
      if (error) {
        diag_.error("", text);
      } else {
        diag_.warning("", text);
      }
    }
    notes_.clear();
  }

  void clear_queue() {
    queue_.clear();
    pending_ = 0;
  }

  void drop_connection() {
    if (conn_) {
      notes_.emplace_back(
          false, "database connection lost (" + last_error_ + "); spooling to " + opt_.spool_dir);
    }
    conn_.reset();
    staged_ = false;
    next_attempt_ = now_ns() + backoff_;
    backoff_ = std::min<Nanos>(backoff_ * 2, 5'000'000'000LL);
  }

  void try_connect(bool first) {
    if (!first && now_ns() < next_attempt_) return;
    auto connected = connect(opt_.url);
    if (!connected) {
      const std::string& error = connected.error().message();
      if (first || last_error_ != error) {
        notes_.emplace_back(false, error + "; spooling to " + opt_.spool_dir);
      }
      last_error_ = error;
      next_attempt_ = now_ns() + backoff_;
      backoff_ = std::min<Nanos>(backoff_ * 2, 5'000'000'000LL);
      return;
    }
    Conn c = std::move(connected).value();
    auto schema = ensure_schema(c.get(), opt_.schema);
    if (!schema) {
      last_error_ = "cannot set up schema " + opt_.schema + ": " + schema.error().message();
      if (PQstatus(c.get()) == CONNECTION_OK) fatal_ = true;
      return;
    }
    timescale_ = *schema;
    if (!first) notes_.emplace_back(false, "database connection back; draining the spool");
    conn_ = std::move(c);
    backoff_ = 200'000'000;
    // Spool files left by an earlier run or an outage drain first.
    spooled_ = spooled_ || !spool_files().empty();
  }

  // One statement on connection `c`; false with last_error_ set when it fails.
  bool run(PGconn* c, const std::string& sql, const std::vector<std::string>& params = {},
           ExecStatusType want = PGRES_COMMAND_OK) {
    auto r = exec(c, sql, params, want);
    if (!r) last_error_ = r.error().message();
    return r.ok();
  }

  bool stage() {
    if (staged_) return true;
    for (const auto& t : tables()) {
      if (!run(conn_.get(), "CREATE TEMP TABLE IF NOT EXISTS " +
                                ident(std::string("stage_") + t.name) + " (LIKE " +
                                q(opt_.schema, t.name) + ") ON COMMIT DELETE ROWS")) {
        return false;
      }
    }
    staged_ = true;
    return true;
  }

  // Sorts `records` (queued-record lines) by table into by_table_, noting
  // each table's days in `days`.
  void sort_records(std::string_view records, std::set<std::pair<std::string, Nanos>>& days) {
    by_table_.resize(tables().size());
    for (auto& list : by_table_) list.clear();
    std::size_t pos = 0;
    QueuedRecord r;
    while (pos < records.size()) {
      std::size_t nl = records.find('\n', pos);
      if (nl == std::string_view::npos) break;  // a torn spool tail
      const std::string_view rec = records.substr(pos, nl - pos);
      pos = nl + 1;
      if (!parse_queued(rec, r)) {
        notes_.emplace_back(true, "skipping a malformed spooled record in " + opt_.spool_dir);
        continue;
      }
      const Table& t = table_named(pg_table_for(r.type));
      by_table_[static_cast<std::size_t>(&t - tables().data())].push_back(r);
      const Nanos day = (r.time >= 0 ? r.time / kDay : (r.time - kDay + 1) / kDay) * kDay;
      days.emplace(t.name, day);
    }
  }

  // One binary COPY row of record r into table t.
  void binary_row(const Table& t, const QueuedRecord& r, std::string& out) {
    append_row_start(out, static_cast<int>(6 + t.columns.size()));
    append_bigint(out, r.time);
    append_bigint(out, static_cast<std::int64_t>(r.seq));
    append_text(out, r.venue);
    append_text(out, r.symbol);
    append_bigint(out, static_cast<std::int64_t>(fnv1a64(r.line)));
    append_text(out, r.line);
    typed_columns(t, r, out);
  }

  // The values of the table's columns (by key) from the event's top-level
  // members into values_: a string's text, a number's or a bool's JSON text.
  // The JSON error that stopped the walk, with the values found before it.
  simdjson::error_code read_columns(const Table& t, const QueuedRecord& r) {
    namespace od = simdjson::ondemand;
    od::document doc;
    od::object obj;
    const simdjson::padded_string_view line(padded_.data(), r.line.size(), padded_.size());
    if (auto e = parser_.iterate(line).get(doc)) return e;
    if (auto e = doc.get_object().get(obj)) return e;
    for (auto field : obj) {
      std::string_view k;
      if (auto e = field.unescaped_key().get(k)) return e;
      for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (k != t.columns[i].key) continue;
        auto v = field.value();
        od::json_type jt;
        std::string_view text;
        if (auto e = v.type().get(jt)) return e;
        if (jt == od::json_type::string) {
          if (auto e = v.get_string().get(text)) return e;
          values_[i] = text;
        } else if (jt == od::json_type::number || jt == od::json_type::boolean) {
          if (auto e = v.raw_json_token().get(text)) return e;
          values_[i] = trim_raw(text);
        }
        break;
      }
    }
    return simdjson::SUCCESS;
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
      // Leaves what was found before any error; the event text is stored
      // whole anyway.
      (void)read_columns(t, r);
    }
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const auto& v = values_[i];
      if (!v || !append_typed(out, t.columns[i].type, *v)) append_null(out);
    }
  }

  static std::string_view trim_raw(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' ||
                          s.back() == '\t' || s.back() == ',' || s.back() == '}'))
      s.remove_suffix(1);
    return s;
  }

  // One transaction: partitions, COPY straight in (or through staging when
  // a row is there already).
  bool insert(std::string_view records) {
    std::set<std::pair<std::string, Nanos>> days;
    sort_records(records, days);
    if (days.empty()) return true;
    PGconn* c = conn_.get();
    if (!stage() || !run(c, "BEGIN")) return classify();
    if (!timescale_) {
      for (const auto& [table, day] : days) {
        const std::string part = table + "_" + utc_day(day).replace(4, 1, "").replace(6, 1, "");
        if (partitions_.count(part)) continue;
        if (!run(c, "CREATE TABLE IF NOT EXISTS " + q(opt_.schema, part) + " PARTITION OF " +
                        q(opt_.schema, table) + " FOR VALUES FROM (" + std::to_string(day) +
                        ") TO (" + std::to_string(day + kDay) + ")")) {
          return classify();
        }
        new_partitions_.push_back(part);
      }
    }
    for (std::size_t i = 0; i < by_table_.size(); ++i) {
      if (by_table_[i].empty()) continue;
      const Table& t = tables()[i];
      const std::string cols = column_list(t);
      // Straight into the table: one copy of the rows. A batch holding a row
      // stored before (a redelivery, a spool drained twice) breaks the
      // unique key: then through staging, keeping the rows not yet there.
      if (!run(c, "SAVEPOINT direct")) return classify();
      std::string state;
      if (copy_in(c, q(opt_.schema, t.name), t, by_table_[i], state)) {
        if (!run(c, "RELEASE SAVEPOINT direct")) return classify();
        continue;
      }
      if (state != kUniqueViolation || !run(c, "ROLLBACK TO SAVEPOINT direct")) return classify();
      const std::string stage_name = ident(std::string("stage_") + t.name);
      if (!copy_in(c, stage_name, t, by_table_[i], state)) return classify();
      if (!run(c, "INSERT INTO " + q(opt_.schema, t.name) + " (" + cols + ") SELECT " + cols +
                      " FROM " + stage_name + " ON CONFLICT DO NOTHING")) {
        return classify();
      }
    }
    if (!run(c, "COMMIT")) return classify();
    for (auto& p : new_partitions_) partitions_.insert(std::move(p));
    new_partitions_.clear();
    return true;
  }

  // Binary COPY of `records` into `target` (table t's columns), sent in
  // chunks as the rows are made, so that the server takes in one while the
  // next is made; false with last_error_ and the SQLSTATE in `state` when
  // it fails.
  bool copy_in(PGconn* c, const std::string& target, const Table& t,
               const std::vector<QueuedRecord>& records, std::string& state) {
    state.clear();
    if (!run(c, "COPY " + target + " (" + column_list(t) + ") FROM STDIN (FORMAT binary)", {},
             PGRES_COPY_IN)) {
      return false;
    }
    bool sent = true;
    chunk_.clear();
    copy_binary_header(chunk_);
    for (const QueuedRecord& r : records) {
      binary_row(t, r, chunk_);
      if (chunk_.size() >= kChunk) {
        sent = PQputCopyData(c, chunk_.data(), static_cast<int>(chunk_.size())) == 1;
        chunk_.clear();
        if (!sent) break;
      }
    }
    copy_binary_trailer(chunk_);
    if (!sent || PQputCopyData(c, chunk_.data(), static_cast<int>(chunk_.size())) != 1 ||
        PQputCopyEnd(c, nullptr) != 1) {
      last_error_ = conn_error(c);
      return false;
    }
    ResultPtr r(PQgetResult(c));
    const bool ok = r && PQresultStatus(r.get()) == PGRES_COMMAND_OK;
    if (!ok) {
      last_error_ = r ? PQresultErrorMessage(r.get()) : conn_error(c);
      if (r) {
        const char* s = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
        if (s != nullptr) state = s;
      }
    }
    while (PGresult* more = PQgetResult(c)) PQclear(more);
    return ok;
  }
  static constexpr std::size_t kChunk = 256u << 10;
  static constexpr std::string_view kUniqueViolation = "23505";

  // After a failure: a lost connection is an outage (spool and retry);
  // anything else is fatal.
  bool classify() {
    new_partitions_.clear();
    while (!last_error_.empty() && last_error_.back() == '\n') last_error_.pop_back();
    if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) {
      (void)exec(conn_.get(), "ROLLBACK");
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

  Result<> spool(const std::string& records) {
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
        return os_error("cannot open the spool " + path, errno);
      }
    }
    if (!write_all(spool_fd_, records.data(), records.size()) || ::fdatasync(spool_fd_) != 0) {
      return os_error("cannot write the spool in " + opt_.spool_dir, errno);
    }
    spooled_ = true;
    spooled_records_ +=
        static_cast<std::uint64_t>(std::count(records.begin(), records.end(), '\n'));
    return {};
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
        auto opened = open_input(path);
        if (!opened) {
          last_error_ = opened.error().message();
          return false;
        }
        auto in = std::move(opened).value();
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
  std::string queue_;  // records appended since the last flush
  std::size_t pending_ = 0;
  // A batch committing on worker_; nothing else runs meanwhile but append().
  std::string batch_;
  std::thread worker_;
  Result<> batch_result_;
  std::vector<std::pair<bool, std::string>> notes_;  // (error?, text) for diag_
  std::uint64_t seq_ = 0;
  Nanos next_attempt_ = 0;
  Nanos backoff_ = 200'000'000;
  std::string last_error_;
  std::set<std::string> partitions_;
  std::vector<std::string> new_partitions_;
  simdjson::ondemand::parser parser_;
  std::string padded_;
  std::vector<std::vector<QueuedRecord>> by_table_;  // the batch's records, by table
  std::string chunk_;                                // binary COPY rows not yet sent
  // Views into the record or the parser's buffer, used before the next parse.
  std::vector<std::optional<std::string_view>> values_;
};

}  // namespace

Result<std::unique_ptr<RecordSink>> open_pg_sink(const PgOptions& options, Diagnostics& diag) {
  auto sink = std::make_unique<PgSink>(options, diag);
  if (auto started = sink->start(); !started) return started.error();
  return std::unique_ptr<RecordSink>(std::move(sink));
}

}  // namespace ot
