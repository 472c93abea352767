// The embedded event store: a directory of compressed files, no server.
//
// Layout: DIR/<venue>/<symbol>/<YYYY-MM-DD>/<type>/ holds numbered segments.
// The newest one, NNNNNN.ndjson, is open and appended to; full segments are
// sealed into NNNNNN.zst (zstd, a skippable frame first with the segment's
// count and time range, then the records). Names are percent-encoded
// outside [A-Za-z0-9_-] ("BTC/USD" is "BTC%2FUSD"). Events without a venue
// or symbol are filed under "_".
//
// A record is one line, "<time> <seq> <event or capture line>\n": `time` is
// the event's `recv` (its `ts` if it has none) in nanoseconds, `seq` numbers
// the writer's records so that reading restores the written order among
// equal times.
//
// Crash safety (kill -9, power loss with sync): what survives a crash is
// always a prefix of what was appended. A flush writes each partition's
// records, then commits them all at once: DIR/.commits/<run> holds the last
// seq the writer's run committed, and readers see only committed records
// (and, in a store written before commit files, every record with its
// '\n'). Readers stop at the last '\n', so a torn tail is never seen; the
// next writer cuts torn tails and uncommitted records before appending.
// Writing from a replayable source (a JetStream durable consumer), the
// commit file also holds the source's name and the position of the last
// committed record, written with the commit itself, so a writer restarted
// after a kill skips exactly what was committed and delivered again.
// Sealing writes NNNNNN.zst.tmp, syncs it, renames it over and only then
// removes the .ndjson; a reader seeing both takes the .zst. One writer per
// directory at a time (an exclusive lock on DIR/.lock); any number of
// readers, also while a writer runs.
//
// Threading: a writer or reader object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace ot {

// Which records the writers' runs committed (DIR/.commits).
class CommitTable {
 public:
  void load(const std::string& dir);
  bool visible(std::uint64_t seq) const;

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs_;  // first seq, last committed
};

struct FileStoreOptions {
  std::string dir;
  std::size_t segment_bytes = 8u << 20;  // seal an open segment past this size
  std::size_t max_open = 64;             // open segments kept; the least recently used is sealed
  int level = 3;                         // zstd level of sealed segments
  bool sync = false;                     // fsync after every flush
};

class FileStoreWriter final : public RecordSink {
 public:
  // Takes the directory's lock (creating DIR). Errors: unavailable (another
  // writer holds it), io_error (no permission, ...).
  static Result<std::unique_ptr<FileStoreWriter>> open(const FileStoreOptions& options);
  ~FileStoreWriter() override;  // close() if not done

  // Queues a record (`line` without '\n'). Nothing is written until
  // flush(); records are not visible to readers before. Refuses a record
  // whose venue, symbol or type, percent-encoded, is longer than a file
  // name may be (255 bytes).
  Result<> append(const RecordKey& key, std::string_view line) override;
  // Writes queued records to their segments (one write per partition),
  // commits them, seals segments grown past the limit. False on an I/O error (then
  // `error`); records already written stay.
  Result<> flush() override;
  // Bytes queued and not yet written.
  // Bytes queued; a segment due to be sealed asks for a flush at once.
  std::size_t pending_bytes() const override { return seal_due_ ? SIZE_MAX : pending_; }
  // flush() and seal every open segment.
  Result<> close() override;
  Result<std::optional<std::uint64_t>> resume(std::string_view source) override;
  void set_position(std::uint64_t position) override { position_ = position; }

  std::uint64_t records() const { return records_; }

 private:
  struct Partition;
  explicit FileStoreWriter(FileStoreOptions options);
  // The record's partition, or nullptr (and `error`) for a name too long.
  Result<Partition*> partition(const RecordKey& key);
  static constexpr std::size_t kMaxName = 255;  // NAME_MAX
  Result<> seal(Partition& p);
  // Marks every record up to seq `last` committed.
  bool commit(std::uint64_t last);

  FileStoreOptions options_;
  int lock_fd_ = -1;
  int commit_fd_ = -1;
  std::uint64_t first_seq_ = 0;  // this run's first seq
  std::uint64_t position_ = 0;   // the source's position appended up to (0: none)
  std::uint64_t committed_position_ = 0;
  CommitTable commits_;  // the runs before this one
  std::vector<std::unique_ptr<Partition>> partitions_;
  std::unordered_map<std::string, std::size_t> index_;  // partition key -> partitions_
  std::string key_;
  std::string seal_in_, seal_out_;  // a segment and its compressed form
  std::uint64_t seq_ = 0;
  std::uint64_t tick_ = 0;
  std::size_t pending_ = 0;
  bool seal_due_ = false;  // a segment reached its size: flush (and seal) now
  std::size_t open_count_ = 0;
  std::uint64_t records_ = 0;
  bool closed_ = false;
};

// Reads the records matching a filter, merged across partitions in time
// order (ties in written order).
class FileStoreReader final : public RecordSource {
 public:
  // Errors: not_found (no store at `dir`), corrupt (a segment that cannot
  // be read).
  static Result<std::unique_ptr<FileStoreReader>> open(const std::string& dir,
                                                       const StoreFilter& filter);
  ~FileStoreReader() override;
  // False at the end or on an error (then error() is non-empty). The views
  // are valid until the next call.
  bool next(StoredRecord& r) override;
  const std::string& error() const override { return error_; }
  // Venues among the partitions selected.
  std::vector<std::string> venues() const override;

 private:
  struct Cursor;
  FileStoreReader() = default;
  bool advance(Cursor& c);

  std::vector<std::unique_ptr<Cursor>> cursors_;
  std::vector<Cursor*> heap_;
  Cursor* current_ = nullptr;
  StoreFilter filter_;
  CommitTable commits_;
  std::string error_;
};

// Lists what `dir` holds, sorted by venue, symbol, type (not_found: no
// store at `dir`).
Result<std::vector<StoredSeries>> list_store(const std::string& dir, const StoreFilter& filter);

// The default directory: $XDG_DATA_HOME/optitrade/store (or
// ~/.local/share/optitrade/store).
std::string default_store_dir();

// Percent-encoding of partition names, and the UTC day of a time.
std::string encode_name(std::string_view name);
std::string decode_name(std::string_view name);
std::string utc_day(Nanos t);
// Start of the UTC day "YYYY-MM-DD" (nullopt if malformed).
std::optional<Nanos> day_start(std::string_view day);

}  // namespace ot
