#include "io/shm_ring.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <optional>

#include "core/spin.h"

namespace ot::shm {
namespace {

constexpr std::uint64_t kMagic = 0x31474e49524d4853ULL;  // "SHMRING1"
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kRecordTag = 0x4f43524fU;  // a record header's upper half
constexpr std::uint32_t kSkipTag = 0x50494b53U;    // bytes a dead producer left: no record
constexpr std::size_t kDataOffset = 4096;
constexpr std::uint64_t kDefaultSize = 8ULL << 20;
constexpr std::uint64_t kMinSize = 64ULL << 10;
constexpr std::uint64_t kMaxSize = 1ULL << 30;
constexpr std::size_t kNameMax = 100;
constexpr std::size_t kReaderNameMax = 31;

using Word = std::uint64_t;
using A32 = std::atomic<std::uint32_t>;
using A64 = std::atomic<std::uint64_t>;
static_assert(A32::is_always_lock_free && A64::is_always_lock_free && sizeof(A32) == 4);

// A reader's place in the header.
struct alignas(64) Slot {
  A32 state;     // 0 free, 1 taken (its position is kept, live or not)
  A32 bell;      // futex word: the producer adds one to wake the reader
  A64 position;  // the next record's position
  A64 next_seq;  // the next record's sequence number (0: not known yet)
  A32 fifo;      // 1: also wake it through its FIFO (Consumer::arm_fd)
  std::uint32_t pad;
  char name[kReaderNameMax + 1];
};
static_assert(sizeof(Slot) == 64);

// The ring's header, at the start of the file. Positions count bytes from
// the ring's creation and never wrap; a record at position p starts at byte
// p % capacity of the data, which follows the header at kDataOffset.
struct Control {
  std::atomic<std::uint64_t> magic;  // written last when the ring is made
  std::uint32_t version;
  A32 delivery;  // Delivery, set by the first producer
  std::uint64_t capacity;
  A32 readers_expected;
  std::atomic<std::int32_t> producer_pid;
  alignas(64) A64 head;      // end of the last record published
  A64 reserve;               // end of the record being written (>= head)
  A64 tail;                  // start of the oldest record not overwritten
  A64 next_seq;              // the next record's sequence number (from 1)
  A32 ended;                 // the producer closed the stream
  alignas(64) A64 sleepers;  // bit i: reader slot i waits to be woken
  A32 space_bell;            // futex word: a reliable producer waits for room
  A32 producer_waiting;
  alignas(64) Slot slots[kMaxReaders];
};
static_assert(sizeof(Control) <= kDataOffset);

// Byte ranges locked (open file description locks, released by the kernel
// when the process dies however it dies): 0 the producer, 1 + i reader i.
constexpr off_t kProducerLock = 0;
constexpr off_t reader_lock(unsigned i) { return 1 + static_cast<off_t>(i); }

bool try_lock_byte(int fd, off_t at) {
  struct flock l {};
  l.l_type = F_WRLCK;
  l.l_whence = SEEK_SET;
  l.l_start = at;
  l.l_len = 1;
  return ::fcntl(fd, F_OFD_SETLK, &l) == 0;
}

long futex(A32* word, int op, std::uint32_t value, const timespec* timeout) {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, value, timeout, nullptr,
                   0);
}

void futex_wake(A32* word) { futex(word, FUTEX_WAKE, INT_MAX, nullptr); }

// Sleeps while *word == value, up to `ns` (-1: no limit). False when a
// signal ended the sleep.
bool futex_wait(A32* word, std::uint32_t value, std::int64_t ns) {
  timespec ts{};
  if (ns >= 0) {
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  }
  return futex(word, FUTEX_WAIT, value, ns >= 0 ? &ts : nullptr) == 0 || errno != EINTR;
}

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

constexpr std::uint64_t round8(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }
constexpr std::uint64_t record_bytes(std::uint64_t len) { return kHeaderBytes + round8(len); }

std::string bell_path(const Endpoint& e, unsigned slot) {
  return e.path() + ".bell" + std::to_string(slot);
}

// Whether `path` still names the file open on `fd` (a stream's end and an
// unused ring's removal take the name away).
bool names_file(const std::string& path, int fd) {
  struct stat named {
  }, open{};
  return ::stat(path.c_str(), &named) == 0 && ::fstat(fd, &open) == 0 &&
         named.st_dev == open.st_dev && named.st_ino == open.st_ino;
}

void remove_ring_files(const Endpoint& e) {
  ::unlink(e.path().c_str());
  for (unsigned i = 0; i < kMaxReaders; ++i) ::unlink(bell_path(e, i).c_str());
}

std::string size_text(std::uint64_t n) {
  if (n % (1ULL << 30) == 0) return std::to_string(n >> 30) + "G";
  if (n % (1ULL << 20) == 0) return std::to_string(n >> 20) + "M";
  return std::to_string(n >> 10) + "K";
}

bool valid_name(std::string_view n, std::size_t max) {
  if (n.empty() || n.size() > max || n.front() == '.') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::optional<std::uint64_t> parse_u64(std::string_view t) {
  std::uint64_t v = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

// The spin and yield phases of a wait, as the endpoint budgets them: true
// once done() says so; false when both budgets, or `deadline` (monotonic
// ns), are spent. done() is asked every turn, the clock every 64.
template <class Done>
bool spin_then_yield(const Endpoint& e, std::int64_t deadline, Done done) {
  const std::int64_t start = now_ns();
  const std::int64_t spin_until = e.spin_ns < 0 ? INT64_MAX : start + e.spin_ns;
  const std::int64_t yield_until = e.spin_ns < 0 ? INT64_MAX : spin_until + e.yield_ns;
  for (unsigned i = 1;; ++i) {
    if (done()) return true;
    if ((i & 63) != 0) {
      cpu_relax();
      continue;
    }
    const std::int64_t now = now_ns();
    if (now >= deadline || now >= yield_until) return false;
    if (now >= spin_until) ::sched_yield();
  }
}

}  // namespace

// The mapped file, with the lock that makes opening atomic held from
// map() until unlock().
struct Mapping {
  int fd = -1;
  Control* c = nullptr;
  Word* data = nullptr;
  std::size_t bytes = 0;
  std::uint64_t capacity = 0, words_mask = 0;

  ~Mapping() {
    if (c != nullptr) ::munmap(c, bytes);
    if (fd >= 0) ::close(fd);
  }
  // The open lock: held while a ring is made or its slots change hands.
  bool lock() const {
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) return false;
    }
    return true;
  }
  void unlock() const { ::flock(fd, LOCK_UN); }

