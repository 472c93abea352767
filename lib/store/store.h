// The store's contract, shared by its backends (a directory of files,
// PostgreSQL): what a record is filed under, which records to read back,
// and the write and read loops of `ot-store`.
//
// Threading: objects are used by one thread at a time.
#pragma once

#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.h"
#include "core/result.h"
#include "core/time.h"
#include "metrics/metrics.h"

namespace ot {

class LineInput;
class LineSink;

// What a record is filed under.
struct RecordKey {
  std::string_view venue;   // empty: "_"
  std::string_view symbol;  // empty: "_"
  std::string_view type;
  Nanos time = 0;
};

// Which records to read. Empty lists match everything; times are inclusive.
struct StoreFilter {
  std::vector<std::string> venues;
  std::vector<std::string> symbols;
  std::vector<std::string> types;
  std::optional<Nanos> from;
  std::optional<Nanos> to;
  // Raw capture lines (type "raw"): records without a symbol (venue
  // messages, disconnects) are kept whatever the symbol filter says.
  bool raw = false;
};

bool matches(const StoreFilter& f, std::string_view venue, std::string_view symbol,
             std::string_view type);

// A record read back.
struct StoredRecord {
  Nanos time = 0;
  std::uint64_t seq = 0;
  std::string_view venue, symbol, type;  // as filed (decoded names)
  std::string_view line;                 // the event or capture line
};

// One row of `ot-store ls`: a venue/symbol/type over all its days.
struct StoredSeries {
  std::string venue, symbol, type;
  std::uint64_t days = 0, segments = 0, records = 0, bytes = 0, raw_bytes = 0;
  Nanos first = 0, last = 0;
};
// Where records go. append() queues; flush() makes everything queued
// durable (written to files, committed to the database) or reports why not.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Queues a record, or refuses it (invalid_argument: a name the sink
  // cannot file) and carries on.
  virtual Result<> append(const RecordKey& key, std::string_view line) = 0;
  virtual Result<> flush() = 0;
  // Starts making what is queued durable and may return before it is (the
  // database sink commits on a thread of its own while more is queued);
  // the next start_flush(), flush() or close() waits for it, and reports
  // its failure.
  virtual Result<> start_flush() { return flush(); }
  virtual std::size_t pending_bytes() const = 0;
  // Exactly once from a replayable source (LineInput::source(), a
  // JetStream durable consumer): resume() names the source and returns the
  // position up to which an earlier run from it committed (nullopt: none);
  // set_position() gives the position of the records appended so far,
  // committed with them, atomically, at the next flush(). A sink that drops
  // repeated records by their own keys (PostgreSQL) needs neither: these
  // defaults do nothing.
  virtual Result<std::optional<std::uint64_t>> resume(std::string_view source) {
    (void)source;
    return std::optional<std::uint64_t>();
  }
  virtual void set_position(std::uint64_t position) { (void)position; }
  // flush() and release everything; the sink takes no more records.
  virtual Result<> close() = 0;
};

// Records in time order (ties in written order).
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // False at the end or on an error (then error() is non-empty); the
  // record's views are valid until the next call.
  virtual bool next(StoredRecord& r) = 0;
  virtual const std::string& error() const = 0;
  // Venues among the records selected (for --raw, which replays one venue).
  virtual std::vector<std::string> venues() const = 0;
};

struct WriteOptions {
  bool raw = false;                             // capture lines instead of events
  std::string venue;                            // raw: the venue (empty: detected)
  StoreFilter filter;                           // store only what matches
  std::size_t flush_bytes = 4u << 20;           // flush when this much is queued
  std::function<void()> on_wait;                // the input is about to wait
  metrics::Histogram* stage_latency = nullptr;  // a record's queueing, sampled
};

struct WriteStats {
  // repeated: delivered again after a crash, already committed (skipped).
  std::uint64_t lines = 0, stored = 0, filtered = 0, malformed = 0, refused = 0, repeated = 0;
};

// Reads `in` to its end (or a stop signal, through `stop`), filing each line
// in `sink`. Flushes whenever the input waits for more data (a live stream
// is stored record by record: at once from a source that acknowledges, a
// durable consumer; elsewhere the commit starts and reading goes on),
// starts a flush when `flush_bytes` are
// queued (start_flush: the batch commits while the next one is read); closes the
// sink at the end. Malformed lines are reported to `diag` and skipped. From
// a replayable source, positions are committed with the records, and lines
// at or before the position an earlier run committed are skipped.
// False if the sink failed (diag has why).
bool run_write(LineInput& in, RecordSink& sink, const WriteOptions& options, Diagnostics& diag,
               WriteStats& stats, const volatile std::sig_atomic_t* stop = nullptr);

// Appends "<time> <seq> ", the prefix of a stored record.
void append_record_prefix(std::string& out, Nanos time, std::uint64_t seq);

// A time on the command line: integer nanoseconds since the epoch, a UTC
// day "2022-05-13", or ISO 8601 "2022-05-13T08:00:00Z" (fractions allowed).
std::optional<Nanos> parse_time_arg(std::string_view text);
// "2022-05-13T08:00:00.000000000Z".
std::string format_time(Nanos t);

// `ot-store ls` output: a table with a header, or one JSON object per
// series (times in nanoseconds).
std::string format_series(const std::vector<StoredSeries>& rows, bool json);

// Writes every record of `source` to `out` (the line itself, without the
// record's prefix). False if the source failed (diag has why).
bool run_read(RecordSource& source, LineSink& out, Diagnostics& diag, std::uint64_t& records);

}  // namespace ot
