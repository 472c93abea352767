// The shared-memory ring (io/shm_ring.h): ordering, wraparound, records
// larger than half the ring, several readers, a slow reader's loss,
// backpressure, and either end killed with SIGKILL and started again.
// Built also under ThreadSanitizer and AddressSanitizer (tests/CMakeLists.txt).
#include "io/shm_ring.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace ot;
using namespace ot::shm;

namespace {

// A ring of its own per test, removed before and after.
struct TestRing {
  Endpoint e;
  explicit TestRing(const std::string& tag, std::uint64_t size = 64 << 10) {
    e.name = "test-" + std::to_string(::getpid()) + "-" + tag;
    e.size = size;
    e.spin_ns = 2'000;
    e.yield_ns = 20'000;
    clean();
  }
  ~TestRing() { clean(); }
  void clean() const {
    std::filesystem::remove(e.path());
    for (unsigned i = 0; i < kMaxReaders; ++i) {
      std::filesystem::remove(e.path() + ".bell" + std::to_string(i));
    }
  }
  Endpoint reader(const std::string& name) const {
    Endpoint r = e;
    r.reader = name;
    return r;
  }
};

// Record i: its number, then a body whose length and bytes follow from i.
std::string record(std::uint64_t i, std::size_t max_len = 300) {
  std::string r = std::to_string(i) + ":";
  const std::size_t n = (i * 7919) % max_len;
  for (std::size_t k = 0; k < n; ++k) r.push_back(static_cast<char>('a' + (i + k) % 26));
  return r;
}

std::uint64_t number_of(std::string_view r) {
  return std::stoull(std::string(r.substr(0, r.find(':'))));
}

std::unique_ptr<Producer> producer(const Endpoint& e, Delivery d, unsigned readers = 1) {
  auto p = Producer::open(e, d, readers);
  REQUIRE(p);
  return std::move(p).value();
}

std::unique_ptr<Consumer> consumer(const Endpoint& e, const std::string& name = "test") {
  auto c = Consumer::open(e, name);
  REQUIRE(c);
  return std::move(c).value();
}

// Writes records first..last on a thread of its own (no test macros off
// the main thread: Catch2's are not thread-safe), then closes the stream;
// `failed` counts what did not go through.
std::thread write_records(const Endpoint& e, Delivery d, unsigned readers, std::uint64_t first,
                          std::uint64_t last, std::atomic<int>& failed) {
  return std::thread([&e, d, readers, first, last, &failed] {
    auto p = Producer::open(e, d, readers);
    if (!p) {
      ++failed;
      return;
    }
    for (std::uint64_t i = first; i <= last; ++i) {
      if (!(*p)->write(record(i))) ++failed;
    }
  });
}

// Reads until the end of the stream, checking every record against
// record(i); returns the numbers read and the losses said.
struct ReadAll {
  std::vector<std::uint64_t> numbers;
  std::uint64_t lost = 0;
  bool intact = true;
};
ReadAll read_all(Consumer& c, std::size_t max_len = 300) {
  ReadAll out;
  for (;;) {
    std::string_view r;
    std::uint64_t lost = 0;
    const auto got = c.try_read(r, lost);
    if (got == Consumer::Read::ended) return out;
    if (got == Consumer::Read::none) {
      c.wait(100);
      continue;
    }
    out.lost += lost;
    const std::uint64_t i = number_of(r);
    if (r != record(i, max_len)) out.intact = false;
    out.numbers.push_back(i);
  }
}

}  // namespace

TEST_CASE("shm endpoints parse their name and options", "[io][shm]") {
  auto e = parse_shm_uri("shm://md.binance?size=1M&spin=forever&yield=5&reader=book&readers=2");
  REQUIRE(e);
  CHECK(e->name == "md.binance");
  CHECK(e->size == (1u << 20));
  CHECK(e->spin_ns == -1);
  CHECK(e->yield_ns == 5000);
  CHECK(e->reader == "book");
  CHECK(e->readers == 2);
  CHECK(e->path() == "/dev/shm/ot-shm.md.binance");
  for (const char* bad : {"shm://", "shm://a/b", "shm://.x", "shm://x?size=3M", "shm://x?size=1K",
                          "shm://x?spin=fast", "shm://x?yield=forever", "shm://x?readers=0",
                          "shm://x?colour=red", "shm://x?reader=a/b"}) {
    INFO(bad);
    auto r = parse_shm_uri(bad);
    REQUIRE(!r);
    CHECK(r.error().is_usage());
  }
}

