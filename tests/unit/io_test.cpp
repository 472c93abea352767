// lib/io: capture lines, line inputs (files, pipes, compressed), outputs,
// ZeroMQ endpoints (PUB/SUB, PUSH/PULL, the lossless executions feedback),
// NATS endpoint syntax, subject tokens and message ids, and CPU pinning
// (NATS against a server: tests/e2e/nats_transport.py).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "io/capture_line.h"
#include "io/cpu.h"
#include "io/input.h"
#include "io/nats.h"
#include "io/output.h"
#include "io/shm_ring.h"
#include "test_util.h"

namespace {

// A fresh ipc:// endpoint (a path under /tmp that nothing else uses).
struct IpcEndpoint {
  IpcEndpoint() {
    char t[] = "/tmp/ot-zmq-XXXXXX";
    const int fd = ::mkstemp(t);
    ::close(fd);
    path = t;
    uri = "ipc://" + path;
  }
  ~IpcEndpoint() { std::remove(path.c_str()); }
  std::string path, uri;
};

}  // namespace

TEST_CASE("capture lines split into stamp and frame", "[feed][replay]") {
  ot::Nanos t = 0;
  std::string_view frame;
  REQUIRE(ot::split_capture_line("2021-10-12T00:28:32.0633569Z {\"a\":1}", t, frame));
  CHECK(t == 1633998512063356900LL);
  CHECK(frame == "{\"a\":1}");
  CHECK_FALSE(ot::split_capture_line("garbage", t, frame));
  CHECK_FALSE(ot::split_capture_line("2021-10-12T00:28:32.0633569Z", t, frame));
}

TEST_CASE("inputs read plain, gzip and zstd files line by line", "[io]") {
  char dir[] = "/tmp/ot-io-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string base = dir;
  for (const std::string ext : {"", ".gz", ".zst"}) {
    const std::string path = base + "/lines.txt" + ext;
    {
      auto out = ot::test::must(ot::open_output(path, {}));
      for (int i = 0; i < 20000; ++i) out->write_line({}, "line " + std::to_string(i));
      REQUIRE(out->flush());
    }
    auto in = ot::test::must(ot::open_input(path));
    std::string_view line;
    int n = 0;
    while (in->next(line)) {
      REQUIRE(line == "line " + std::to_string(n));
      ++n;
    }
    CHECK(n == 20000);
    CHECK(in->error().empty());
    CHECK(in->line_number() == 20000);
    std::remove(path.c_str());
  }
  const auto missing = ot::open_input(base + "/missing.raw");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ot::ErrorCode::not_found);
  CHECK(missing.error().message() == base + "/missing.raw: No such file or directory");
  rmdir(dir);
}

TEST_CASE("inputs strip CR, count lines, and pad every line they hand out", "[io]") {
  ot::test::TempDir dir;
  const std::string path = dir.path + "/crlf.txt";
  ot::test::write_file(path, "one\r\n\ntwo\nthree");
  auto in = ot::test::must(ot::open_input(path));
  CHECK(in->name().find("crlf.txt") != std::string::npos);
  std::vector<std::string> lines;
  std::vector<std::uint64_t> numbers;
  std::string_view line;
  while (in->next(line)) {
    lines.emplace_back(line);
    numbers.push_back(in->line_number());
    // The padding parsers read past the end: kLinePadding bytes are there.
    const volatile char* end = line.data() + line.size();
    for (std::size_t i = 0; i < ot::kLinePadding; ++i) (void)end[i];
  }
  CHECK(lines == std::vector<std::string>{"one", "", "two", "three"});
  CHECK(numbers == std::vector<std::uint64_t>{1, 2, 3, 4});
  CHECK(in->bytes_read() == 15);  // every byte of the file
  CHECK(in->error().empty());
}

TEST_CASE("outputs report where they cannot write", "[io]") {
  const auto nowhere = ot::open_output("/nonexistent-dir/x.txt");
  REQUIRE_FALSE(nowhere);
  CHECK(nowhere.error().code() == ot::ErrorCode::not_found);
  CHECK(nowhere.error().message().find("/nonexistent-dir/x.txt") != std::string::npos);
  const auto bad_endpoint = ot::open_output("tcp://no-such-host-name:x");
  REQUIRE_FALSE(bad_endpoint);
  CHECK(bad_endpoint.error().is_usage());
  CHECK(ot::is_zmq_uri("tcp://127.0.0.1:5555"));
  CHECK(ot::is_zmq_uri("ipc:///tmp/x"));
  CHECK_FALSE(ot::is_zmq_uri("tcp.log"));
  CHECK_FALSE(ot::is_zmq_uri("-"));
}

