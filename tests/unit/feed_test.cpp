#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <thread>

#include "feed/book_sync.h"
#include "feed/replay.h"
#include "io/capture_line.h"
#include "io/cpu.h"
#include "io/input.h"
#include "io/output.h"
#include "net/net.h"
#include "test_util.h"

namespace {

struct Actions final : ot::SyncActions {
  void request_snapshot(std::string_view s) override { snapshots.emplace_back(s); }
  void resubscribe(std::string_view s) override { resubs.emplace_back(s); }
  std::vector<std::string> snapshots, resubs;
};

}  // namespace

TEST_CASE("BookSyncGuard buffers Binance diffs until the snapshot", "[feed][sync]") {
  ot::test::Recorder rec;
  Actions actions;
  ot::BookRules rules;
  rules.needs_rest_snapshot = true;
  ot::BookSyncGuard guard(rules, rec, &actions);
  ot::test::BookBuilder bb;
  auto diff = [&](std::int64_t U, std::int64_t u, const char* qty) {
    auto& d = bb.make("binance", "BTCUSDT", false, {{"100", qty}}, {});
    d.first_seq = U;
    d.seq = u;
    guard.on_book(d);
  };
  diff(90, 95, "1");   // stale once the snapshot says 100
  diff(96, 102, "2");  // straddles 100
  diff(103, 104, "3");
  CHECK(rec.books.empty());
  REQUIRE(actions.snapshots == std::vector<std::string>{"BTCUSDT"});
  auto& snap = bb.make("binance", "BTCUSDT", true, {{"100", "9"}}, {});
  snap.seq = 100;
  guard.on_book(snap);
  REQUIRE(rec.books.size() == 3);
  CHECK(rec.books[0].snapshot);
  CHECK(rec.books[1].seq == 102);
  CHECK(rec.books[2].seq == 104);

  SECTION("a gap asks for a fresh snapshot and withholds diffs") {
    diff(110, 111, "4");
    REQUIRE(rec.statuses.size() == 1);
    CHECK(rec.statuses[0].second == "gap");
    CHECK(actions.snapshots.size() == 2);
    diff(112, 113, "5");
    CHECK(rec.books.size() == 3);
    auto& s2 = bb.make("binance", "BTCUSDT", true, {{"100", "7"}}, {});
    s2.seq = 112;
    guard.on_book(s2);
    CHECK(rec.books.size() == 5);  // snapshot + buffered 112..113
    CHECK(rec.statuses.back().second == "resync");
  }
  SECTION("a snapshot older than the buffer is not used") {
    guard.reset_all();
    diff(200, 201, "4");
    auto& old = bb.make("binance", "BTCUSDT", true, {{"100", "7"}}, {});
    old.seq = 150;
    guard.on_book(old);
    CHECK(rec.books.size() == 3);
    CHECK(rec.statuses.back().second == "gap");
  }
}

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
    std::string err;
    {
      auto out = ot::open_output(path, {}, err);
      REQUIRE(out);
      for (int i = 0; i < 20000; ++i) out->write_line({}, "line " + std::to_string(i));
      REQUIRE(out->flush());
    }
    auto in = ot::open_input(path, err);
    REQUIRE(in);
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
  std::string err;
  CHECK_FALSE(ot::open_input(base + "/missing.raw", err));
  CHECK(err.find("missing.raw") != std::string::npos);
  rmdir(dir);
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
  std::string err;
  auto in = ot::open_input("/dev/fd/" + std::to_string(fds[0]), err);
  REQUIRE(in);
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

TEST_CASE("ZeroMQ output publishes topic and line; input subscribes", "[io][zmq]") {
  char path[] = "/tmp/ot-zmq-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  const std::string uri = std::string("ipc://") + path;
  std::string err;
  auto out = ot::open_output(uri, {}, err);
  REQUIRE(out);
  auto in = ot::open_input(uri, err);
  REQUIRE(in);
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

TEST_CASE("URLs for venues and local servers", "[net]") {
  auto u = ot::net::parse_url("wss://stream.binance.com:9443");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->host == "stream.binance.com");
  CHECK(u->port == "9443");
  CHECK(u->target == "/");
  auto l = ot::net::parse_url("http://127.0.0.1:8080/prefix");
  REQUIRE(l);
  CHECK_FALSE(l->tls);
  CHECK(l->target == "/prefix");
  CHECK(ot::net::parse_url("ws://[::1]:9000")->host == "::1");
  CHECK(ot::net::parse_url("https://www.okx.com")->port == "443");
  CHECK_FALSE(ot::net::parse_url("ftp://x"));
  CHECK_FALSE(ot::net::parse_url("ws://"));
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
  std::string err;
  REQUIRE(ot::pin_to_cpus("0", err));
  cpu_set_t now;
  REQUIRE(::sched_getaffinity(0, sizeof now, &now) == 0);
  CHECK(CPU_COUNT(&now) == 1);
  CHECK(CPU_ISSET(0, &now));
  CHECK_FALSE(ot::pin_to_cpus("1000", err));  // no such CPU here
  CHECK(err == "--cpu 1000: Invalid argument");
  CHECK_FALSE(ot::pin_to_cpus("x", err));
  CHECK(err.find("expected CPU numbers") != std::string::npos);
  REQUIRE(::sched_setaffinity(0, sizeof before, &before) == 0);
}
