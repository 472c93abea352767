#include "store/file_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <map>
#include <unordered_map>

#include "io/output.h"

namespace fs = std::filesystem;

namespace ot {
namespace {

constexpr Nanos kDay = 86'400'000'000'000LL;
constexpr std::uint32_t kSkippableMagic = 0x184D2A50;
constexpr char kHeaderTag[4] = {'O', 'T', 'S', '1'};
constexpr std::size_t kHeaderPayload = 4 + 4 * 8;

std::string sys_error(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

bool read_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // Read into place at the size the file has (a segment is megabytes: no
  // growing copies), then on while a writer is still appending.
  struct stat st {};
  std::size_t n = 0;
  out.resize(::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<std::size_t>(st.st_size) : 0);
  char more[1 << 16];
  for (;;) {
    const bool in_place = n < out.size();
    const ssize_t r =
        in_place ? ::read(fd, out.data() + n, out.size() - n) : ::read(fd, more, sizeof more);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      ::close(fd);
      return false;
    }
    if (r == 0) break;
    if (!in_place) out.append(more, static_cast<std::size_t>(r));
    n += static_cast<std::size_t>(r);
  }
  out.resize(n);
  ::close(fd);
  return true;
}

void put_u32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
std::uint64_t get_u64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

struct SegmentInfo {
  std::uint64_t count = 0, raw_bytes = 0;
  Nanos first = 0, last = 0;
};

// Reads a sealed segment's header frame.
bool read_header(const std::string& path, SegmentInfo& info) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char h[8 + kHeaderPayload];
  ssize_t r = ::pread(fd, h, sizeof h, 0);
  ::close(fd);
  if (r != static_cast<ssize_t>(sizeof h) || std::memcmp(h + 8, kHeaderTag, 4) != 0) return false;
  info.count = get_u64(h + 12);
  info.first = static_cast<Nanos>(get_u64(h + 20));
  info.last = static_cast<Nanos>(get_u64(h + 28));
  info.raw_bytes = get_u64(h + 36);
  return true;
}

// "<time> <seq> <line>": the prefix's numbers and the line.
bool parse_record(std::string_view rec, Nanos& time, std::uint64_t& seq, std::string_view& line) {
  const char* p = rec.data();
  const char* end = p + rec.size();
  auto r1 = std::from_chars(p, end, time);
  if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != ' ') return false;
  auto r2 = std::from_chars(r1.ptr + 1, end, seq);
  if (r2.ec != std::errc() || r2.ptr == end || *r2.ptr != ' ') return false;
  line = std::string_view(r2.ptr + 1, static_cast<std::size_t>(end - r2.ptr - 1));
  return true;
}

// Scans an open segment's complete records.
SegmentInfo scan_records(std::string_view data) {
  SegmentInfo info;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) break;
    Nanos t = 0;
    std::uint64_t seq = 0;
    std::string_view line;
    if (parse_record(data.substr(pos, nl - pos), t, seq, line)) {
      if (info.count == 0) info.first = t;
      info.first = std::min(info.first, t);
      info.last = std::max(info.last, t);
      ++info.count;
    }
    info.raw_bytes = nl + 1;
    pos = nl + 1;
  }
  return info;
}

struct SegmentName {
  std::uint64_t number = 0;
  bool sealed = false;
};

std::optional<SegmentName> parse_segment_name(const std::string& name) {
  SegmentName s;
  std::string_view n(name);
  if (n.ends_with(".zst")) {
    s.sealed = true;
    n.remove_suffix(4);
  } else if (n.ends_with(".ndjson")) {
    n.remove_suffix(7);
  } else {
    return std::nullopt;
  }
  auto r = std::from_chars(n.data(), n.data() + n.size(), s.number);
  if (r.ec != std::errc() || r.ptr != n.data() + n.size() || n.empty()) return std::nullopt;
  return s;
}

std::string segment_path(const std::string& dir, std::uint64_t n, bool sealed) {
  char name[32];
  std::snprintf(name, sizeof name, "%06llu.%s", static_cast<unsigned long long>(n),
                sealed ? "zst" : "ndjson");
  return dir + "/" + name;
}