TEST_CASE("a reliable ring delivers every record in order through many wraps", "[io][shm]") {
  TestRing ring("order");
  auto c = consumer(ring.e);
  constexpr std::uint64_t kCount = 50'000;  // ~7.5 MB through a 64 KiB ring: >100 wraps
  std::atomic<int> failed{0};
  std::thread writer = write_records(ring.e, Delivery::reliable, 1, 1, kCount, failed);
  const ReadAll got = read_all(*c);
  writer.join();
  CHECK(failed == 0);
  CHECK(got.intact);
  CHECK(got.lost == 0);
  REQUIRE(got.numbers.size() == kCount);
  for (std::uint64_t i = 0; i < kCount; ++i) REQUIRE(got.numbers[i] == i + 1);
}

TEST_CASE("records larger than half the ring go through, split at its end", "[io][shm]") {
  TestRing ring("large");
  const std::uint64_t cap = ring.e.size;
  auto c = consumer(ring.e);
  std::vector<std::string> sent;
  for (std::uint64_t i = 1; i <= 40; ++i) {
    // Small, then 40 KiB, then the largest that fits (64 KiB less its header).
    const std::size_t len = i % 3 == 0 ? cap - kHeaderBytes : i % 3 == 1 ? 40'000 : 10;
    sent.push_back(std::string(len, static_cast<char>('A' + i % 26)));
  }
  int failed = 0;
  bool too_long_refused = false;
  std::string error;
  std::thread writer([&] {
    auto p = Producer::open(ring.e, Delivery::reliable);
    if (!p) return void(++failed);
    for (const auto& s : sent) failed += (*p)->write(s) ? 0 : 1;
    too_long_refused = !(*p)->write(std::string(cap, 'x'));  // one byte too many
    error = (*p)->error();
  });
  std::vector<std::string> got;
  for (;;) {
    std::string_view r;
    std::uint64_t lost = 0;
    const auto read = c->try_read(r, lost);
    if (read == Consumer::Read::ended) break;
    if (read == Consumer::Read::none) {
      c->wait(100);
      continue;
    }
    got.emplace_back(r);
  }
  writer.join();
  CHECK(failed == 0);
  CHECK(too_long_refused);
  CHECK(error.find("does not fit the ring of 64K") != std::string::npos);
  CHECK(got == sent);
}

