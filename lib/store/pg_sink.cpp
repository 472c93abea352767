// The PostgreSQL sink: batches, COPY into staging, the spool (pg_store.h).
#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <system_error>
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
  std::uint64_t digest = 0;  // fnv1a64(line), made with the batch's others
};

// The digests of `records`, four at a time.
void make_digests(std::vector<QueuedRecord>& records) {
  std::size_t i = 0;
  for (; i + 4 <= records.size(); i += 4) {
    const std::string_view in[4] = {records[i].line, records[i + 1].line, records[i + 2].line,
                                    records[i + 3].line};
    std::uint64_t out[4];
    fnv1a64_4(in, out);
    for (int k = 0; k < 4; ++k) records[i + static_cast<std::size_t>(k)].digest = out[k];
  }
  for (; i < records.size(); ++i) records[i].digest = fnv1a64(records[i].line);
}

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

// What the lanes share: the options, whether TimescaleDB is used, and the
// partitions known to exist (made by one lane at a time).
struct Shared {
  explicit Shared(const PgOptions& o) : opt(o) {}
  const PgOptions& opt;
  bool timescale = false;
  std::mutex partitions_mu;
  std::set<std::string> partitions;
};

// One connection and the making of a batch's transaction: the rows sorted
// by table, each table's COPY, the staging path. A batch at a time; the
// sink commits batches on two lanes at once while the database is up.
class Lane {
 public:
  explicit Lane(Shared& shared) : shared_(shared) {}

  Conn conn;
  std::vector<std::pair<bool, std::string>> notes;  // (error?, text), told by the sink
  std::string last_error;
  bool fatal = false;  // refused on a live connection: no retry helps
  // The batch committing on `worker` and its outcome (read after a join).
  std::string batch;
  std::thread worker;
  Result<> result;

  // Whether the lane has a connection, for the sink to read while the
  // lane's worker may be dropping it.
  std::atomic<bool> up{false};

  void attach(Conn c) {
    conn = std::move(c);
    staged_ = false;  // a new session: no staging tables yet
    fatal = false;
    up = true;
  }
  void reset() {
    up = false;
    conn.reset();
    staged_ = false;
  }

  // One statement; false with last_error set (and the SQLSTATE in `state`).
  bool run(const std::string& sql, ExecStatusType want = PGRES_COMMAND_OK,
           std::string* state = nullptr) {
    auto r = exec(conn.get(), sql, {}, want, nullptr, state);
    if (!r) last_error = r.error().message();
    return r.ok();
  }

