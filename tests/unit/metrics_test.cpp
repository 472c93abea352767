// Metrics (lib/metrics): the registry's series, the text exposition format
// as Prometheus reads it, updates from many threads, the label cap, and
// the exporter's endpoints over a real socket.
#include "metrics/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "metrics/exporter.h"
#include "metrics/line_meter.h"

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
  r.on_scrape([&] { r.gauge("ot_scrapes", "Scrapes.").set(++scrapes); });
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

TEST_CASE("lines are counted by type and venue from their first members", "[metrics]") {
  std::string_view type, venue;
  classify_line(R"({"type":"trade","venue":"okx","symbol":"BTC-USDT"})", type, venue);
  CHECK((type == "trade" && venue == "okx"));
  classify_line(R"({"type":"control","command":"kill"})", type, venue);
  CHECK((type == "control" && venue.empty()));
  classify_line(R"({"venue":"okx","type":"trade"})", type, venue);
  CHECK((type.empty() && venue.empty()));
  classify_line("not json", type, venue);
  CHECK(type.empty());

  Registry r;
  LineMeter in(r, "in", 3);
  in.count(R"({"type":"trade","venue":"okx","price":"1"})");
  in.count(R"({"type":"trade","venue":"okx","price":"2"})");
  in.count(R"({"type":"status","venue":"binance","symbol":"BTCUSDT","ts":1,"event":"gap"})");
  in.count(R"({"type":"status","venue":"binance","ts":2,"event":"made-up"})");
  in.count(R"({"type":"book","venue":"deribit"})");  // the third series: the cap
  in.count(R"({"type":"book","venue":"x"})");        // past it: "other"
  in.count_malformed();
  CHECK(in.last_line_ns() > 0);
  const std::string text = r.render();
  CHECK_THAT(text,
             Catch::Contains(R"(ot_events_total{direction="in",type="trade",venue="okx"} 2)"));
  CHECK_THAT(text,
             Catch::Contains(R"(ot_events_total{direction="in",type="status",venue="binance"} 2)"));
  CHECK_THAT(text,
             Catch::Contains(R"(ot_events_total{direction="in",type="other",venue="other"} 1)"));
  CHECK_THAT(text, Catch::Contains(R"(ot_status_total{event="gap",venue="binance"} 1)"));
  CHECK_THAT(text, Catch::Contains(R"(ot_status_total{event="other",venue="binance"} 1)"));
  CHECK_THAT(text, Catch::Contains(R"(ot_last_event_age_seconds{venue="okx"} )"));
  CHECK_THAT(text, Catch::Contains("ot_malformed_lines_total 1\n"));

  struct Keep final : ot::LineSink {
    void write_line(std::string_view, std::string_view l) override { lines.emplace_back(l); }
    std::vector<std::string> lines;
  } keep;
  LineMeter out(r, "out");
  MeteredSink sink(keep, out);
  sink.write_line("", R"({"type":"bbo","venue":"okx"})");
  CHECK(keep.lines.size() == 1);
  CHECK_THAT(r.render(),
             Catch::Contains(R"(ot_events_total{direction="out",type="bbo",venue="okx"} 1)"));
}
