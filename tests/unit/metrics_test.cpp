// Metrics (lib/metrics): the registry's series, the text exposition format
// as Prometheus reads it, updates from many threads, the label cap, and
// the exporter's endpoints over a real socket.
#include "metrics/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/event_encoder.h"
#include "core/event_tally.h"
#include "metrics/event_meter.h"
#include "metrics/exporter.h"
#include "metrics/runtime.h"

using namespace ot::metrics;

namespace {

// One HTTP/1.0 GET to 127.0.0.1:port; the whole response.
std::string get(std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n";
  REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

}  // namespace

TEST_CASE("the registry renders the text exposition format", "[metrics]") {
  Registry r;
  r.counter("ot_events_in_total", "Events read.", {{"venue", "okx"}, {"type", "trade"}}).inc(3);
  r.counter("ot_events_in_total", "ignored", {{"type", "book"}, {"venue", "okx"}}).inc();
  r.gauge("ot_position", "Position.\nIn contracts \\ coin.", {{"symbol", "a\"b"}}).set(-1.5);
  auto& h = r.histogram("ot_stage_seconds", "Stage latency.", {{"stage", "feed"}});
  h.observe_ns(800);            // <= 1 us
  h.observe_ns(1'000);          // <= 1 us (bounds are inclusive)
  h.observe_ns(3'000'000);      // <= 5 ms
  h.observe_ns(2'000'000'000);  // past 1 s
  const std::string text = r.render();
  CHECK_THAT(text, Catch::Contains("# HELP ot_events_in_total Events read.\n"
                                   "# TYPE ot_events_in_total counter\n"
                                   "ot_events_in_total{type=\"book\",venue=\"okx\"} 1\n"
                                   "ot_events_in_total{type=\"trade\",venue=\"okx\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("# HELP ot_position Position.\\nIn contracts \\\\ coin.\n"
                                   "# TYPE ot_position gauge\n"
                                   "ot_position{symbol=\"a\\\"b\"} -1.5\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE ot_stage_seconds histogram\n"
                                   "ot_stage_seconds_bucket{stage=\"feed\",le=\"1e-06\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("ot_stage_seconds_bucket{stage=\"feed\",le=\"5e-05\"} 2\n"
                                   "ot_stage_seconds_bucket{stage=\"feed\",le=\"0.0001\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("ot_stage_seconds_bucket{stage=\"feed\",le=\"0.002\"} 2\n"
                                   "ot_stage_seconds_bucket{stage=\"feed\",le=\"0.005\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("ot_stage_seconds_bucket{stage=\"feed\",le=\"1\"} 3\n"
                                   "ot_stage_seconds_bucket{stage=\"feed\",le=\"+Inf\"} 4\n"
                                   "ot_stage_seconds_sum{stage=\"feed\"} 2.0030018\n"
                                   "ot_stage_seconds_count{stage=\"feed\"} 4\n"));
  // The same name and labels: the same series; another type: an error.
  CHECK(&r.counter("ot_events_in_total", "", {{"venue", "okx"}, {"type", "trade"}}) ==
        &r.counter("ot_events_in_total", "", {{"type", "trade"}, {"venue", "okx"}}));
  CHECK_THROWS_AS(r.gauge("ot_events_in_total", ""), std::logic_error);
}

TEST_CASE("updates from many threads all count", "[metrics]") {
  Registry r;
  Counter& c = r.counter("ot_x_total", "x");
  Histogram& h = r.histogram("ot_y_seconds", "y");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        c.inc();
        h.observe_ns(i % 3 == 0 ? 500 : 50'000);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.value() == 400000);
  CHECK(h.count() == 400000);
  CHECK(h.bucket(0) == 4 * 33334);
}

TEST_CASE("a label cap keeps the first values and names the rest other", "[metrics]") {
  LabelCap cap(2);
  CHECK(cap("BTCUSDT") == "BTCUSDT");
  CHECK(cap("ETHUSDT") == "ETHUSDT");
  CHECK(cap("SOLUSDT") == "other");
  CHECK(cap("BTCUSDT") == "BTCUSDT");
}

TEST_CASE("the exporter serves /metrics, /healthz and /readyz", "[metrics]") {
  Registry r;
  r.counter("ot_lines_total", "Lines.").inc(7);
  int scrapes = 0;
  r.on_scrape(&r, [&] { r.gauge("ot_scrapes", "Scrapes.").set(++scrapes); });
  bool ready = false;
  auto started = Exporter::start("127.0.0.1:0", r, [&](std::string& why) {
    why = "books resyncing";
    return ready;
  });
  REQUIRE(started);
  const auto port = (*started)->port();
  const std::string m = get(port, "/metrics");
  CHECK_THAT(m, Catch::StartsWith("HTTP/1.0 200 OK"));
  CHECK_THAT(m, Catch::Contains("text/plain; version=0.0.4"));
  CHECK_THAT(m, Catch::Contains("\r\n\r\n# HELP ot_lines_total Lines.\n"));
  CHECK_THAT(m, Catch::Contains("ot_lines_total 7\n"));
  CHECK_THAT(m, Catch::Contains("ot_scrapes 1\n"));
  CHECK_THAT(get(port, "/healthz"), Catch::StartsWith("HTTP/1.0 200 OK"));
  const std::string not_ready = get(port, "/readyz");
  CHECK_THAT(not_ready, Catch::StartsWith("HTTP/1.0 503"));
  CHECK_THAT(not_ready, Catch::EndsWith("not ready: books resyncing\n"));
  ready = true;
  CHECK_THAT(get(port, "/readyz"), Catch::StartsWith("HTTP/1.0 200 OK"));
  CHECK_THAT(get(port, "/nope"), Catch::StartsWith("HTTP/1.0 404"));
  for (const char* bad : {"9464", "127.0.0.1:x", "999.1.1.1:9464", "127.0.0.1:99999"}) {
    INFO(bad);
    auto refused = Exporter::start(bad, r, nullptr);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().is_usage());
  }
}

TEST_CASE("the event meter counts what the decoders read and the encoders write", "[metrics]") {
  using ot::EventType;
  Registry r;
  EventMeter meter(r, 2);
  ot::install_event_tally(&meter);
  ot::EventDecoder decoder({EventType::trade, EventType::status});
  ot::DecodedEvent ev;
  auto decode = [&](std::string line) {
    line.append(64, '\0');  // the decoder's padding
    return static_cast<bool>(decoder.decode(std::string_view(line.data(), line.size() - 64), ev));
  };
  CHECK(decode(
      R"({"type":"trade","venue":"okx","symbol":"BTC-USDT","price":"1","qty":"1","side":"buy"})"));
  CHECK(decode(
      R"({"type":"status","venue":"binance","symbol":"BTCUSDT","event":"gap","detail":"x"})"));
  CHECK(decode(R"({"type":"status","venue":"binance","event":"made-up"})"));
  // A type passed through undecoded keeps its venue, read as the next member.
  CHECK(decode(R"({"type":"bbo","venue":"deribit","symbol":"BTC-PERPETUAL"})"));
  CHECK(ev.venue == "deribit");
  ot::tally_passed(ev);  // the bbo read, written on unchanged
  CHECK_FALSE(decode("not json"));
  CHECK(meter.lines_in() == 5);

  struct Keep final : ot::LineSink {
    void write_line(std::string_view, std::string_view l) override { lines.emplace_back(l); }
    std::vector<std::string> lines;
  } keep;
  ot::EventEncoder encoder(keep);
  ot::EventEncoder journal(keep, false);
  ot::Status s{"okx", "", 1, "disconnected", "closed"};
  encoder.on_status(s);
  journal.on_status(s);  // not counted
  ot::Exec e;
  e.id = "o-1";
  e.venue = "okx";
  e.symbol = "BTC-USDT";
  e.status = ot::ExecStatus::rejected;
  e.reason = "quantity 5 above max_order_qty 1 (order o-1)";
  encoder.write(e);
  ot::Position p;
  p.venue = "okx";
  for (const char* sym : {"A", "B", "C"}) {  // the third symbol is past the cap of 2
    p.symbol = sym;
    p.qty = ot::Decimal{-15, 1};
    encoder.write(p);
  }
  ot::install_event_tally(nullptr);
  encoder.on_status(s);  // no tally: not counted

  r.tick();  // stamps the venues whose counts moved: their ages start
  const std::string text = r.render();
  auto has = [&](const std::string& series) {
    INFO(series);
    CHECK_THAT(text, Catch::Contains(series + "\n"));
  };
  has(R"(ot_events_total{direction="in",type="trade",venue="okx"} 1)");
  has(R"(ot_events_total{direction="in",type="status",venue="binance"} 2)");
  has(R"(ot_events_total{direction="in",type="bbo",venue="deribit"} 1)");
  has(R"(ot_events_total{direction="out",type="status",venue="okx"} 1)");
  has(R"(ot_events_total{direction="out",type="bbo",venue="deribit"} 1)");
  has(R"(ot_events_total{direction="out",type="position",venue="okx"} 3)");
  has(R"(ot_status_total{direction="in",event="gap",venue="binance"} 1)");
  has(R"(ot_status_total{direction="in",event="other",venue="binance"} 1)");
  has(R"(ot_status_total{direction="out",event="disconnected",venue="okx"} 1)");
  has(R"(ot_venue_connected{venue="okx"} 0)");
  has(R"(ot_malformed_lines_total 1)");
  has(R"(ot_execs_total{status="rejected",venue="okx"} 1)");
  has(R"(ot_rejects_total{reason="quantity",venue="okx"} 1)");
  has(R"(ot_position{symbol="A",venue="okx"} -1.5)");
  has(R"(ot_position{symbol="other",venue="okx"} -1.5)");
  CHECK_THAT(text, Catch::Contains(R"(ot_last_event_age_seconds{direction="in",venue="okx"} )"));
  CHECK_THAT(text, !Catch::Contains("o-1"));  // never an order id
}

TEST_CASE("reject reasons are labelled by their leading words", "[metrics]") {
  CHECK(reason_class("quantity 5 above max_order_qty 1") == "quantity");
  CHECK(reason_class("kill switch: signal SIGUSR2") == "kill_switch");
  CHECK(reason_class("no reference price for the price collar") == "no_reference_price");
  CHECK(reason_class("post-only order would take") == "post_only_order_would");
  CHECK(reason_class("cancel: unknown client order id") == "cancel");
  CHECK(reason_class("") == "other");
  CHECK(reason_class("(order x) 5") == "other");
}

TEST_CASE("a stage timer samples one pass in kSampleEvery", "[metrics]") {
  Histogram h;
  StageTimer t(&h);
  for (unsigned i = 0; i < 3 * StageTimer::kSampleEvery; ++i) {
    t.begin();
    t.end();
  }
  CHECK(h.count() == 3);
  StageTimer off;
  off.begin();
  off.end();
}

TEST_CASE("the watchdog is fed while the program works or waits, not when it is stuck",
          "[metrics]") {
  char dir[] = "/tmp/ot-notify-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/notify";
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "100000", 1);  // a ping every 50 ms when alive
  // The pings received in `ms`.
  auto pings = [fd](int ms) {
    int n = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      timeval tv{0, 10'000};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[256];
      const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got > 0 && std::string_view(buf, static_cast<std::size_t>(got)) == "WATCHDOG=1") ++n;
    }
    return n;
  };
  {
    auto started = Runtime::start({});
    REQUIRE(started);
    auto& rt = **started;
    pings(120);              // the first look sees the start as progress
    CHECK(pings(300) == 0);  // neither working nor waiting: stuck
    rt.waiting();            // blocked on an input with nothing to read
    CHECK(pings(300) >= 3);
    ot::event_tally()->in(ot::EventType::trade, "okx", {});  // a line read...
    pings(120);                                              // ...is progress once
    CHECK(pings(300) == 0);  // then nothing: stuck in that line's work
    rt.beat();               // an event loop's tick
    CHECK(pings(120) >= 1);
  }
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::close(fd);
  ::unlink(path.c_str());
  ::rmdir(dir);
}
