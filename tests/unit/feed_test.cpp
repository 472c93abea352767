#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <sstream>
#include <thread>

#include "feed/book_sync.h"
#include "feed/replay.h"
#include "io/input.h"
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

TEST_CASE("replay with metrics counts parse errors by venue and times frame_to_event",
          "[feed][metrics]") {
  using namespace ot;
  auto& registry = metrics::registry();
  auto& errors = registry.counter("ot_parse_errors_total", "", {{"venue", "binance-futures"}});
  auto& stage = registry.histogram("ot_stage_latency_seconds", "", {{"stage", "frame_to_event"}});
  test::TempDir dir;
  const std::string path = dir.path + "/capture.raw";
  std::istringstream capture(test::read_file(test::data_path("binance-futures.raw")));
  std::string text, line;
  for (int i = 0; i < 64 && std::getline(capture, line); ++i) text += line + "\n";
  // A frame cut short, and a line that is not a capture line.
  text += "2021-07-22T22:26:00.0000000Z {\"stream\":\"sushiusdt@depth@100ms\",\"data\":{\"e\":\n";
  text += "not a capture line\n";
  test::write_file(path, text);
  auto replay = [&](metrics::Runtime* rt) {
    std::vector<std::unique_ptr<LineInput>> inputs;
    inputs.push_back(test::must(open_input(path)));
    ReplayOptions options;
    options.runtime = rt;
    test::Lines out;
    test::Quiet diag;
    ReplayStats stats;
    REQUIRE(run_replay(inputs, options, out, diag, stats));
    CHECK(stats.errors == 2);
    CHECK(stats.frames >= 64);
  };

  SECTION("without --metrics nothing is counted or timed") {
    const std::uint64_t errors0 = errors.value(), timed0 = stage.count();
    replay(nullptr);
    CHECK(errors.value() == errors0);
    CHECK(stage.count() == timed0);
  }
  SECTION("with --metrics each error counts once, under the capture's venue") {
    auto rt = test::must(metrics::Runtime::start({"127.0.0.1:0"}));
    const std::uint64_t errors0 = errors.value(), timed0 = stage.count();
    replay(rt.get());
    CHECK(errors.value() == errors0 + 2);
    CHECK(stage.count() - timed0 >= 64 / metrics::StageTimer::kSampleEvery);
  }
}