  Word load(std::uint64_t pos) const {
    return std::atomic_ref<Word>(data[(pos >> 3) & words_mask]).load(std::memory_order_relaxed);
  }
  void store(std::uint64_t pos, Word w) const {
    std::atomic_ref<Word>(data[(pos >> 3) & words_mask]).store(w, std::memory_order_relaxed);
  }
  // Copies `n` bytes from `src` into the ring at `pos` (8-aligned), the
  // last word padded with zeros.
  void put(std::uint64_t pos, const char* src, std::size_t n) const {
    for (std::size_t i = 0; i < n; i += 8, pos += 8) {
      Word w = 0;
      std::memcpy(&w, src + i, std::min<std::size_t>(8, n - i));
      store(pos, w);
    }
  }
  void get(std::uint64_t pos, Word* dst, std::size_t words) const {
    for (std::size_t i = 0; i < words; ++i, pos += 8) dst[i] = load(pos);
  }

  static Result<std::unique_ptr<Mapping>> open(const Endpoint& e);
};

Result<std::unique_ptr<Mapping>> Mapping::open(const Endpoint& e) {
  auto m = std::make_unique<Mapping>();
  const std::string path = e.path();
  const std::string where = e.uri() + " (" + path + ")";
  // Opened, then locked; if the name went meanwhile (a stream ended, an
  // unused ring was removed), the file is left to those who hold it and
  // the name opened again: a new ring.
  for (int attempt = 0;; ++attempt) {
    m->fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m->fd < 0) return os_error(where, errno);
    if (!m->lock()) return os_error(where, errno);
    if (names_file(path, m->fd) || attempt == 10) break;
    ::close(m->fd);
  }
  struct stat st {};
  if (::fstat(m->fd, &st) != 0) return os_error(where, errno);
  std::uint64_t magic = 0, capacity = 0;
  const bool made = static_cast<std::size_t>(st.st_size) >= kDataOffset &&
                    ::pread(m->fd, &magic, 8, offsetof(Control, magic)) == 8 && magic == kMagic &&
                    ::pread(m->fd, &capacity, 8, offsetof(Control, capacity)) == 8;
  if (made) {
    if (capacity < kMinSize || capacity > kMaxSize || !std::has_single_bit(capacity) ||
        static_cast<std::uint64_t>(st.st_size) != kDataOffset + capacity) {
      return Error(ErrorCode::corrupt, where + ": not a ring of this version; remove it");
    }
    if (e.size != 0 && e.size != capacity) {
      return Error(ErrorCode::invalid_argument, where + ": the ring holds " + size_text(capacity) +
                                                    ", not " + size_text(e.size) +
                                                    " (give the same size=, or remove it)");
    }
  } else {
    // New, or left half-made by a process that died while making it.
    capacity = e.size != 0 ? e.size : kDefaultSize;
    if (::ftruncate(m->fd, 0) != 0) return os_error(where, errno);
    // Allocated now, so a full /dev/shm is an error here, not a SIGBUS later.
    if (const int err = ::posix_fallocate(m->fd, 0, static_cast<off_t>(kDataOffset + capacity))) {
      return os_error(where, err);
    }
  }
  m->bytes = kDataOffset + capacity;
  void* p = ::mmap(nullptr, m->bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, m->fd, 0);
  if (p == MAP_FAILED) return os_error(where, errno);
  m->c = static_cast<Control*>(p);
  m->data = reinterpret_cast<Word*>(static_cast<char*>(p) + kDataOffset);
  m->capacity = capacity;
  m->words_mask = capacity / 8 - 1;
  if (!made) {
    // The file is all zeros: every position, sequence and slot starts there.
    m->c->version = kVersion;
    m->c->capacity = capacity;
    m->c->next_seq.store(1);
    m->c->magic.store(kMagic, std::memory_order_release);
  } else if (m->c->version != kVersion) {
    return Error(ErrorCode::corrupt, where + ": a ring of another version; remove it");
  }
  return m;
}