// The segments of one partition directory, oldest first; a number with
// both files is the sealed one (the crash came between rename and unlink).
std::vector<std::pair<std::uint64_t, bool>> list_segments(const std::string& dir) {
  std::map<std::uint64_t, bool> seen;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto s = parse_segment_name(e.path().filename().string());
    if (!s) continue;
    auto& sealed = seen[s->number];
    sealed = sealed || s->sealed;
  }
  return {seen.begin(), seen.end()};
}

std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec)) {
      std::string n = e.path().filename().string();
      if (!n.empty() && n[0] != '.') out.push_back(n);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
}

bool day_in_range(const std::string& day, const StoreFilter& f) {
  auto start = day_start(day);
  if (!start) return false;
  if (f.from && *start + kDay <= *f.from) return false;
  if (f.to && *start > *f.to) return false;
  return true;
}

// Calls fn(venue, symbol, day, type, path) for every partition matching f.
template <class Fn>
void for_each_partition(const std::string& root, const StoreFilter& f, Fn fn) {
  for (const auto& v : subdirs(root)) {
    if (v.starts_with('.')) continue;  // .commits (encoded names never start with '.')
    const std::string venue = decode_name(v);
    if (!contains(f.venues, venue)) continue;
    for (const auto& s : subdirs(root + "/" + v)) {
      const std::string symbol = decode_name(s);
      for (const auto& d : subdirs(root + "/" + v + "/" + s)) {
        if (!day_in_range(d, f)) continue;
        for (const auto& t : subdirs(root + "/" + v + "/" + s + "/" + d)) {
          const std::string type = decode_name(t);
          if (!matches(f, venue, symbol, type)) continue;
          fn(venue, symbol, d, type, root + "/" + v + "/" + s + "/" + d + "/" + t);
        }
      }
    }
  }
}

// DIR/.commits/<first seq of a writer's run>: 24 bytes, the run's first
// seq, the last seq it committed and its source's position then (0: none),
// rewritten at the end of every flush; then the source's name, if any.
std::string commit_path(const std::string& dir, std::uint64_t start) {
  return dir + "/.commits/" + std::to_string(start);
}

}  // namespace

void CommitTable::load(const std::string& dir) {
  runs_.clear();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir + "/.commits", ec)) {
    std::string data;
    if (!read_file(e.path().string(), data) || data.size() < 16) continue;
    std::uint64_t start = 0, committed = 0;
    std::memcpy(&start, data.data(), 8);
    std::memcpy(&committed, data.data() + 8, 8);
    runs_.emplace_back(start, committed);
  }
  std::sort(runs_.begin(), runs_.end());
}

bool CommitTable::visible(std::uint64_t seq) const {
  // Before the first run that keeps a commit file: a store written before
  // there were any, where every record with its '\n' counts.
  if (runs_.empty() || seq < runs_.front().first) return true;
  auto it = std::upper_bound(runs_.begin(), runs_.end(),
                             std::pair{seq, std::numeric_limits<std::uint64_t>::max()});
  return seq <= std::prev(it)->second;
}

bool matches(const StoreFilter& f, std::string_view venue, std::string_view symbol,
             std::string_view type) {
  if (!contains(f.venues, venue)) return false;
  if (!contains(f.types, type)) return false;
  if (f.raw && symbol == "_") return true;
  return contains(f.symbols, symbol);
}

std::string encode_name(std::string_view name) {
  if (name.empty()) return "_";
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    const bool plain = std::isalnum(c) || c == '_' || c == '-' || (c == '.' && i > 0);
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string decode_name(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size()) {
      unsigned v = 0;
      auto r = std::from_chars(name.data() + i + 1, name.data() + i + 3, v, 16);
      if (r.ec == std::errc()) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += name[i];
  }
  return out;
}

std::string utc_day(Nanos t) {
  // Days since the epoch to a civil date (Howard Hinnant's algorithm).
  long long z = (t >= 0 ? t / kDay : (t - kDay + 1) / kDay) + 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long y = static_cast<long long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", y, m, d);
  return buf;
}

std::optional<Nanos> day_start(std::string_view day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return std::nullopt;
  std::string iso(day);
  iso += "T00:00:00Z";
  return parse_iso8601(iso);
}

std::string default_store_dir() {
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
    return std::string(x) + "/optitrade/store";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/optitrade/store";
}