TEST_CASE("ZeroMQ PUSH/PULL (the order path) delivers every line, in order", "[io][zmq]") {
  IpcEndpoint ep;
  ot::OutputOptions oo;
  oo.push = true;
  auto out = ot::test::must(ot::open_output(ep.uri, oo));
  ot::InputOptions io;
  io.pattern = ot::ZmqPattern::pushpull;
  auto in = ot::test::must(ot::open_input(ep.uri, io));
  // Sent before the reader reads: PUSH queues, nothing is dropped.
  for (int i = 0; i < 1000; ++i) out->write_line("order", "line " + std::to_string(i));
  REQUIRE(out->flush());
  std::string_view line;
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(in->next(line));
    REQUIRE(line == "line " + std::to_string(i));
  }
}

TEST_CASE("the executions feedback endpoint loses nothing and never blocks", "[io][zmq]") {
  IpcEndpoint ep;
  ot::OutputOptions oo;
  oo.no_drop = true;
  oo.subscriber_wait_ms = 5000;
  auto feedback = ot::test::must(ot::open_feedback(ep.uri));
  std::vector<std::string> got;
  auto keep = [&](std::string_view l) { got.emplace_back(l); };
  CHECK(feedback->drain(keep) == 0);  // nothing yet: returns at once
  std::thread pub([&] {
    auto out = ot::test::must(ot::open_output(ep.uri, oo));  // waits for the subscriber
    for (int i = 0; i < 500; ++i) out->write_line("exec", "exec " + std::to_string(i));
    REQUIRE(out->flush());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  });
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const ot::LineInput::WaitTarget none;
  while (got.size() < 500 && std::chrono::steady_clock::now() < until) {
    feedback->wait(none, 50, keep);
    feedback->drain(keep);
  }
  pub.join();
  REQUIRE(got.size() == 500);
  for (int i = 0; i < 500; ++i)
    CHECK(got[static_cast<std::size_t>(i)] == "exec " + std::to_string(i));
}

// A ring of its own for a test, its files removed before and after.
struct TestShm {
  std::string uri;
  std::string path;
  explicit TestShm(const std::string& tag) {
    const std::string name = "iotest-" + std::to_string(::getpid()) + "-" + tag;
    uri = "shm://" + name;
    path = "/dev/shm/ot-shm." + name;
    clean();
  }
  ~TestShm() { clean(); }
  void clean() const {
    std::remove(path.c_str());
    for (int i = 0; i < 32; ++i) std::remove((path + ".bell" + std::to_string(i)).c_str());
  }
};