// ---- the endpoint ----

std::string Endpoint::path() const { return "/dev/shm/ot-shm." + name; }

bool is_shm_uri(std::string_view uri) { return uri.starts_with("shm://"); }

Result<Endpoint> parse_shm_uri(std::string_view uri) {
  auto bad = [&uri](std::string_view why) {
    return Error(ErrorCode::invalid_argument, std::string(uri) + ": " + std::string(why));
  };
  if (!is_shm_uri(uri)) return bad("not a shm:// endpoint");
  std::string_view rest = uri.substr(6);
  Endpoint e;
  const std::size_t q = rest.find('?');
  e.name = std::string(rest.substr(0, q));
  if (!valid_name(e.name, kNameMax)) {
    return bad("the ring's name is 1 to 100 of A-Z a-z 0-9 . _ - (not starting with .)");
  }
  std::string_view opts = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
  while (!opts.empty()) {
    const std::size_t amp = opts.find('&');
    const std::string_view kv = opts.substr(0, amp);
    opts = amp == std::string_view::npos ? std::string_view() : opts.substr(amp + 1);
    const std::size_t eq = kv.find('=');
    const std::string_view key = kv.substr(0, eq);
    const std::string_view val =
        eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
    if (key == "size") {
      std::uint64_t mult = 1;
      std::string_view digits = val;
      if (!digits.empty()) {
        const char unit = digits.back();
        mult = unit == 'K' || unit == 'k'   ? 1ULL << 10
               : unit == 'M' || unit == 'm' ? 1ULL << 20
               : unit == 'G' || unit == 'g' ? 1ULL << 30
                                            : 1;
        if (mult != 1) digits.remove_suffix(1);
      }
      const auto n = parse_u64(digits);
      if (!n || *n > kMaxSize || *n * mult < kMinSize || *n * mult > kMaxSize ||
          !std::has_single_bit(*n * mult)) {
        return bad("size= is a power of two from 64K to 1G (as 64K, 8M, 1G)");
      }
      e.size = *n * mult;
    } else if (key == "spin" || key == "yield") {
      std::int64_t ns = -1;
      if (val != "forever") {
        const auto n = parse_u64(val);
        if (!n || *n > 60'000'000)
          return bad(std::string(key) + "= is microseconds (0 to 60000000)" +
                     (key == "spin" ? " or forever" : ""));
        ns = static_cast<std::int64_t>(*n) * 1000;
      } else if (key == "yield") {
        return bad("yield= is microseconds (0 to 60000000)");
      }
      (key == "spin" ? e.spin_ns : e.yield_ns) = ns;
    } else if (key == "reader") {
      if (!valid_name(val, kReaderNameMax)) {
        return bad("reader= is 1 to 31 of A-Z a-z 0-9 . _ -");
      }
      e.reader = std::string(val);
    } else if (key == "readers") {
      const auto n = parse_u64(val);
      if (!n || *n < 1 || *n > kMaxReaders) return bad("readers= is 1 to 32");
      e.readers = static_cast<unsigned>(*n);
    } else {
      return bad("unknown option '" + std::string(key) +
                 "' (size=, spin=, yield=, reader=, readers=)");
    }
  }
  return e;
}