// ---------------------------------------------------------------- writer

struct FileStoreWriter::Partition {
  std::string dir;
  bool scanned = false;
  int fd = -1;
  std::uint64_t number = 1;  // of the open (or next) segment
  SegmentInfo info;          // of the open segment
  std::string buf;
  std::uint64_t used = 0;
  Nanos buf_first = 0, buf_last = 0;
  std::uint64_t buf_count = 0;
};

FileStoreWriter::FileStoreWriter(FileStoreOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<FileStoreWriter>> FileStoreWriter::open(const FileStoreOptions& options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Error(ErrorCode::io_error, "cannot create " + options.dir + ": " + ec.message());
  const std::string lock = options.dir + "/.lock";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return os_error("cannot open " + lock, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Error(ErrorCode::unavailable, options.dir + " is in use by another writer");
  }
  std::unique_ptr<FileStoreWriter> w(new FileStoreWriter(options));
  w->lock_fd_ = fd;
  // Numbers this run's records after everything written before it.
  w->seq_ = static_cast<std::uint64_t>(now_ns());
  w->commits_.load(options.dir);
  // This run's commit file, committing nothing yet, before any record.
  fs::create_directories(options.dir + "/.commits", ec);
  const std::string commits = commit_path(options.dir, w->seq_);
  w->commit_fd_ = ::open(commits.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  w->first_seq_ = w->seq_;
  if (ec || w->commit_fd_ < 0 || !w->commit(w->seq_ - 1) || ::fsync(w->commit_fd_) != 0) {
    return Error(ErrorCode::io_error, sys_error("cannot create", commits));
  }
  if (int dfd = ::open((options.dir + "/.commits").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return std::unique_ptr<FileStoreWriter>(std::move(w));
}

bool FileStoreWriter::commit(std::uint64_t last) {
  char rec[24];
  std::memcpy(rec, &first_seq_, 8);
  std::memcpy(rec + 8, &last, 8);
  std::memcpy(rec + 16, &position_, 8);
  if (::pwrite(commit_fd_, rec, sizeof rec, 0) != static_cast<ssize_t>(sizeof rec)) return false;
  committed_position_ = position_;
  return true;
}

Result<std::optional<std::uint64_t>> FileStoreWriter::resume(std::string_view source) {
  std::optional<std::uint64_t> done;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.dir + "/.commits", ec)) {
    std::string data;
    if (!read_file(e.path().string(), data) || data.size() <= 24) continue;
    if (std::string_view(data).substr(24) != source) continue;
    std::uint64_t position = 0;
    std::memcpy(&position, data.data() + 16, 8);
    if (position > 0 && (!done || position > *done)) done = position;
  }
  // This run's name for its positions, before it commits any.
  const std::string path = commit_path(options_.dir, first_seq_);
  if (::pwrite(commit_fd_, source.data(), source.size(), 24) !=
          static_cast<ssize_t>(source.size()) ||
      ::fsync(commit_fd_) != 0) {
    return Error(ErrorCode::io_error, sys_error("cannot write", path));
  }
  return done;
}

FileStoreWriter::~FileStoreWriter() {
  if (!closed_) (void)close();
  for (auto& p : partitions_) {
    if (p->fd >= 0) ::close(p->fd);
  }
  if (commit_fd_ >= 0) ::close(commit_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<FileStoreWriter::Partition*> FileStoreWriter::partition(const RecordKey& key) {
  const Nanos day = key.time >= 0 ? key.time / kDay : (key.time - kDay + 1) / kDay;
  key_.assign(key.venue);
  key_ += '\0';
  key_ += key.symbol;
  key_ += '\0';
  key_ += key.type;
  key_ += '\0';
  key_.append(reinterpret_cast<const char*>(&day), sizeof day);
  auto it = index_.find(key_);
  if (it != index_.end()) return partitions_[it->second].get();
  const std::string venue = encode_name(key.venue), symbol = encode_name(key.symbol),
                    type = encode_name(key.type);
  for (const auto& [what, name] :
       {std::pair{"venue", &venue}, std::pair{"symbol", &symbol}, std::pair{"type", &type}}) {
    if (name->size() > kMaxName) {
      return Error(ErrorCode::invalid_argument, std::string(what) + " too long for a store name (" +
                                                    std::to_string(name->size()) +
                                                    " bytes encoded, at most " +
                                                    std::to_string(kMaxName) + ")");
    }
  }
  auto p = std::make_unique<Partition>();
  p->dir = options_.dir + "/" + venue + "/" + symbol + "/" + utc_day(key.time) + "/" + type;
  index_.emplace(key_, partitions_.size());
  partitions_.push_back(std::move(p));
  return partitions_.back().get();
}

Result<> FileStoreWriter::append(const RecordKey& key, std::string_view line) {
  const Result<Partition*> found = partition(key);
  if (!found) return found.error();
  Partition& p = **found;
  const std::size_t before = p.buf.size();
  append_record_prefix(p.buf, key.time, seq_++);
  p.buf.append(line);
  p.buf += '\n';
  if (p.buf_count == 0) p.buf_first = p.buf_last = key.time;
  p.buf_first = std::min(p.buf_first, key.time);
  p.buf_last = std::max(p.buf_last, key.time);
  ++p.buf_count;
  p.used = ++tick_;
  // A segment that reached its size asks for the flush that seals it.
  if (p.info.raw_bytes + p.buf.size() >= options_.segment_bytes) seal_due_ = true;
  pending_ += p.buf.size() - before;
  ++records_;
  return {};
}

namespace {

// The bytes of `data` (whole records) up to its first record no commit
// covers.
std::size_t committed_prefix(std::string_view data, const CommitTable& commits) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t nl = data.find('\n', pos);
    Nanos time = 0;
    std::uint64_t seq = 0;
    std::string_view line;
    if (!parse_record(data.substr(pos, nl - pos), time, seq, line) || !commits.visible(seq)) break;
    pos = nl + 1;
  }
  return pos;
}

// Prepares a partition for appending: removes leftovers of an interrupted
// seal, reopens a segment left open (cutting a torn tail) or starts a new one.
Result<> open_partition(const std::string& dir, const CommitTable& commits, bool& scanned, int& fd,
                        std::uint64_t& number, SegmentInfo& info) {
  if (fd >= 0) return {};
  std::error_code ec;
  if (!scanned) {
    fs::create_directories(dir, ec);
    if (ec) {
      return Error(ErrorCode::io_error, "cannot create " + dir + ": " + ec.message());
    }
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".tmp") fs::remove(e.path(), ec);
    }
    number = 1;
    bool reopen = false;
    for (const auto& [n, sealed] : list_segments(dir)) {
      if (sealed) fs::remove(segment_path(dir, n, false), ec);  // sealed: the .ndjson is stale
      number = n;
      reopen = !sealed;
    }
    if (!reopen && number > 1) ++number;
    if (!reopen && number == 1 && fs::exists(segment_path(dir, 1, true), ec)) number = 2;
    scanned = true;
    if (reopen) {
      const std::string path = segment_path(dir, number, false);
      std::string data;
      if (!read_file(path, data)) {
        return Error(ErrorCode::io_error, sys_error("cannot read", path));
      }
      // Cut a torn tail, and what an interrupted flush wrote but never
      // committed (readers do not see it either).
      std::size_t keep = data.rfind('\n') == std::string::npos ? 0 : data.rfind('\n') + 1;
      keep = committed_prefix(std::string_view(data).substr(0, keep), commits);
      if (keep != data.size() && ::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
        return Error(ErrorCode::io_error, sys_error("cannot cut the torn tail of", path));
      }
      info = scan_records(std::string_view(data).substr(0, keep));
    } else {
      info = SegmentInfo{};
    }
  }
  const std::string path = segment_path(dir, number, false);
  fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Error(ErrorCode::io_error, sys_error("cannot open", path));
  }
  return {};
}

}  // namespace