TEST_CASE("executions over a ring reach a waiting reader one by one, also from a new producer",
          "[io][shm]") {
  TestShm ring("fills");
  auto feedback = ot::test::must(ot::open_feedback(ring.uri));
  std::vector<std::string> got;
  auto keep = [&](std::string_view l) { got.emplace_back(l); };
  int main_pipe[2];
  REQUIRE(::pipe(main_pipe) == 0);
  const ot::LineInput::WaitTarget main{main_pipe[0], nullptr, nullptr};
  ot::OutputOptions fo;
  fo.no_drop = true;
  bool wrote = true;
  std::thread writer([&] {
    {
      auto out = ot::open_output(ring.uri, fo);
      if (!out) return void(wrote = false);
      // Three reports while the reader waits, apart: each must be handed
      // over as it comes, not when the main input wakes the reader.
      for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        (*out)->write_line("exec", "exec " + std::to_string(i));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }  // the producer ends (ot-exec restarted): the ring ends
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    {
      auto out = ot::open_output(ring.uri, fo);
      if (!out) return void(wrote = false);
      (*out)->write_line("exec", "exec 3");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    const char one = 1;
    if (::write(main_pipe[1], &one, 1) != 1) wrote = false;
  });
  std::vector<std::size_t> seen_at;  // reports in hand at each return
  for (int i = 0; i < 50 && !ot::readable_now(main); ++i) {
    feedback->wait(main, -1, keep);
    seen_at.push_back(got.size());
  }
  writer.join();
  ::close(main_pipe[0]);
  ::close(main_pipe[1]);
  CHECK(wrote);
  // The wait without a time limit returned only for the main input, with
  // every report, the new producer's too, handed over meanwhile.
  CHECK(seen_at.size() == 1);
  CHECK(got == std::vector<std::string>{"exec 0", "exec 1", "exec 2", "exec 3"});
}

TEST_CASE("over-long lines are skipped and reported, never held whole", "[io]") {
  // Through a pipe, as a producer with no newline would send them: one
  // line past the limit ended by a newline, a good line, one past the
  // limit at the end of input.
  const std::size_t over = ot::max_line_bytes() + 100;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::thread writer([&] {
    const std::string chunk(1 << 16, 'x');
    auto put = [&](std::string_view s) {
      while (!s.empty()) {
        const ssize_t n = ::write(fds[1], s.data(), s.size());
        REQUIRE(n > 0);
        s.remove_prefix(static_cast<std::size_t>(n));
      }
    };
    for (std::size_t sent = 0; sent < over; sent += chunk.size()) put(chunk);
    put("\n{\"type\":\"ok\"}\n");
    for (std::size_t sent = 0; sent < over; sent += chunk.size()) put(chunk);
    ::close(fds[1]);
  });
  auto in = ot::test::must(ot::open_input("/dev/fd/" + std::to_string(fds[0])));
  std::vector<std::uint64_t> reported;
  in->set_bad_line_hook([&](std::uint64_t n, std::string_view why) {
    reported.push_back(n);
    CHECK_THAT(std::string(why), Catch::Contains("OT_MAX_LINE"));
  });
  std::vector<std::string> lines;
  std::string_view line;
  while (in->next(line)) lines.emplace_back(line);
  writer.join();
  ::close(fds[0]);
  CHECK(lines == std::vector<std::string>{"{\"type\":\"ok\"}"});
  CHECK(reported == std::vector<std::uint64_t>{1, 3});
  CHECK(in->bad_lines() == 2);
  CHECK(in->error().empty());
}

TEST_CASE("the idle hook runs only when the input would wait", "[io]") {
  // A file never waits, however many reads it takes: no idle call (a batch
  // run writes, and ot-store commits, in large blocks).
  ot::test::TempDir dir;
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "{\"type\":\"x\",\"n\":" + std::to_string(i) + "}\n";
  ot::test::write_file(dir.path + "/lines.ndjson", text);
  auto file = ot::test::must(ot::open_input(dir.path + "/lines.ndjson"));
  int idle = 0;
  file->set_idle_hook([&] { ++idle; });
  std::string_view line;
  int lines = 0;
  while (file->next(line)) ++lines;
  CHECK(lines == 100000);
  CHECK(idle == 0);
  // A pipe: not while it holds lines, once when it is empty (the writer
  // then sends the last line and closes).
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const std::string two = "{\"n\":1}\n{\"n\":2}\n";
  REQUIRE(::write(fds[1], two.data(), two.size()) == static_cast<ssize_t>(two.size()));
  auto in = ot::test::must(ot::open_input("/dev/fd/" + std::to_string(fds[0])));
  int waits = 0;
  in->set_idle_hook(
      [&] {
        if (++waits > 1) return;
        const std::string last = "{\"n\":3}\n";
        REQUIRE(::write(fds[1], last.data(), last.size()) == static_cast<ssize_t>(last.size()));
        ::close(fds[1]);
      },
      0);
  std::vector<std::string> got;
  while (in->next(line)) got.emplace_back(line);
  ::close(fds[0]);
  CHECK(got == std::vector<std::string>{"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"});
  CHECK(waits == 1);
  // A pipe that holds data at every read: the hook only with a bound on
  // the interval since its last call (1 ns here), never without one.
  auto calls_while_full = [&](ot::Nanos max_interval) {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    ::fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    std::string data;
    for (int i = 0; i < 20000; ++i) data += "{\"n\":" + std::to_string(i) + "}\n";
    REQUIRE(::write(p[1], data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    auto full = ot::test::must(ot::open_input("/dev/fd/" + std::to_string(p[0])));
    int calls = 0;
    full->set_idle_hook([&] { ++calls; }, max_interval);
    for (int i = 0; i < 20000; ++i) REQUIRE(full->next(line));  // never an empty pipe
    ::close(p[1]);
    ::close(p[0]);
    return calls;
  };
  CHECK(calls_while_full(0) == 0);
  CHECK(calls_while_full(1) >= 1);
}

TEST_CASE("ZeroMQ output publishes topic and line; input subscribes", "[io][zmq]") {
  char path[] = "/tmp/ot-zmq-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  const std::string uri = std::string("ipc://") + path;
  auto out = ot::test::must(ot::open_output(uri, {}));
  auto in = ot::test::must(ot::open_input(uri));
  // PUB/SUB joins asynchronously: publish until the subscriber hears.
  std::string_view line;
  std::thread pub([&] {
    for (int i = 0; i < 200; ++i) {
      out->write_line("bbo.okx.BTC-USDT", R"({"type":"bbo"})");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  REQUIRE(in->next(line));
  CHECK(line == R"({"type":"bbo"})");
  pub.join();
  std::remove(path);
}

TEST_CASE("cpu lists (--cpu) and pinning", "[io][cpu]") {
  using V = std::vector<int>;
  CHECK(ot::parse_cpu_list("3") == V{3});
  CHECK(ot::parse_cpu_list("2,3") == V{2, 3});
  CHECK(ot::parse_cpu_list("0-3,8") == V{0, 1, 2, 3, 8});
  CHECK(ot::parse_cpu_list("1-1") == V{1});
  for (const char* bad : {"", "a", "3-1", "1,,2", "-1", "1024", "2-", ",1", "1,", "0x1", " 1"}) {
    INFO(bad);
    CHECK_FALSE(ot::parse_cpu_list(bad));
  }
  cpu_set_t before;
  REQUIRE(::sched_getaffinity(0, sizeof before, &before) == 0);
  REQUIRE(ot::pin_to_cpus("0"));
  cpu_set_t now;
  REQUIRE(::sched_getaffinity(0, sizeof now, &now) == 0);
  CHECK(CPU_COUNT(&now) == 1);
  CHECK(CPU_ISSET(0, &now));
  const auto absent = ot::pin_to_cpus("1000");  // no such CPU here
  REQUIRE_FALSE(absent);
  CHECK(absent.error().message() == "--cpu 1000: Invalid argument");
  CHECK(absent.error().is_usage());
  const auto malformed = ot::pin_to_cpus("x");
  REQUIRE_FALSE(malformed);
  CHECK(malformed.error().message().find("expected CPU numbers") != std::string::npos);
  CHECK(malformed.error().is_usage());
  REQUIRE(::sched_setaffinity(0, sizeof before, &before) == 0);
}

TEST_CASE("nats:// endpoints parse into servers, subject and options", "[io][nats]") {
  auto e = ot::parse_nats_uri(
      "nats://desk:p%40ss@n1:4222,n2/md.bbo.>?js=MD&durable=books&replicas=3&max_age=2h"
      "&dup_window=5m&storage=memory");
  REQUIRE(e);
  CHECK(e->servers == std::vector<std::string>{"nats://n1:4222", "nats://n2:4222"});
  CHECK(e->user == "desk");
  CHECK(e->password == "p@ss");
  CHECK(e->subject == "md.bbo.>");
  CHECK(e->stream == "MD");
  CHECK(e->durable == "books");
  CHECK(e->replicas == 3);
  CHECK(e->max_age_s == 7200);
  CHECK(e->dup_window_s == 300);
  CHECK(e->memory);
  CHECK(e->pending == 65536);
  CHECK(e->name() == "nats://n1:4222,n2:4222/md.bbo.>?js=MD&durable=books");  // no password
  CHECK(ot::parse_nats_uri("nats://h:1/x?pending=100")->pending == 100);

  for (const char* bad :
       {"nats://h:1", "nats:///x", "nats://h:1/a..b", "nats://h:1/x?durable=d",
        "nats://h:1/x?replicas=9", "nats://h:1/x?nope=1", "nats://h:1/x?nkey=U",
        "nats://u:secret@h:1/x?max_age=soon", "nats://h:1/x?max_age=3875820019684212726d",
        "nats://h:1/x?dup_window=9223372037s", "nats://h:1/x?pending=0",
        "nats://h:1/x?pending=many"}) {
    INFO(bad);
    auto r = ot::parse_nats_uri(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ot::ErrorCode::invalid_argument);
    CHECK(r.error().message().find("secret") == std::string::npos);
  }
}

TEST_CASE("NATS subject tokens escape reserved bytes reversibly", "[io][nats]") {
  CHECK(ot::nats_token("BTCUSDT") == "BTCUSDT");
  CHECK(ot::nats_token("BTC/USD") == "BTC/USD");
  CHECK(ot::nats_token("a.b*c>d e%") == "a%2Eb%2Ac%3Ed%20e%25");
  CHECK(ot::nats_token("") == "%");
  for (std::string s : {"a.b*c>d e%", "", "%", "%2E", "x\ty\n", "BTC-USD-250328-92000-C"}) {
    CHECK(ot::nats_untoken(ot::nats_token(s)) == s);
  }
  CHECK(ot::nats_subject("md", "bbo.binance.BTCUSDT") == "md.bbo.binance.BTCUSDT");
  CHECK(ot::nats_subject("md", "book.x.A.B") == "md.book.x.A%2EB");  // the symbol's dot
  CHECK(ot::nats_subject("md", "status.okx.") == "md.status.okx");
  CHECK(ot::nats_subject("md", "status..") == "md.status");
  CHECK(ot::nats_subject("md", "status..BTC") == "md.status.%.BTC");
}

TEST_CASE("JetStream message ids: stable per event, none where there is no identity",
          "[io][nats]") {
  using ot::nats_message_id;
  CHECK(nats_message_id(R"({"type":"order","id":"o1","venue":"okx","ts":1})") == "order|okx|o1");
  CHECK(nats_message_id(R"({"type":"order","id":"o1","venue":"okx","ts":2})") == "order|okx|o1");
  CHECK(nats_message_id(R"({"type":"cancel","id":"o1","venue":"okx"})") == "cancel|okx|o1");
  const auto a = nats_message_id(
      R"({"type":"exec","id":"o1","venue":"okx","status":"partial","filled":"1","leaves":"2","seq":4})");
  const auto b = nats_message_id(
      R"({"type":"exec","id":"o1","venue":"okx","status":"partial","filled":"1","leaves":"2","seq":9})");
  const auto c = nats_message_id(
      R"({"type":"exec","id":"o1","venue":"okx","status":"partial","filled":"2","leaves":"1"})");
  CHECK(a == b);  // the same report, renumbered by a restarted publisher
  CHECK(a != c);
  CHECK(nats_message_id(R"({"type":"book","venue":"okx","symbol":"X","seq":7,"snapshot":true})")
            .empty());  // every handler's snapshot is kept
  CHECK(nats_message_id(R"({"type":"book","venue":"okx","symbol":"X","seq":7})") == "book|okx|X|7");
  CHECK(nats_message_id(R"({"type":"book","venue":"okx","symbol":"X","ts":5,"checksum":-3})") ==
        "book|okx|X|t5|c-3");
  CHECK(nats_message_id(R"({"type":"book","venue":"okx","symbol":"X","ts":5})").empty());
  CHECK(nats_message_id(R"({"type":"trade","venue":"okx","symbol":"X","id":"t9"})") ==
        "trade|okx|X|t9");
  // A ticker: venue time and content, not the receive time.
  const auto t1 = nats_message_id(
      R"({"type":"ticker","venue":"deribit","symbol":"X","ts":5,"recv":6,"mark":"1.5"})");
  const auto t2 = nats_message_id(
      R"({"type":"ticker","venue":"deribit","symbol":"X","ts":5,"recv":9,"mark":"1.5"})");
  const auto t3 = nats_message_id(
      R"({"type":"ticker","venue":"deribit","symbol":"X","ts":5,"recv":6,"mark":"1.6"})");
  CHECK(t1.rfind("ticker|deribit|X|5|", 0) == 0);
  CHECK(t1 == t2);
  CHECK(t1 != t3);
  CHECK(nats_message_id(R"({"type":"ticker","venue":"deribit","symbol":"X","mark":"1"})").empty());
  CHECK(nats_message_id(R"({"type":"bbo","venue":"okx","symbol":"X"})").empty());
  CHECK(nats_message_id(R"({"type":"order","venue":"okx"})").empty());
  CHECK(nats_message_id("not json").empty());
}

TEST_CASE("a ring's over-long records are skipped and reported, as a pipe's lines are",
          "[io][shm]") {
  TestShm ring("long");
  const std::string uri = ring.uri + "?size=64M";
  auto in = ot::test::must(ot::open_input(uri));
  std::vector<std::string> reported;
  in->set_bad_line_hook([&](std::uint64_t, std::string_view why) { reported.emplace_back(why); });
  {
    auto e = ot::test::must(ot::shm::parse_shm_uri(uri));
    auto p = ot::test::must(ot::shm::Producer::open(e, ot::shm::Delivery::market_data));
    REQUIRE(p->write(std::string(ot::max_line_bytes() + 100, 'x')));
    REQUIRE(p->write("{\"type\":\"ok\"}"));
  }  // the stream ends
  std::vector<std::string> lines;
  std::string_view line;
  while (in->next(line)) lines.emplace_back(line);
  CHECK(lines == std::vector<std::string>{"{\"type\":\"ok\"}"});
  REQUIRE(reported.size() == 1);
  CHECK_THAT(reported[0], Catch::Contains("OT_MAX_LINE"));
  CHECK(in->bad_lines() == 1);
}