// ---- the producer ----

Producer::Producer(std::unique_ptr<Mapping> m, const Endpoint& e)
    : m_(std::move(m)), e_(e), bell_fds_(kMaxReaders, -1) {
  Control& c = *m_->c;
  head_ = c.head.load(std::memory_order_acquire);
  tail_ = c.tail.load(std::memory_order_acquire);
  seq_ = c.next_seq.load(std::memory_order_acquire);
  floor_ = tail_;
}

Result<std::unique_ptr<Producer>> Producer::open(const Endpoint& e, Delivery d, unsigned readers) {
  auto opened = Mapping::open(e);
  if (!opened) return opened.error();
  auto m = std::move(opened).value();
  Control& c = *m->c;
  const std::string where = e.uri();
  if (!try_lock_byte(m->fd, kProducerLock)) {
    return Error(ErrorCode::refused, where + ": another process (pid " +
                                         std::to_string(c.producer_pid.load()) +
                                         ") writes to this ring");
  }
  const auto had = static_cast<Delivery>(c.delivery.load());
  if (had != Delivery::unset && had != d) {
    return Error(ErrorCode::invalid_argument,
                 where + ": the ring carries " +
                     (had == Delivery::reliable ? "orders (reliable)" : "market data") + ", not " +
                     (d == Delivery::reliable ? "orders (reliable)" : "market data") + "; remove " +
                     e.path() + " to start afresh");
  }
  c.delivery.store(static_cast<std::uint32_t>(d));
  c.readers_expected.store(e.readers != 0 ? e.readers : std::max(readers, 1U));
  // A producer that died while writing left a record claimed but not
  // published: its bytes become a skip record (the claim never goes back,
  // or a reader a ring behind could take them for whole), and this one
  // appends after it.
  const std::uint64_t head = c.head.load(), reserve = c.reserve.load();
  if (reserve > head) {
    m->store(head, (Word{kSkipTag} << 32) | (reserve - head - kHeaderBytes));
    m->store(head + 8, 0);
    c.head.store(reserve, std::memory_order_seq_cst);
  }
  c.producer_waiting.store(0);
  c.producer_pid.store(static_cast<std::int32_t>(::getpid()));
  c.ended.store(0);
  m->unlock();
  return std::unique_ptr<Producer>(new Producer(std::move(m), e));
}

Producer::~Producer() {
  close();
  for (int fd : bell_fds_) {
    if (fd >= 0) ::close(fd);
  }
}

std::uint64_t Producer::capacity() const { return m_->capacity; }

// The lowest position a reliable ring must keep: the slowest reader's, or
// the oldest record while fewer readers than expected have joined.
std::uint64_t Producer::floor() {
  Control& c = *m_->c;
  unsigned joined = 0;
  std::uint64_t low = head_;
  for (const Slot& s : c.slots) {
    if (s.state.load(std::memory_order_acquire) == 0) continue;
    ++joined;
    low = std::min(low, s.position.load(std::memory_order_seq_cst));
  }
  if (joined < c.readers_expected.load(std::memory_order_relaxed)) low = std::min(low, tail_);
  return low;
}

bool Producer::wait_for_room(std::uint64_t end, const volatile std::sig_atomic_t* stop) {
  Control& c = *m_->c;
  const auto room = [&] {
    floor_ = floor();
    return end - floor_ <= m_->capacity;
  };
  const auto stopped = [stop] { return stop != nullptr && *stop != 0; };
  spin_then_yield(e_, INT64_MAX, [&] { return room() || stopped(); });
  for (;;) {
    if (room()) return true;
    if (stopped()) {
      error_ = e_.uri() + ": stopped while waiting for a reader to make room";
      return false;
    }
    const std::uint32_t bell = c.space_bell.load(std::memory_order_acquire);
    c.producer_waiting.store(1, std::memory_order_seq_cst);
    if (!room()) futex_wait(&c.space_bell, bell, 200'000'000);
    c.producer_waiting.store(0, std::memory_order_relaxed);
  }
}