  // One transaction of `records` (queued-record lines), tried again when
  // the server broke a deadlock with another lane (or a serialization
  // failure); false with last_error (and `fatal` when refused).
  bool insert(std::string_view records, std::vector<std::pair<bool, std::string>>& notes) {
    sort_records(records, notes);
    if (days_.empty()) return true;
    for (int attempt = 1;; ++attempt) {
      std::string state;
      if (try_insert(state)) return true;
      const bool again = state == kDeadlock || state == kSerialization;
      if (!again || !conn || PQstatus(conn.get()) != CONNECTION_OK) return classify();
      (void)exec(conn.get(), "ROLLBACK");
      // Still colliding after a few tries: not the data's fault; the
      // batch goes to the spool like an outage's (fatal stays false).
      if (attempt == 5) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * attempt));
    }
  }

 private:
  static constexpr std::size_t kChunk = 256u << 10;
  static constexpr std::string_view kUniqueViolation = "23505";
  static constexpr std::string_view kDeadlock = "40P01";
  static constexpr std::string_view kSerialization = "40001";

  bool stage() {
    if (staged_) return true;
    for (const auto& t : tables()) {
      if (!run("CREATE TEMP TABLE IF NOT EXISTS " + ident(std::string("stage_") + t.name) +
               " (LIKE " + q(shared_.opt.schema, t.name) + ") ON COMMIT DELETE ROWS")) {
        return false;
      }
    }
    staged_ = true;
    return true;
  }

  // Sorts `records` by table into by_table_, noting each table's days.
  void sort_records(std::string_view records, std::vector<std::pair<bool, std::string>>& notes) {
    by_table_.resize(tables().size());
    for (auto& list : by_table_) list.clear();
    days_.clear();
    std::size_t pos = 0;
    QueuedRecord r;
    while (pos < records.size()) {
      std::size_t nl = records.find('\n', pos);
      if (nl == std::string_view::npos) break;  // a torn spool tail
      const std::string_view rec = records.substr(pos, nl - pos);
      pos = nl + 1;
      if (!parse_queued(rec, r)) {
        notes.emplace_back(true, "skipping a malformed spooled record in " + shared_.opt.spool_dir);
        continue;
      }
      const Table& t = table_named(pg_table_for(r.type));
      by_table_[static_cast<std::size_t>(&t - tables().data())].push_back(r);
      const Nanos day = (r.time >= 0 ? r.time / kDay : (r.time - kDay + 1) / kDay) * kDay;
      days_.emplace(t.name, day);
    }
    for (auto& list : by_table_) make_digests(list);
  }

  // The days' partitions, each made once by one lane at a time in a
  // transaction of its own (two lanes making one at once would collide).
  bool ensure_partitions() {
    if (shared_.timescale) return true;
    std::lock_guard<std::mutex> lock(shared_.partitions_mu);
    for (const auto& [table, day] : days_) {
      std::string part = table + "_" + utc_day(day).replace(4, 1, "").replace(6, 1, "");
      if (shared_.partitions.count(part)) continue;
      if (!run("CREATE TABLE IF NOT EXISTS " + q(shared_.opt.schema, part) + " PARTITION OF " +
               q(shared_.opt.schema, table) + " FOR VALUES FROM (" + std::to_string(day) +
               ") TO (" + std::to_string(day + kDay) + ")")) {
        return false;
      }
      shared_.partitions.insert(std::move(part));
    }
    return true;
  }

  // COPY straight in (or through staging when a row is there already), in
  // one transaction; false with last_error and the SQLSTATE in `state`.
  bool try_insert(std::string& state) {
    if (!stage() || !ensure_partitions() || !run("BEGIN")) return false;
    for (std::size_t i = 0; i < by_table_.size(); ++i) {
      if (by_table_[i].empty()) continue;
      const Table& t = tables()[i];
      const std::string cols = column_list(t);
      // Straight into the table: one copy of the rows. A batch holding a row
      // stored before (a redelivery, a spool drained twice) breaks the
      // unique key: then through staging, keeping the rows not yet there.
      if (!run("SAVEPOINT direct")) return false;
      if (copy_in(q(shared_.opt.schema, t.name), t, by_table_[i], state)) {
        if (!run("RELEASE SAVEPOINT direct")) return false;
        continue;
      }
      if (state != kUniqueViolation || !run("ROLLBACK TO SAVEPOINT direct")) return false;
      const std::string stage_name = ident(std::string("stage_") + t.name);
      if (!copy_in(stage_name, t, by_table_[i], state)) return false;
      if (!run("INSERT INTO " + q(shared_.opt.schema, t.name) + " (" + cols + ") SELECT " + cols +
                   " FROM " + stage_name + " ON CONFLICT DO NOTHING",
               PGRES_COMMAND_OK, &state)) {
        return false;
      }
    }
    return run("COMMIT", PGRES_COMMAND_OK, &state);
  }

  // Binary COPY of `records` into `target` (table t's columns), sent in
  // chunks as the rows are made, so that the server takes in one while the
  // next is made; false with last_error and the SQLSTATE in `state` when
  // it fails.
  bool copy_in(const std::string& target, const Table& t, const std::vector<QueuedRecord>& records,
               std::string& state) {
    PGconn* c = conn.get();
    state.clear();
    if (!run("COPY " + target + " (" + column_list(t) + ") FROM STDIN (FORMAT binary)",
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
      last_error = conn_error(c);
      return false;
    }
    ResultPtr r(PQgetResult(c));
    const bool ok = r && PQresultStatus(r.get()) == PGRES_COMMAND_OK;
    if (!ok) {
      last_error = r ? PQresultErrorMessage(r.get()) : conn_error(c);
      if (r) {
        const char* s = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
        if (s != nullptr) state = s;
      }
    }
    while (PGresult* more = PQgetResult(c)) PQclear(more);
    return ok;
  }

  // After a failure: a lost connection is an outage (spool and retry);
  // anything else is fatal.
  bool classify() {
    while (!last_error.empty() && last_error.back() == '\n') last_error.pop_back();
    if (conn && PQstatus(conn.get()) == CONNECTION_OK) {
      (void)exec(conn.get(), "ROLLBACK");
      if (PQstatus(conn.get()) == CONNECTION_OK) fatal = true;
    }
    return false;
  }

  // One binary COPY row of record r into table t.
  void binary_row(const Table& t, const QueuedRecord& r, std::string& out) {
    append_row_start(out, static_cast<int>(6 + t.columns.size()));
    append_bigint(out, r.time);
    append_bigint(out, static_cast<std::int64_t>(r.seq));
    append_text(out, r.venue);
    append_text(out, r.symbol);
    append_bigint(out, static_cast<std::int64_t>(r.digest));
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

  Shared& shared_;
  bool staged_ = false;
  std::set<std::pair<std::string, Nanos>> days_;
  simdjson::ondemand::parser parser_;
  std::string padded_;
  std::vector<std::vector<QueuedRecord>> by_table_;  // the batch's records, by table
  std::string chunk_;                                // binary COPY rows not yet sent
  // Views into the record or the parser's buffer, used before the next parse.
  std::vector<std::optional<std::string_view>> values_;
};

class PgSink final : public RecordSink {
 public:
  PgSink(PgOptions o, Diagnostics& diag) : opt_(std::move(o)), diag_(diag) {
    if (opt_.spool_dir.empty()) opt_.spool_dir = default_spool(opt_);
    seq_ = static_cast<std::uint64_t>(now_ns());
  }
  ~PgSink() override {
    for (auto& lane : lanes_) {
      if (lane.worker.joinable()) lane.worker.join();
    }
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
    report_notes(nullptr);
    // Unreachable is no error (the records spool); a refused schema is.
    if (!main_lane().conn && !last_error_.empty() && fatal_) {
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
  // next one is queued. While the database is up, batches take turns on
  // two connections, so that two commit at once (the server's work on
  // both cores); what the spool holds goes in first, in order, on one.
  Result<> start_flush() override {
    // The one-lane path (the spool, a reconnect) ends before anything starts.
    if (sync_running_) {
      sync_running_ = false;
      if (auto done = finish_all(); !done) return done;
    }
    Lane& lane = lanes_[next_];
    if (auto done = finish(lane); !done) return done;
    if (queue_.empty() && !spooled_) return {};
    if (spooled_ || !lanes_[0].up || !lanes_[1].up) {
      if (auto done = finish_all(); !done) return done;
      Lane& main = main_lane();
      main.batch.swap(queue_);
      clear_queue();
      run_on(main, [this, &main] { return commit(main.batch); });
      sync_running_ = true;
      return {};
    }
    lane.batch.swap(queue_);
    clear_queue();
    run_on(lane, [this, &lane] { return commit_on(lane); });
    next_ = (next_ + 1) % lanes_.size();
    return {};
  }

  Result<> flush() override {
    sync_running_ = false;
    if (auto done = finish_all(); !done) return done;
    auto r = commit(queue_);
    clear_queue();
    report_notes(nullptr);
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
  Lane& main_lane() { return lanes_[0]; }

  // Runs `job` on the lane's thread, its outcome in lane.result (an
  // exception is an error there, not the end of the process); here, when no
  // thread can be made.
  template <class Job>
  void run_on(Lane& lane, Job job) {
    auto guarded = [&lane, job]() mutable {
      try {
        lane.result = job();
      } catch (const std::exception& e) {
        lane.result = Error(ErrorCode::io_error, std::string("commit failed: ") + e.what());
      }
    };
    try {
      lane.worker = std::thread(guarded);
    } catch (const std::system_error&) {
      guarded();
    }
  }

  // Waits for the batch committing on `lane`, if any: its outcome.
  Result<> finish(Lane& lane) {
    if (!lane.worker.joinable()) return {};
    lane.worker.join();
    report_notes(&lane);
    return std::exchange(lane.result, Result<>{});
  }
  Result<> finish_all() {
    Result<> first;
    for (auto& lane : lanes_) {
      if (auto done = finish(lane); !done && first) first = std::move(done);
    }
    return first;
  }

  // A batch on a lane of its own (both lanes connected, nothing spooled):
  // committed, or, when the connection is lost, spooled.
  Result<> commit_on(Lane& lane) {
    if (lane.insert(lane.batch, lane.notes)) {
      lane.batch.clear();
      return {};
    }
    if (lane.fatal) return Error(ErrorCode::refused, lane.last_error);
    lane.notes.emplace_back(
        false, "database connection lost (" + lane.last_error + "); spooling to " + opt_.spool_dir);
    lane.reset();
    auto spooled = spool(lane.batch);
    lane.batch.clear();
    return spooled;
  }

  // Makes `records` durable on the main lane: committed, or spooled while
  // the database is away (after what waits in the spool); empties it.
  Result<> commit(std::string& records) {
    if (records.empty() && !spooled_) return {};
    Lane& main = main_lane();
    if (!main.conn) try_connect(false);
    if (main.conn && spooled_ && !drain()) drop_connection();
    if (main.conn && !spooled_ && !records.empty()) {
      if (!main.insert(records, notes_)) {
        if (main.fatal) {
          fatal_ = true;
          last_error_ = main.last_error;
          return Error(ErrorCode::refused, last_error_);
        }
        drop_connection();
      }
      if (main.conn) {
        records.clear();
        // The second lane back after an outage of its own (at most a
        // try a second).
        if (!lanes_[1].conn && now_ns() >= next_second_) {
          next_second_ = now_ns() + 1'000'000'000;
          if (auto second = connect(opt_.url)) lanes_[1].attach(std::move(second).value());
        }
      }
    }
    if (!records.empty()) {
      if (auto spooled = spool(records); !spooled) return spooled;
      records.clear();
    }
    return {};
  }

  // What the commits had to say, told on the main thread: the one-lane
  // path's and, when it has just been joined, a lane's (or every lane's:
  // nullptr, none running).
  void report_notes(Lane* joined) {
    std::vector<std::vector<std::pair<bool, std::string>>*> lists = {&notes_};
    for (auto& lane : lanes_) {
      if (joined == nullptr || joined == &lane) lists.push_back(&lane.notes);
    }
    for (auto* notes : lists) {
      for (const auto& [error, text] : *notes) {
        if (error) {
          diag_.error("", text);
        } else {
          diag_.warning("", text);
        }
      }
      notes->clear();
    }
  }

  void clear_queue() {
    queue_.clear();
    pending_ = 0;
  }

  void drop_connection() {
    Lane& main = main_lane();
    if (main.conn) {
      last_error_ = main.last_error;
      notes_.emplace_back(
          false, "database connection lost (" + last_error_ + "); spooling to " + opt_.spool_dir);
    }
    for (auto& lane : lanes_) lane.reset();
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
    shared_.timescale = *schema;
    if (!first) notes_.emplace_back(false, "database connection back; draining the spool");
    main_lane().attach(std::move(c));
    // The second lane is a help, not a need: without it, one lane commits.
    if (!lanes_[1].conn) {
      if (auto second = connect(opt_.url)) lanes_[1].attach(std::move(second).value());
    }
    backoff_ = 200'000'000;
    // Spool files left by an earlier run or an outage drain first.
    spooled_ = spooled_ || !spool_files().empty();
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

  // Appends `records` to the spool, synced (either lane may).
  Result<> spool(const std::string& records) {
    std::lock_guard<std::mutex> lock(spool_mu_);
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

  // Inserts every spool file on the main lane, oldest first, removing each
  // once committed (no other lane runs meanwhile).
  bool drain() {
    if (spool_fd_ >= 0) {
      ::close(spool_fd_);
      spool_fd_ = -1;
    }
    Lane& main = main_lane();
    auto insert = [&](const std::string& data) {
      if (main.insert(data, notes_)) return true;
      last_error_ = main.last_error;
      return false;
    };
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
  Shared shared_{opt_};
  std::array<Lane, 2> lanes_{Lane(shared_), Lane(shared_)};
  std::size_t next_ = 0;       // the lane the next batch goes to
  bool sync_running_ = false;  // lane 0 runs the one-lane path (commit)
  bool fatal_ = false;
  std::atomic<bool> spooled_{false};
  std::mutex spool_mu_;  // the spool file, spooled_records_
  std::uint64_t spooled_records_ = 0;
  int spool_fd_ = -1;
  std::string queue_;  // records appended since the last flush
  std::size_t pending_ = 0;
  std::vector<std::pair<bool, std::string>> notes_;  // (error?, text) for diag_
  std::uint64_t seq_ = 0;
  Nanos next_attempt_ = 0;
  Nanos next_second_ = 0;  // the next try to connect the second lane
  Nanos backoff_ = 200'000'000;
  std::string last_error_;
};

}  // namespace

Result<std::unique_ptr<RecordSink>> open_pg_sink(const PgOptions& options, Diagnostics& diag) {
  auto sink = std::make_unique<PgSink>(options, diag);
  if (auto started = sink->start(); !started) return started.error();
  return std::unique_ptr<RecordSink>(std::move(sink));
}

}  // namespace ot