Result<> FileStoreWriter::flush() {
  seal_due_ = false;  // sealed below
  bool wrote = false;
  for (auto& pp : partitions_) {
    Partition& p = *pp;
    if (p.buf.empty()) continue;
    const bool was_open = p.fd >= 0;
    if (auto opened = open_partition(p.dir, commits_, p.scanned, p.fd, p.number, p.info); !opened) {
      return opened;
    }
    if (!was_open) ++open_count_;
    if (!write_all(p.fd, p.buf.data(), p.buf.size())) {
      return Error(ErrorCode::io_error,
                   sys_error("cannot write", segment_path(p.dir, p.number, false)));
    }
    if (options_.sync && ::fdatasync(p.fd) != 0) {
      return Error(ErrorCode::io_error,
                   sys_error("cannot sync", segment_path(p.dir, p.number, false)));
    }
    if (p.info.count == 0) p.info.first = p.buf_first;
    p.info.first = std::min(p.info.first, p.buf_first);
    p.info.last = std::max(p.info.last, p.buf_last);
    p.info.count += p.buf_count;
    p.info.raw_bytes += p.buf.size();
    pending_ -= p.buf.size();
    p.buf.clear();
    p.buf_count = 0;
    wrote = true;
  }
  if (!wrote && position_ == committed_position_) return {};
  // Only now are this flush's records visible, all of them at once: a crash
  // in the loop above leaves them unseen and cut by the next writer, so
  // what survives is always a prefix of what was appended.
  if (!commit(seq_ - 1) || (options_.sync && ::fdatasync(commit_fd_) != 0)) {
    return Error(ErrorCode::io_error, sys_error("cannot commit in", options_.dir + "/.commits"));
  }
  for (auto& p : partitions_) {
    if (p->fd < 0 || p->info.raw_bytes < options_.segment_bytes) continue;
    if (auto sealed = seal(*p); !sealed) return sealed;
  }
  while (open_count_ > options_.max_open) {
    Partition* lru = nullptr;
    for (auto& p : partitions_) {
      if (p->fd >= 0 && (!lru || p->used < lru->used)) lru = p.get();
    }
    if (!lru) break;
    if (auto sealed = seal(*lru); !sealed) return sealed;
  }
  return {};
}