bool Producer::write(std::string_view record, const volatile std::sig_atomic_t* stop) {
  Control& c = *m_->c;
  const std::uint64_t cap = m_->capacity;
  const std::uint64_t bytes = record_bytes(record.size());
  if (bytes > cap) {
    error_ = e_.uri() + ": a record of " + std::to_string(record.size()) +
             " bytes does not fit the ring of " + size_text(cap) + " (give a larger size=)";
    return false;
  }
  const std::uint64_t end = head_ + bytes;
  if (c.delivery.load(std::memory_order_relaxed) ==
          static_cast<std::uint32_t>(Delivery::reliable) &&
      end - floor_ > cap && !wait_for_room(end, stop)) {
    return false;
  }
  // Step the oldest record past what this one overwrites.
  if (end > cap && tail_ < end - cap) {
    while (tail_ < end - cap) tail_ += record_bytes(m_->load(tail_) & 0xffffffffU);
    c.tail.store(tail_, std::memory_order_release);
  }
  // Claim, then write: a reader that copied from the claimed bytes sees
  // the claim after its copy and drops what it read.
  c.reserve.store(end, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  m_->store(head_, (Word{kRecordTag} << 32) | record.size());
  m_->store(head_ + 8, seq_);
  m_->put(head_ + kHeaderBytes, record.data(), record.size());
  c.head.store(end, std::memory_order_seq_cst);
  // After the record: a producer killed in between leaves the number to be
  // used again, never a hole that would read as a loss.
  c.next_seq.store(seq_ + 1, std::memory_order_relaxed);
  head_ = end;
  ++seq_;
  if (c.sleepers.load(std::memory_order_seq_cst) != 0) wake_readers();
  return true;
}

void Producer::wake_readers() {
  Control& c = *m_->c;
  std::uint64_t bits = c.sleepers.exchange(0, std::memory_order_seq_cst);
  while (bits != 0) {
    const auto i = static_cast<unsigned>(std::countr_zero(bits));
    bits &= bits - 1;
    Slot& s = c.slots[i];
    s.bell.fetch_add(1, std::memory_order_release);
    futex_wake(&s.bell);
    if (s.fifo.load(std::memory_order_acquire) == 0) continue;
    if (bell_fds_[i] < 0) {
      bell_fds_[i] = ::open(bell_path(e_, i).c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    }
    if (bell_fds_[i] >= 0) {
      const char one = 1;
      [[maybe_unused]] const ssize_t n = ::write(bell_fds_[i], &one, 1);  // full: rung already
    }
  }
}

void Producer::close() {
  if (closed_ || !m_) return;
  closed_ = true;
  Control& c = *m_->c;
  c.ended.store(1, std::memory_order_seq_cst);
  c.sleepers.store(~std::uint64_t{0} >> (64 - kMaxReaders), std::memory_order_seq_cst);
  wake_readers();
  // The stream is over: its name goes (readers that hold it read on), and
  // the next producer starts a new one. A reader that is not running loses
  // what it had not read: an ended session's orders or executions never
  // reach the next session (positions counted twice, stale orders sent).
  remove_ring_files(e_);
}

// ---- the consumer ----

Consumer::Consumer(std::unique_ptr<Mapping> m, const Endpoint& e, unsigned slot, std::string reader)
    : m_(std::move(m)), e_(e), slot_(slot), reader_(std::move(reader)) {
  const Slot& s = m_->c->slots[slot_];
  pos_ = committed_ = s.position.load(std::memory_order_acquire);
  next_seq_ = s.next_seq.load(std::memory_order_acquire);
  seq_known_ = next_seq_ != 0;
}

Result<std::unique_ptr<Consumer>> Consumer::open(const Endpoint& e,
                                                 const std::string& default_reader) {
  std::string reader = e.reader.empty() ? default_reader : e.reader;
  if (!valid_name(reader, kReaderNameMax)) reader = "reader";
  auto opened = Mapping::open(e);
  if (!opened) return opened.error();
  auto m = std::move(opened).value();
  Control& c = *m->c;
  std::optional<unsigned> mine, free;
  for (unsigned i = 0; i < kMaxReaders; ++i) {
    const Slot& s = c.slots[i];
    if (s.state.load() == 0) {
      if (!free) free = i;
    } else if (reader == s.name) {
      mine = i;
    }
  }
  if (mine) {
    if (!try_lock_byte(m->fd, reader_lock(*mine))) {
      return Error(ErrorCode::refused, e.uri() + ": reader '" + reader +
                                           "' is held by another process (name another with "
                                           "reader=)");
    }
  } else {
    if (!free || !try_lock_byte(m->fd, reader_lock(*free))) {
      return Error(ErrorCode::invalid_argument, e.uri() + ": all " + std::to_string(kMaxReaders) +
                                                    " reader places are taken; remove " + e.path() +
                                                    " to start afresh");
    }
    mine = free;
    Slot& s = c.slots[*mine];
    std::memset(s.name, 0, sizeof s.name);
    std::memcpy(s.name, reader.data(), reader.size());
    // The oldest record's sequence number, so that a loss before the
    // first read is told too (unknown if the producer overwrites it now).
    const std::uint64_t head = c.head.load(std::memory_order_acquire);
    const std::uint64_t next = c.next_seq.load(std::memory_order_acquire);
    const std::uint64_t tail = c.tail.load(std::memory_order_acquire);
    std::uint64_t seq = 0;
    if (tail == head) {
      seq = next;
    } else {
      const Word w0 = m->load(tail), w1 = m->load(tail + 8);
      std::atomic_thread_fence(std::memory_order_acquire);
      if ((w0 >> 32) == kRecordTag &&
          c.reserve.load(std::memory_order_relaxed) <= tail + m->capacity) {
        seq = w1;
      }
    }
    s.next_seq.store(seq);
    s.position.store(tail, std::memory_order_seq_cst);
    s.state.store(1, std::memory_order_seq_cst);
  }
  Slot& s = c.slots[*mine];
  s.fifo.store(0);
  c.sleepers.fetch_and(~(std::uint64_t{1} << *mine));
  m->unlock();
  return std::unique_ptr<Consumer>(new Consumer(std::move(m), e, *mine, std::move(reader)));
}

Consumer::~Consumer() {
  if (pos_ != committed_) commit();
  if (armed_) disarm();
  if (bell_fd_ >= 0) ::close(bell_fd_);
  remove_if_unused();
}

void Consumer::remove_if_unused() {
  Control& c = *m_->c;
  if (c.producer_pid.load() != 0 || !m_->lock()) return;
  bool unused = c.producer_pid.load() == 0 && names_file(e_.path(), m_->fd);
  for (unsigned i = 0; unused && i < kMaxReaders; ++i) {
    // Another reader that is running holds its place's lock.
    if (i != slot_ && c.slots[i].state.load() != 0 && !try_lock_byte(m_->fd, reader_lock(i))) {
      unused = false;
    }
  }
  if (unused) remove_ring_files(e_);
  m_->unlock();
}

bool Consumer::ready() const {
  const Control& c = *m_->c;
  return c.head.load(std::memory_order_acquire) != pos_ ||
         c.ended.load(std::memory_order_acquire) != 0;
}

void Consumer::commit() {
  Control& c = *m_->c;
  Slot& s = c.slots[slot_];
  committed_ = pos_;
  s.next_seq.store(seq_known_ ? next_seq_ : 0, std::memory_order_relaxed);
  if (c.delivery.load(std::memory_order_relaxed) !=
      static_cast<std::uint32_t>(Delivery::reliable)) {
    s.position.store(pos_, std::memory_order_release);
    return;
  }
  s.position.store(pos_, std::memory_order_seq_cst);
  if (c.producer_waiting.load(std::memory_order_seq_cst) != 0) {
    c.space_bell.fetch_add(1, std::memory_order_release);
    futex_wake(&c.space_bell);
  }
}

Consumer::Read Consumer::try_read(std::string_view& record, std::uint64_t& lost) {
  Control& c = *m_->c;
  const std::uint64_t cap = m_->capacity;
  lost = 0;
  // The record handed out last was handled: its place is kept now.
  if (pos_ != committed_) commit();
  for (;;) {
    const std::uint64_t head = c.head.load(std::memory_order_acquire);
    if (pos_ == head) {
      if (c.ended.load(std::memory_order_acquire) == 0) return Read::none;
      if (c.head.load(std::memory_order_acquire) == pos_) return Read::ended;
      continue;
    }
    const bool behind = head > pos_ && head - pos_ <= cap;
    std::uint64_t len = 0, seq = 0;
    std::uint32_t tag = 0;
    bool sound = false;
    if (behind) {
      const Word w0 = m_->load(pos_);
      seq = m_->load(pos_ + 8);
      len = w0 & 0xffffffffU;
      tag = static_cast<std::uint32_t>(w0 >> 32);
      sound = (tag == kRecordTag || tag == kSkipTag) && record_bytes(len) <= head - pos_;
      if (sound && tag == kRecordTag) {
        const std::size_t words = round8(len) / 8;
        buf_.resize(words + (padding_ + 7) / 8 + 1);
        m_->get(pos_ + kHeaderBytes, buf_.data(), words);
      }
    }
    // Whatever was read is good only if the producer had not claimed its
    // bytes for a newer record by the time the copy ended.
    std::atomic_thread_fence(std::memory_order_acquire);
    const bool overwritten = !behind || c.reserve.load(std::memory_order_relaxed) > pos_ + cap;
    if (overwritten) {
      // Go on from the oldest record left; the sequence numbers tell how
      // many were lost.
      pos_ = c.tail.load(std::memory_order_acquire);
      continue;
    }
    if (!sound) return Read::corrupt;  // not overwritten, yet not a record
    pos_ += record_bytes(len);
    if (tag == kSkipTag) continue;
    if (seq_known_ && seq > next_seq_) lost = seq - next_seq_;
    next_seq_ = seq + 1;
    seq_known_ = true;
    if (armed_) disarm();
    record = std::string_view(reinterpret_cast<const char*>(buf_.data()), len);
    return Read::record;
  }
}

bool Consumer::spin(std::int64_t deadline, const std::function<bool()>& also) const {
  return spin_then_yield(e_, deadline, [&] { return ready() || (also && also()); });
}

bool Consumer::wait(int timeout_ms) {
  if (ready()) return true;
  if (timeout_ms == 0) return false;
  Control& c = *m_->c;
  Slot& s = c.slots[slot_];
  const std::int64_t deadline =
      timeout_ms < 0 ? INT64_MAX : now_ns() + timeout_ms * std::int64_t{1'000'000};
  if (spin(deadline, nullptr)) return true;
  const std::uint64_t bit = std::uint64_t{1} << slot_;
  for (;;) {
    const std::uint32_t bell = s.bell.load(std::memory_order_acquire);
    c.sleepers.fetch_or(bit, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the bit before the look
    if (ready()) {
      c.sleepers.fetch_and(~bit);
      return true;
    }
    const std::int64_t now = now_ns();
    if (now >= deadline) {
      c.sleepers.fetch_and(~bit);
      return false;
    }
    const bool slept = futex_wait(&s.bell, bell, timeout_ms < 0 ? -1 : deadline - now);
    c.sleepers.fetch_and(~bit);
    if (ready()) return true;
    // A signal ends the wait, so that a stop flag is looked at.
    if (!slept || now_ns() >= deadline) return false;
  }
}

int Consumer::arm_fd() {
  Control& c = *m_->c;
  if (bell_fd_ < 0) {
    const std::string path = bell_path(e_, slot_);
    if (::mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST) return -1;
    bell_fd_ = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (bell_fd_ < 0) return -1;
  }
  drain_bell();  // a ring that came after the last disarm
  if (!armed_) {
    c.slots[slot_].fifo.store(1, std::memory_order_seq_cst);
    armed_ = true;
  }
  c.sleepers.fetch_or(std::uint64_t{1} << slot_, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // the bit before the look
  if (ready()) {
    const char one = 1;
    [[maybe_unused]] const ssize_t n = ::write(bell_fd_, &one, 1);
  }
  return bell_fd_;
}

void Consumer::disarm() {
  Control& c = *m_->c;
  armed_ = false;
  c.slots[slot_].fifo.store(0, std::memory_order_relaxed);
  c.sleepers.fetch_and(~(std::uint64_t{1} << slot_), std::memory_order_relaxed);
  drain_bell();
}

void Consumer::drain_bell() const {
  char sink[64];
  while (::read(bell_fd_, sink, sizeof sink) > 0) {
  }
}

}  // namespace ot::shm
