// A shared-memory ring between the programs of one host: `shm://NAME`.
//
// One producer appends variable-length records (event lines) to a ring in a
// memory-mapped file, /dev/shm/ot-shm.NAME; one or more consumers read them
// in order, each at its own position. The ring keeps, in its header, the
// producer's position and every reader's, so any side may be killed (kill
// -9 included) and started again: a restarted producer appends after what
// was published; a restarted reader resumes where it stopped.
//
// Two deliveries, chosen by the producer (man ot-transports):
//  - market data: the producer never waits. A reader that falls more than a
//    ring behind finds the records it missed overwritten; it is told how
//    many (Consumer::Read::lost) and goes on from the oldest record left.
//  - reliable (orders, executions): nothing is overwritten that a reader
//    has not read; the producer waits for room (backpressure). Before
//    `readers` readers have joined, the ring keeps everything from its
//    start, so readers that start late miss nothing either.
//
// Waiting (a reader for data, a reliable producer for room) spins, then
// yields, then sleeps on a futex, with the spin and yield budgets chosen per
// endpoint: spin for ever on a dedicated core, sleep at once on a shared
// one. A reader that also waits on descriptors (a socket, a pipe) asks for
// a descriptor instead (Consumer::arm_fd) and polls it with the others.
//
// The end of the stream: a producer that closes normally marks the ring
// ended and removes its name; readers that hold it read what is left and
// then see the end, as with a pipe, and a reader that is not running loses
// what it had not read (an ended session's orders and executions never
// reach the next one). A producer that dies leaves the ring as it was, for
// the next one, which appends to it.
//
// Threading: a Producer or a Consumer is used by one thread at a time.
// Records are copied in and out with relaxed 8-byte atomics and a
// sequence check (the seqlock pattern), so a reader never hands out a
// record the producer was overwriting while it was copied.
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ot::shm {

// What `shm://NAME[?options]` asks for.
struct Endpoint {
  std::string name;  // [A-Za-z0-9._-], at most 100 characters
  // Data bytes, a power of two (size=64K..1G, suffixes K, M, G); 0: the
  // ring's own size if it exists, else 8 MiB.
  std::uint64_t size = 0;
  // Wait budgets in nanoseconds: spin first, then yield, then sleep.
  // spin=forever (-1) never sleeps: for a core of its own.
  std::int64_t spin_ns = 20'000;
  std::int64_t yield_ns = 200'000;
  // The reader's name: its position is kept under it (reader=NAME); empty
  // means the program's own name.
  std::string reader;
  // Reliable rings: how many readers must have joined before a record is
  // overwritten (readers=N); 0 leaves it to the program.
  unsigned readers = 0;

  std::string uri() const { return "shm://" + name; }
  // /dev/shm/ot-shm.NAME
  std::string path() const;
};

bool is_shm_uri(std::string_view uri);
// invalid_argument for a malformed name or option, saying which.
Result<Endpoint> parse_shm_uri(std::string_view uri);

enum class Delivery : std::uint32_t { unset = 0, market_data = 1, reliable = 2 };

// A record's header (length, sequence number): the longest record is the
// ring's size less this.
inline constexpr std::uint64_t kHeaderBytes = 16;
inline constexpr unsigned kMaxReaders = 32;

struct Mapping;

class Producer {
 public:
  // Opens or creates the ring and takes its producer's place. Errors:
  // invalid_argument (a ring of another size or delivery), io_error (the
  // file), refused (another live producer holds it; its pid is named).
  // `readers`: for a reliable ring when the endpoint says none (at least 1).
  static Result<std::unique_ptr<Producer>> open(const Endpoint& e, Delivery d,
                                                unsigned readers = 1);
  ~Producer();  // close()

  // Appends one record. Market data: never waits. Reliable: waits for room
  // while `stop` is unset; false if the record is longer than the ring can
  // hold or a stop came first (error() says which).
  bool write(std::string_view record, const volatile std::sig_atomic_t* stop = nullptr);
  // Marks the stream ended, wakes every reader, removes the ring's name.
  void close();
  const std::string& error() const { return error_; }
  std::uint64_t capacity() const;

 private:
  explicit Producer(std::unique_ptr<Mapping> m, const Endpoint& e);
  std::uint64_t floor();
  bool wait_for_room(std::uint64_t end, const volatile std::sig_atomic_t* stop);
  void wake_readers();

  std::unique_ptr<Mapping> m_;
  Endpoint e_;
  std::uint64_t head_ = 0, tail_ = 0, floor_ = 0, seq_ = 0;
  std::vector<int> bell_fds_;
  std::string error_;
  bool closed_ = false;
};

class Consumer {
 public:
  // Opens or creates the ring and takes the reader slot named e.reader (or
  // `default_reader`), resuming at its kept position; a new reader starts
  // at the oldest record the ring holds. refused: a live process holds
  // that reader already; invalid_argument: the ring is of another size,
  // or all kMaxReaders slots are taken.
  static Result<std::unique_ptr<Consumer>> open(const Endpoint& e,
                                                const std::string& default_reader);
  ~Consumer();

  enum class Read { record, none, ended, corrupt };
  // The next record, copied into the consumer's buffer: `record` is valid
  // until the next call and followed by at least `padding` readable bytes
  // (given through set_padding; 0 by default). `lost`: records overwritten
  // before this reader read them (market data), said once with the record
  // after them. Never waits. `ended`: the producer closed the stream and
  // everything was read. `corrupt`: the ring holds bytes no producer wrote.
  // The reader's kept position moves past a record at the next call (or
  // when the consumer is destroyed): a reader killed while it handles a
  // record reads that record again when started again (at least once).
  Read try_read(std::string_view& record, std::uint64_t& lost);
  // Whether a record or the end waits now.
  bool ready() const;
  // Waits for ready() up to timeout_ms (-1: no limit) with the endpoint's
  // spin, yield and sleep budgets. A signal does not end the sleep (a
  // handler installed with SA_RESTART restarts it): a program that must
  // look at a stop flag waits in slices.
  bool wait(int timeout_ms);
  // A descriptor that polls readable once a record or the end is there
  // (or was already when armed). Valid while the consumer lives; the next
  // try_read that returns a record disarms it.
  int arm_fd();
  // The spin and yield phases of wait() alone, also ending when `also`
  // (if given) says true: for a wait on this ring and something else. True
  // if either is ready; false once the budgets or `deadline` (monotonic
  // nanoseconds) are spent.
  bool spin(std::int64_t deadline, const std::function<bool()>& also) const;
  void set_padding(std::size_t n) { padding_ = n; }
  const std::string& reader() const { return reader_; }

 private:
  Consumer(std::unique_ptr<Mapping> m, const Endpoint& e, unsigned slot, std::string reader);
  void disarm();
  void drain_bell() const;
  void commit();
  // A ring that no producer ever opened (its readers came first, or its
  // name was mistyped) goes with the last of its readers to leave: no file
  // stays in /dev/shm for a stream that never was.
  void remove_if_unused();

  std::unique_ptr<Mapping> m_;
  Endpoint e_;
  unsigned slot_;
  std::string reader_;
  std::uint64_t pos_ = 0, committed_ = 0, next_seq_ = 0;
  bool seq_known_ = false;
  std::vector<std::uint64_t> buf_;
  std::size_t padding_ = 0;
  int bell_fd_ = -1;
  bool armed_ = false;
};

}  // namespace ot::shm