Result<> FileStoreWriter::seal(Partition& p) {
  if (p.fd < 0) return {};
  const std::string src = segment_path(p.dir, p.number, false);
  const std::string dst = segment_path(p.dir, p.number, true);
  const std::string tmp = dst + ".tmp";
  // The buffers keep their (megabytes of) memory from seal to seal.
  std::string& data = seal_in_;
  std::string& out = seal_out_;
  if (!read_file(src, data)) {
    return Error(ErrorCode::io_error, sys_error("cannot read", src));
  }
  out.resize(8 + kHeaderPayload + ZSTD_compressBound(data.size()));
  put_u32(out.data(), kSkippableMagic);
  put_u32(out.data() + 4, kHeaderPayload);
  std::memcpy(out.data() + 8, kHeaderTag, 4);
  put_u64(out.data() + 12, p.info.count);
  put_u64(out.data() + 20, static_cast<std::uint64_t>(p.info.first));
  put_u64(out.data() + 28, static_cast<std::uint64_t>(p.info.last));
  put_u64(out.data() + 36, data.size());
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, options_.level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  const std::size_t n = ZSTD_compress2(cctx, out.data() + 8 + kHeaderPayload,
                                       out.size() - 8 - kHeaderPayload, data.data(), data.size());
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(n)) {
    return Error(ErrorCode::io_error,
                 std::string("cannot compress ") + src + ": " + ZSTD_getErrorName(n));
  }
  out.resize(8 + kHeaderPayload + n);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || !write_all(fd, out.data(), out.size()) || ::fsync(fd) != 0) {
    Error failed(ErrorCode::io_error, sys_error("cannot write", tmp));
    if (fd >= 0) ::close(fd);
    return failed;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    return Error(ErrorCode::io_error, sys_error("cannot rename", tmp));
  }
  if (int dfd = ::open(p.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  ::unlink(src.c_str());
  ::close(p.fd);
  p.fd = -1;
  --open_count_;
  ++p.number;
  p.info = SegmentInfo{};
  return {};
}

Result<> FileStoreWriter::close() {
  if (closed_) return {};
  closed_ = true;
  if (auto flushed = flush(); !flushed) return flushed;
  for (auto& p : partitions_) {
    if (auto sealed = seal(*p); !sealed) return sealed;
  }
  return {};
}

// ---------------------------------------------------------------- reader

struct FileStoreReader::Cursor {
  std::string venue, symbol, type, dir;
  std::vector<std::pair<std::uint64_t, bool>> segments;
  std::size_t next_segment = 0;
  int fd = -1;
  bool sealed = false;
  ZSTD_DCtx* dctx = nullptr;
  std::string in;  // compressed input
  ZSTD_inBuffer zin{nullptr, 0, 0};
  std::string buf;  // decompressed bytes
  std::size_t pos = 0;
  bool eof = true;  // of the current segment
  // The current record.
  Nanos time = 0;
  std::uint64_t seq = 0;
  std::string_view line;

  ~Cursor() {
    if (fd >= 0) ::close(fd);
    if (dctx) ZSTD_freeDCtx(dctx);
  }
};

namespace {

struct Later {
  template <class C>
  bool operator()(const C* a, const C* b) const {
    return a->time != b->time ? a->time > b->time : a->seq > b->seq;
  }
};

}  // namespace

Result<std::unique_ptr<FileStoreReader>> FileStoreReader::open(const std::string& dir,
                                                               const StoreFilter& filter) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error(ErrorCode::not_found, "no store at " + dir);
  std::unique_ptr<FileStoreReader> r(new FileStoreReader());
  r->filter_ = filter;
  r->commits_.load(dir);
  for_each_partition(dir, filter,
                     [&](const std::string& venue, const std::string& symbol, const std::string&,
                         const std::string& type, const std::string& path) {
                       auto c = std::make_unique<Cursor>();
                       c->venue = venue;
                       c->symbol = symbol;
                       c->type = type;
                       c->dir = path;
                       c->segments = list_segments(path);
                       r->cursors_.push_back(std::move(c));
                     });
  for (auto& c : r->cursors_) {
    if (r->advance(*c)) r->heap_.push_back(c.get());
    if (!r->error_.empty()) return Error(ErrorCode::corrupt, r->error_);
  }
  std::make_heap(r->heap_.begin(), r->heap_.end(), Later{});
  return std::unique_ptr<FileStoreReader>(std::move(r));
}

