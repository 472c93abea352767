#include <catch2/catch.hpp>

#include "core/decimal.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "core/json_out.h"
#include "core/time.h"
#include "test_util.h"

using ot::Decimal;

TEST_CASE("Decimal parses venue text and prints it back digit for digit", "[core][decimal]") {
  for (const char* s : {"7.6110", "0.35130000", "30261", "0", "0.0", "-0.0015",
                        "123456789012345678", "0.000000000000000001", "6195.00000000"}) {
    auto d = Decimal::parse(s);
    REQUIRE(d);
    CHECK(d->to_string() == s);
  }
  SECTION("JSON numbers with exponents") {
    CHECK(Decimal::parse("1e-05")->to_string() == "0.00001");
    CHECK(Decimal::parse("2.5E3")->to_string() == "2500");
    CHECK(Decimal::parse("4714.0")->to_string() == "4714.0");
  }
  SECTION("rejects what is not a decimal") {
    for (const char* s : {"", "-", ".", "abc", "1.2.3", "1e", "12a", "1234567890123456789",
                          "0.0000000000000000001", "\"1\""}) {
      CHECK_FALSE(Decimal::parse(s));
    }
  }
  SECTION("compares by value across scales") {
    CHECK(*Decimal::parse("1.50") == *Decimal::parse("1.5"));
    CHECK(*Decimal::parse("1.49") < *Decimal::parse("1.5"));
    CHECK(ot::compare(*Decimal::parse("-2"), *Decimal::parse("1.5")) < 0);
  }
}

TEST_CASE("capture stamps round-trip at 100 ns", "[core][time]") {
  const auto t = ot::parse_iso8601("2021-10-12T00:28:32.0633569Z");
  REQUIRE(t);
  CHECK(*t == 1633998512063356900LL);
  char buf[28];
  CHECK(std::string(buf, ot::format_capture_stamp(buf, *t)) == "2021-10-12T00:28:32.0633569Z");
  CHECK(ot::parse_iso8601("2024-02-29T23:59:59Z").value() == 1709251199000000000LL);
  CHECK_FALSE(ot::parse_iso8601("2021-13-12T00:28:32.06Z"));
  CHECK_FALSE(ot::parse_iso8601("2021-10-12 00:28:32Z"));
  CHECK_FALSE(ot::parse_iso8601("2021-10-12T00:28:32.06"));
}

namespace {
struct Lines final : ot::LineSink {
  void write_line(std::string_view topic, std::string_view line) override {
    topics.emplace_back(topic);
    lines.emplace_back(line);
  }
  std::vector<std::string> topics, lines;
};
}  // namespace

TEST_CASE("events encode to the documented NDJSON and decode back", "[core][codec]") {
  Lines sink;
  ot::EventEncoder enc(sink);
  ot::test::BookBuilder bb;
  auto& u = bb.make("okx", "BTC-USDT", false, {{"30237.2", "0"}}, {{"30243.5", "1.2112"}});
  u.ts = 1652459225464000000;
  u.recv = 1652459225708734500;
  u.seq = 12;
  u.prev_seq = 11;
  u.checksum = -914047754;
  enc.on_book(u);
  REQUIRE(sink.lines.size() == 1);
  CHECK(sink.topics[0] == "book.okx.BTC-USDT");
  CHECK(sink.lines[0] ==
        R"({"type":"book","venue":"okx","symbol":"BTC-USDT","ts":1652459225464000000,)"
        R"("recv":1652459225708734500,"snapshot":false,"seq":12,"prev_seq":11,)"
        R"("checksum":-914047754,"bids":[["30237.2","0"]],"asks":[["30243.5","1.2112"]]})");

  ot::EventDecoder dec;
  ot::DecodedEvent ev;
  std::string err;
  ot::test::Padded line(sink.lines[0]);
  REQUIRE(dec.decode(line.view(), ev, err));
  CHECK(ev.type == "book");
  CHECK(ev.book.symbol == "BTC-USDT");
  CHECK(ev.book.seq == 12);
  CHECK(ev.book.prev_seq == 11);
  CHECK(ev.book.checksum == -914047754);
  REQUIRE(ev.book.asks.size() == 1);
  CHECK(ev.book.asks[0].qty == "1.2112");

  SECTION("status details are escaped") {
    ot::Status s{"binance", "BTCUSDT", 1, "error", "bad \"quote\"\n"};
    enc.on_status(s);
    CHECK(
        sink.lines.back() ==
        R"({"type":"status","venue":"binance","symbol":"BTCUSDT","ts":1,"event":"error","detail":"bad \"quote\"\n"})");
  }
  SECTION("malformed lines are errors, not crashes") {
    for (const char* bad :
         {"{\"type\":\"book\",\"venue\":\"okx\"", "[1,2]", "{\"type\":5}",
          "{\"type\":\"book\",\"venue\":\"okx\",\"symbol\":\"X\",\"bids\":[[1,2]]}"}) {
      ot::test::Padded p(bad);
      CHECK_FALSE(dec.decode(p.view(), ev, err));
      CHECK_FALSE(err.empty());
    }
  }
}