TEST_CASE("several readers each read the whole stream", "[io][shm]") {
  TestRing ring("fanout");
  SECTION("reliable: the producer waits for the slowest of three") {
    std::vector<std::unique_ptr<Consumer>> readers;
    for (const char* name : {"r1", "r2", "r3"}) readers.push_back(consumer(ring.reader(name)));
    std::atomic<int> failed{0};
    std::thread writer = write_records(ring.e, Delivery::reliable, 3, 1, 20'000, failed);
    std::vector<std::thread> threads;
    std::vector<ReadAll> got(3);
    for (int k = 0; k < 3; ++k) threads.emplace_back([&, k] { got[k] = read_all(*readers[k]); });
    writer.join();
    for (auto& t : threads) t.join();
    CHECK(failed == 0);
    for (const auto& g : got) {
      CHECK(g.intact);
      CHECK(g.lost == 0);
      CHECK(g.numbers.size() == 20'000);
    }
  }
  SECTION("reliable: readers that join late miss nothing while fewer than expected joined") {
    // 2000 records are several rings' worth: the producer must wait for the
    // second reader rather than overwrite what it has not read.
    auto first = consumer(ring.reader("first"));
    std::atomic<int> failed{0};
    std::thread writer = write_records(ring.e, Delivery::reliable, 2, 1, 2000, failed);
    std::string_view r;
    std::uint64_t lost = 0;
    std::vector<std::uint64_t> read_first;
    while (read_first.size() < 300) {
      if (first->try_read(r, lost) == Consumer::Read::record) {
        read_first.push_back(number_of(r));
      } else {
        first->wait(100);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the producer waits now
    auto late = consumer(ring.reader("late"));
    ReadAll got_late;
    std::thread second([&] { got_late = read_all(*late); });
    const ReadAll rest = read_all(*first);
    second.join();
    writer.join();
    CHECK(failed == 0);
    REQUIRE(!got_late.numbers.empty());
    CHECK(got_late.numbers.front() == 1);
    CHECK(got_late.numbers.size() == 2000);
    CHECK(got_late.lost == 0);
    CHECK(read_first.size() + rest.numbers.size() == 2000);
  }
  SECTION("market data: readers keep up with a producer that never waits") {
    auto p = producer(ring.e, Delivery::market_data);
    auto a = consumer(ring.reader("a"));
    auto b = consumer(ring.reader("b"));
    for (std::uint64_t i = 1; i <= 100; ++i) REQUIRE(p->write(record(i)));
    p->close();
    for (auto* c : {a.get(), b.get()}) {
      const ReadAll got = read_all(*c);
      CHECK(got.numbers.size() == 100);
      CHECK(got.lost == 0);
    }
  }
}

TEST_CASE("a market-data reader that falls a ring behind is told how much it lost", "[io][shm]") {
  TestRing ring("slow");
  auto p = producer(ring.e, Delivery::market_data);
  auto slow = consumer(ring.e);
  std::string_view r;
  std::uint64_t lost = 0;
  for (std::uint64_t i = 1; i <= 5; ++i) REQUIRE(p->write(record(i)));
  REQUIRE(slow->try_read(r, lost) == Consumer::Read::record);
  CHECK(number_of(r) == 1);
  // 2000 records of up to 300 bytes overwrite the 64 KiB ring many times.
  for (std::uint64_t i = 6; i <= 2000; ++i) REQUIRE(p->write(record(i)));
  REQUIRE(slow->try_read(r, lost) == Consumer::Read::record);
  const std::uint64_t first = number_of(r);
  CHECK(first > 2);
  CHECK(lost == first - 2);  // records 2 .. first-1
  CHECK(r == record(first));
  // From there on, in order and whole.
  p->close();
  const ReadAll rest = read_all(*slow);
  CHECK(rest.intact);
  CHECK(rest.lost == 0);
  REQUIRE(!rest.numbers.empty());
  CHECK(rest.numbers.front() == first + 1);
  CHECK(rest.numbers.back() == 2000);
}

TEST_CASE("a reader racing a producer that laps it never gets a torn record", "[io][shm]") {
  TestRing ring("race");
  auto c = consumer(ring.e);
  std::atomic<int> failed{0};
  std::thread writer = write_records(ring.e, Delivery::market_data, 0, 1, 200'000, failed);
  const ReadAll got = read_all(*c);
  writer.join();
  CHECK(failed == 0);
  CHECK(got.intact);
  REQUIRE(!got.numbers.empty());
  // Every record read or counted lost, once (from the first: the reader
  // joined before the producer wrote).
  std::uint64_t expect = 1;
  std::uint64_t lost_seen = 0;
  for (std::uint64_t n : got.numbers) {
    REQUIRE(n >= expect);
    lost_seen += n - expect;
    expect = n + 1;
  }
  CHECK(lost_seen == got.lost);
  CHECK(got.numbers.back() == 200'000);
}

TEST_CASE("a reliable producer waits for a slow reader and loses nothing", "[io][shm]") {
  TestRing ring("backpressure");
  auto c = consumer(ring.e);
  std::atomic<std::uint64_t> written{0};
  std::atomic<int> failed{0};
  std::thread writer([&] {
    auto p = Producer::open(ring.e, Delivery::reliable);
    if (!p) return void(++failed);
    for (std::uint64_t i = 1; i <= 3000; ++i) {
      if (!(*p)->write(record(i))) ++failed;
      written = i;
    }
  });
  // The ring holds a few hundred of these: the producer must stop short.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::uint64_t before = written.load();
  CHECK(before < 3000);
  CHECK(before > 100);
  const ReadAll got = read_all(*c);
  writer.join();
  CHECK(failed == 0);
  CHECK(got.intact);
  CHECK(got.lost == 0);
  CHECK(got.numbers.size() == 3000);
}

TEST_CASE("a reliable producer's wait ends when told to stop", "[io][shm]") {
  TestRing ring("stop");
  auto c = consumer(ring.e);
  auto p = producer(ring.e, Delivery::reliable);
  // A stop signal, as the programs take one: SIGALRM in 100 ms.
  static volatile std::sig_atomic_t stop = 0;
  auto* before = std::signal(SIGALRM, [](int) { stop = 1; });
  ::ualarm(100'000, 0);
  std::uint64_t i = 1;
  while (p->write(record(i), &stop)) ++i;
  std::signal(SIGALRM, before);
  CHECK(p->error().find("stopped while waiting") != std::string::npos);
  CHECK(i > 100);
}

TEST_CASE("one producer and one process per reader name", "[io][shm]") {
  TestRing ring("owners");
  auto p = producer(ring.e, Delivery::market_data);
  auto second = Producer::open(ring.e, Delivery::market_data);
  REQUIRE(!second);
  CHECK(second.error().message().find("another process (pid") != std::string::npos);
  auto r = consumer(ring.reader("book"));
  auto again = Consumer::open(ring.reader("book"), "x");
  REQUIRE(!again);
  CHECK(again.error().message().find("reader 'book' is held by another process") !=
        std::string::npos);
  auto other = Producer::open(ring.e, Delivery::reliable);
  REQUIRE(!other);
  Endpoint bigger = ring.e;
  bigger.size = 1 << 20;
  auto wrong = Consumer::open(bigger, "y");
  REQUIRE(!wrong);
  CHECK(wrong.error().message().find("holds 64K, not 1M") != std::string::npos);
}

TEST_CASE("a ring no producer opened goes with the last reader to leave", "[io][shm]") {
  TestRing ring("unused");
  {
    auto a = consumer(ring.reader("a"));
    { auto b = consumer(ring.reader("b")); }
    CHECK(std::filesystem::exists(ring.e.path()));  // a still waits on it
  }
  CHECK(!std::filesystem::exists(ring.e.path()));  // a mistyped name leaves nothing behind
  // Once a producer has opened it, a reader that leaves keeps its place.
  auto p = producer(ring.e, Delivery::market_data);
  { auto r = consumer(ring.reader("r")); }
  CHECK(std::filesystem::exists(ring.e.path()));
  REQUIRE(p->write(record(1)));
  auto r = consumer(ring.reader("r"));
  std::string_view rec;
  std::uint64_t lost = 0;
  REQUIRE(r->try_read(rec, lost) == Consumer::Read::record);
  CHECK(number_of(rec) == 1);
}

TEST_CASE("the end of a stream: read what is left, then the end", "[io][shm]") {
  TestRing ring("end");
  auto c = consumer(ring.e);
  {
    auto p = producer(ring.e, Delivery::market_data);
    for (std::uint64_t i = 1; i <= 10; ++i) REQUIRE(p->write(record(i)));
  }
  CHECK(!std::filesystem::exists(ring.e.path()));  // the name goes with the stream
  CHECK(c->ready());
  const ReadAll got = read_all(*c);
  CHECK(got.numbers.size() == 10);
}

TEST_CASE("a normal end drops what a reader that is not running had not read", "[io][shm]") {
  // Yesterday's executions must not reach today's ot-risk.
  TestRing ring("session");
  {
    auto p = producer(ring.e, Delivery::reliable);
    auto r = consumer(ring.reader("risk"));
    for (std::uint64_t i = 1; i <= 10; ++i) REQUIRE(p->write(record(i)));
    std::string_view rec;
    std::uint64_t lost = 0;
    for (int i = 0; i < 3; ++i) REQUIRE(r->try_read(rec, lost) == Consumer::Read::record);
  }  // the reader goes first, then the producer ends its session
  CHECK(!std::filesystem::exists(ring.e.path()));
  auto p = producer(ring.e, Delivery::reliable);
  auto r = consumer(ring.reader("risk"));
  REQUIRE(p->write(record(100)));
  std::string_view rec;
  std::uint64_t lost = 0;
  REQUIRE(r->try_read(rec, lost) == Consumer::Read::record);
  CHECK(number_of(rec) == 100);
  CHECK(lost == 0);
}

TEST_CASE("a reader's descriptor polls readable when a record comes", "[io][shm]") {
  TestRing ring("fd");
  auto c = consumer(ring.e);
  auto p = producer(ring.e, Delivery::market_data);
  const int fd = c->arm_fd();
  REQUIRE(fd >= 0);
  pollfd pfd{fd, POLLIN, 0};
  CHECK(::poll(&pfd, 1, 0) == 0);
  bool wrote = false;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    wrote = p->write(record(1));
  });
  CHECK(::poll(&pfd, 1, 5000) == 1);
  writer.join();
  CHECK(wrote);
  std::string_view r;
  std::uint64_t lost = 0;
  CHECK(c->try_read(r, lost) == Consumer::Read::record);
  // Read, it is disarmed and quiet again; armed with a record waiting, it
  // is readable at once.
  CHECK(::poll(&pfd, 1, 0) == 0);
  REQUIRE(p->write(record(2)));
  REQUIRE(c->arm_fd() == fd);
  CHECK(::poll(&pfd, 1, 0) == 1);
}

TEST_CASE("a sleeping reader is woken by the futex", "[io][shm]") {
  TestRing ring("sleep");
  Endpoint e = ring.e;
  e.spin_ns = 0;
  e.yield_ns = 0;
  auto c = consumer(e);
  auto p = producer(e, Delivery::market_data);
  bool wrote = false;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    wrote = p->write(record(1));
  });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(c->wait(5000));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));
  writer.join();
  CHECK(wrote);
  CHECK(c->ready());  // the record is still there
}

TEST_CASE("either end killed with SIGKILL: the ring opens again and goes on", "[io][shm]") {
  TestRing ring("kill");
  SECTION("the producer, while it writes") {
    auto c = consumer(ring.e);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto p = Producer::open(ring.e, Delivery::reliable, 1);
      if (!p) ::_exit(3);
      for (std::uint64_t i = 1;; ++i) (*p)->write(record(i));
    }
    // Let it fill the ring and wait for room, reading some meanwhile.
    std::vector<std::uint64_t> numbers;
    std::string_view r;
    std::uint64_t lost = 0;
    while (numbers.size() < 1000) {
      if (c->try_read(r, lost) == Consumer::Read::record) {
        REQUIRE(r == record(number_of(r)));
        numbers.push_back(number_of(r));
      } else {
        c->wait(100);
      }
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    // The next producer takes the ring over and numbers on from where the
    // dead one's last whole record ended.
    // (read meanwhile: the ring is full, so the new producer waits for room)
    ReadAll rest;
    std::thread reader([&] { rest = read_all(*c); });
    std::atomic<int> failed{0};
    write_records(ring.e, Delivery::reliable, 1, 1'000'000, 1'000'099, failed).join();
    reader.join();
    CHECK(failed == 0);
    CHECK(rest.intact);
    CHECK(rest.lost == 0);
    for (std::uint64_t n : rest.numbers) numbers.push_back(n);
    // The dead producer's records, in order without a hole, then the new one's.
    std::size_t k = 0;
    for (; k < numbers.size() && numbers[k] < 1'000'000; ++k) REQUIRE(numbers[k] == k + 1);
    REQUIRE(numbers.size() - k == 100);
    CHECK(numbers[k] == 1'000'000);
  }
  SECTION("a reader, which resumes where it stopped") {
    auto p = producer(ring.e, Delivery::reliable);
    for (std::uint64_t i = 1; i <= 50; ++i) REQUIRE(p->write(record(i)));
    int pipefd[2];
    REQUIRE(::pipe(pipefd) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto c = Consumer::open(ring.reader("risk"), "x");
      if (!c) ::_exit(3);
      std::string_view r;
      std::uint64_t lost = 0;
      for (int i = 0; i < 20; ++i) {
        if ((*c)->try_read(r, lost) != Consumer::Read::record) ::_exit(4);
      }
      const char done = 1;
      if (::write(pipefd[1], &done, 1) != 1) ::_exit(5);
      ::pause();
      ::_exit(0);
    }
    char done = 0;
    REQUIRE(::read(pipefd[0], &done, 1) == 1);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    // Held by the live child: the name is taken.
    CHECK(!Consumer::open(ring.reader("risk"), "x"));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    auto c = consumer(ring.reader("risk"));
    p->close();
    // Killed while it held record 20 (read, not yet done with): it reads
    // that one again, then the rest (at least once).
    const ReadAll rest = read_all(*c);
    REQUIRE(rest.numbers.size() == 31);
    CHECK(rest.numbers.front() == 20);
    CHECK(rest.lost == 0);
  }
  SECTION("a producer killed between claiming and publishing a record") {
    // A reader a whole ring behind must not take the dead producer's
    // half-written bytes for a record; the next producer skips them.
    auto c = consumer(ring.e);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto p = Producer::open(ring.e, Delivery::market_data, 1);
      if (!p) ::_exit(3);
      for (std::uint64_t i = 1;; ++i) (*p)->write(record(i));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    auto p = producer(ring.e, Delivery::market_data);
    for (std::uint64_t i = 5'000'000; i < 5'000'010; ++i) REQUIRE(p->write(record(i)));
    p->close();
    const ReadAll got = read_all(*c);
    CHECK(got.intact);
    REQUIRE(got.numbers.size() >= 10);
    CHECK(got.numbers.back() == 5'000'009);
  }
  SECTION("a ring left half made is made again") {
    {
      std::FILE* f = std::fopen(ring.e.path().c_str(), "w");
      REQUIRE(f != nullptr);
      std::fputs("not a ring", f);
      std::fclose(f);
    }
    auto p = producer(ring.e, Delivery::market_data);
    auto c = consumer(ring.e);
    REQUIRE(p->write(record(1)));
    std::string_view r;
    std::uint64_t lost = 0;
    CHECK(c->try_read(r, lost) == Consumer::Read::record);
  }
}