FileStoreReader::~FileStoreReader() = default;

std::vector<std::string> FileStoreReader::venues() const {
  std::vector<std::string> out;
  for (const auto& c : cursors_) {
    if (std::find(out.begin(), out.end(), c->venue) == out.end()) out.push_back(c->venue);
  }
  return out;
}

// Moves a cursor to its next record in the filter's time range; false when
// the partition is exhausted (or on an error, in error_).
bool FileStoreReader::advance(Cursor& c) {
  for (;;) {
    if (c.eof) {
      if (c.fd >= 0) ::close(c.fd);
      c.fd = -1;
      // Next segment whose time range can match.
      for (;;) {
        if (c.next_segment == c.segments.size()) return false;
        const std::uint64_t n = c.segments[c.next_segment].first;
        bool sealed = c.segments[c.next_segment++].second;
        const std::string path = segment_path(c.dir, n, sealed);
        if (sealed) {
          SegmentInfo info;
          if (!read_header(path, info)) {
            error_ = "corrupt segment " + path;
            return false;
          }
          if ((filter_.from && info.last < *filter_.from) ||
              (filter_.to && info.first > *filter_.to)) {
            continue;
          }
        }
        c.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (c.fd < 0 && !sealed && errno == ENOENT) {
          // Sealed meanwhile by a running writer.
          c.fd = ::open(segment_path(c.dir, n, true).c_str(), O_RDONLY | O_CLOEXEC);
          sealed = true;
        }
        if (c.fd < 0) {
          error_ = sys_error("cannot open", path);
          return false;
        }
        c.sealed = sealed;
        if (sealed) {
          if (!c.dctx) c.dctx = ZSTD_createDCtx();
          ZSTD_DCtx_reset(c.dctx, ZSTD_reset_session_only);
          c.in.resize(ZSTD_DStreamInSize());
          c.zin = ZSTD_inBuffer{c.in.data(), 0, 0};
        }
        c.buf.clear();
        c.pos = 0;
        c.eof = false;
        break;
      }
    }
    // A complete record in the buffer?
    const std::size_t nl = c.buf.find('\n', c.pos);
    if (nl != std::string::npos) {
      std::string_view rec(c.buf.data() + c.pos, nl - c.pos);
      c.pos = nl + 1;
      if (!parse_record(rec, c.time, c.seq, c.line)) {
        error_ = "corrupt record in " + c.dir;
        return false;
      }
      if (!c.sealed && !commits_.visible(c.seq)) continue;  // written, never committed
      if (filter_.from && c.time < *filter_.from) continue;
      if (filter_.to && c.time > *filter_.to) continue;
      return true;
    }
    // Read more.
    c.buf.erase(0, c.pos);
    c.pos = 0;
    char chunk[1 << 16];
    std::size_t got = 0;
    if (!c.sealed) {
      ssize_t r;
      do {
        r = ::read(c.fd, chunk, sizeof chunk);
      } while (r < 0 && errno == EINTR);
      if (r < 0) {
        error_ = sys_error("cannot read", c.dir);
        return false;
      }
      got = static_cast<std::size_t>(r);
      c.buf.append(chunk, got);
      if (got == 0) c.eof = true;  // a torn tail without '\n' stays unseen
    } else {
      ZSTD_outBuffer out{chunk, sizeof chunk, 0};
      while (out.pos == 0) {
        if (c.zin.pos == c.zin.size) {
          ssize_t r;
          do {
            r = ::read(c.fd, c.in.data(), c.in.size());
          } while (r < 0 && errno == EINTR);
          if (r <= 0) {
            if (r < 0) error_ = sys_error("cannot read", c.dir);
            c.eof = true;
            break;
          }
          c.zin = ZSTD_inBuffer{c.in.data(), static_cast<std::size_t>(r), 0};
        }
        const std::size_t rc = ZSTD_decompressStream(c.dctx, &out, &c.zin);
        if (ZSTD_isError(rc)) {
          error_ = "corrupt segment in " + c.dir + ": " + ZSTD_getErrorName(rc);
          return false;
        }
      }
      if (!error_.empty()) return false;
      c.buf.append(chunk, out.pos);
    }
  }
}

bool FileStoreReader::next(StoredRecord& r) {
  if (current_) {
    if (advance(*current_)) {
      heap_.push_back(current_);
      std::push_heap(heap_.begin(), heap_.end(), Later{});
    }
    current_ = nullptr;
    if (!error_.empty()) return false;
  }
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  current_ = heap_.back();
  heap_.pop_back();
  r.time = current_->time;
  r.seq = current_->seq;
  r.venue = current_->venue;
  r.symbol = current_->symbol;
  r.type = current_->type;
  r.line = current_->line;
  return true;
}

// ---------------------------------------------------------------- ls

Result<std::vector<StoredSeries>> list_store(const std::string& dir, const StoreFilter& filter) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error(ErrorCode::not_found, "no store at " + dir);
  std::vector<StoredSeries> out;
  std::map<std::tuple<std::string, std::string, std::string>, StoredSeries> series;
  CommitTable commits;
  commits.load(dir);
  for_each_partition(dir, filter,
                     [&](const std::string& venue, const std::string& symbol, const std::string&,
                         const std::string& type, const std::string& path) {
                       auto key = std::make_tuple(venue, symbol, type);
                       StoredSeries& s = series[key];
                       s.venue = venue;
                       s.symbol = symbol;
                       s.type = type;
                       bool any = false;
                       for (const auto& [n, sealed] : list_segments(path)) {
                         const std::string seg = segment_path(path, n, sealed);
                         SegmentInfo info;
                         if (sealed) {
                           if (!read_header(seg, info)) continue;
                         } else {
                           std::string data;
                           if (!read_file(seg, data)) continue;
                           const std::string_view whole(data.data(), data.rfind('\n') + 1);
                           info = scan_records(whole.substr(0, committed_prefix(whole, commits)));
                         }
                         if (info.count == 0) continue;
                         s.first = s.records == 0 ? info.first : std::min(s.first, info.first);
                         s.last = s.records == 0 ? info.last : std::max(s.last, info.last);
                         s.records += info.count;
                         s.raw_bytes += info.raw_bytes;
                         s.bytes += fs::file_size(seg, ec);
                         ++s.segments;
                         any = true;
                       }
                       if (any) ++s.days;
                     });
  for (auto& [k, s] : series) {
    if (s.records > 0) out.push_back(s);
  }
  return out;
}

}  // namespace ot
