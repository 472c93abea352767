#include <catch2/catch.hpp>
#include <limits>
#include <optional>
#include <random>
#include <set>

#include "core/amount.h"
#include "core/decimal.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "core/hash.h"
#include "core/json_in.h"
#include "core/json_out.h"
#include "core/result.h"
#include "core/string_map.h"
#include "core/time.h"
#include "test_util.h"

using ot::Decimal;
using ot::test::dec;

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

namespace {
// Independent reading of plain decimal text ("[0-9]*(.[0-9]*)?", a digit at
// least, at most 18 significant digits and 18 decimals), digit by digit.
std::optional<Decimal> reference_plain(const std::string& s) {
  std::string digits;
  int scale = 0;
  bool point = false;
  for (char c : s) {
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      digits.push_back(c);
      scale += point;
    } else {
      return std::nullopt;
    }
  }
  if (digits.empty() || scale > 18) return std::nullopt;
  const auto first = digits.find_first_not_of('0');
  if (first != std::string::npos && digits.size() - first > 18) return std::nullopt;
  std::int64_t m = 0;
  for (char c : digits) m = m * 10 + (c - '0');
  return Decimal{m, scale};
}
}  // namespace

TEST_CASE("Decimal prints every magnitude and scale as plain text", "[core][decimal]") {
  // Against an independent rendering: the mantissa's digits, zero-padded to
  // more than `scale`, with the point put in `scale` from the end.
  auto reference = [](std::int64_t m, int scale) {
    const bool negative = m < 0;
    std::string digits = std::to_string(m).substr(negative ? 1 : 0);
    const auto n = static_cast<std::size_t>(scale);
    if (digits.size() <= n) digits = std::string(n + 1 - digits.size(), '0') + digits;
    std::string out(negative ? 1 : 0, '-');
    out += digits.substr(0, digits.size() - n);
    if (scale > 0) {
      out += '.';
      out += digits.substr(digits.size() - n);
    }
    return out;
  };
  std::mt19937_64 rng(11);
  std::vector<std::int64_t> values = {0,
                                      1,
                                      9,
                                      10,
                                      99,
                                      100,
                                      999'999'999'999'999'999LL,
                                      1'000'000'000'000'000'000LL,
                                      INT64_MAX,
                                      INT64_MIN + 1};
  for (std::int64_t p = 1; p < 1'000'000'000'000'000'000LL; p *= 10) {
    values.insert(values.end(), {p - 1, p, p + 1});
  }
  for (int i = 0; i < 20000; ++i) {
    values.push_back(static_cast<std::int64_t>(rng() >> (rng() % 64)));
  }
  for (const std::int64_t v : values) {
    for (const std::int64_t m : {v, -v}) {
      for (int scale = 0; scale <= 18; ++scale) {
        const std::string want = reference(m, scale);
        INFO(m << " at scale " << scale);
        REQUIRE(Decimal{m, scale}.to_string() == want);
        char buf[48];
        REQUIRE(std::string(buf, ot::format_fixed(buf, m, scale)) == want);
      }
    }
  }
}

TEST_CASE("Decimal::parse agrees with a digit-by-digit reading on every length",
          "[core][decimal]") {
  // Lengths 0..24 cover the sixteen-byte path, the longer plain path and the
  // general one; a few stray characters make sure each rejects what it must.
  std::mt19937_64 rng(7);
  const std::string alphabet = "0123456789012345678901234567890123456789..-e+x ";
  for (int i = 0; i < 200000; ++i) {
    const std::size_t n = rng() % 25;
    std::string s;
    const bool plain = rng() % 4 != 0;
    for (std::size_t k = 0; k < n; ++k) {
      s.push_back(plain && rng() % 8 != 0 ? static_cast<char>('0' + rng() % 10)
                                          : alphabet[rng() % alphabet.size()]);
    }
    if (plain && n > 1 && rng() % 2) s[rng() % n] = '.';
    const bool simple = s.find_first_not_of("0123456789.") == std::string::npos;
    const auto got = Decimal::parse(s);
    if (simple) {
      const auto want = reference_plain(s);
      INFO("text '" << s << "'");
      REQUIRE(got.has_value() == want.has_value());
      if (want) {
        CHECK(got->mantissa == want->mantissa);
        CHECK(got->scale == want->scale);
        // And back to text: the same value at the same scale.
        const auto again = Decimal::parse(got->to_string());
        REQUIRE(again);
        CHECK(again->mantissa == got->mantissa);
        CHECK(again->scale == got->scale);
        std::string negative = got->mantissa == 0 ? "" : "-";
        negative += got->to_string();
        CHECK(Decimal{-got->mantissa, got->scale}.to_string() == negative);
      }
    } else if (got) {
      // Signs and exponents go through the general parser: it must print a
      // value that reads back the same.
      CHECK(Decimal::parse(got->to_string()) == got);
    }
  }
  // Every position of the point in sixteen bytes, and the widest values.
  for (int dot = 0; dot < 16; ++dot) {
    std::string s = "1234567890123456";
    s[static_cast<std::size_t>(dot)] = '.';
    const auto want = reference_plain(s);
    const auto got = Decimal::parse(s);
    REQUIRE(got);
    CHECK(got->mantissa == want->mantissa);
    CHECK(got->scale == want->scale);
  }
  CHECK(Decimal::parse("9999999999999999")->mantissa == 9999999999999999);
  CHECK(Decimal::parse("0000000000000001")->mantissa == 1);
}

TEST_CASE("the level scanner agrees with a JSON parser on every shape", "[core][levels]") {
  // Canonical arrays take the fast path; whitespace, extra members and
  // non-plain decimals the general one; numbers, escapes, nesting and short
  // levels are errors. Views, values and the canonical flag are checked
  // against simdjson's DOM and Decimal::parse.
  std::mt19937_64 rng(11);
  const std::vector<std::string> texts = {"36999.99",
                                          "1.10100000",
                                          "0",
                                          "0.0",
                                          "5.",
                                          ".5",
                                          "",
                                          "-1.5",
                                          "1e-05",
                                          "abc",
                                          "12345678901234567890",
                                          "0.0000000000000000001",
                                          "000000000000000000001"};
  simdjson::dom::parser dom;
  for (int round = 0; round < 20000; ++round) {
    const int shape = static_cast<int>(rng() % 8);  // 0-3 canonical, 4 ws, 5 extra, 6 bad, 7 mix
    std::string raw = "[";
    const std::size_t n = rng() % 6;
    bool expect_canonical = true, expect_error = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (i) raw += shape == 4 && rng() % 2 ? " , " : ",";
      raw += "[";
      for (int k = 0; k < 2; ++k) {
        if (k) raw += ",";
        const std::string& t = texts[rng() % (shape < 4 ? 4 : texts.size())];
        if (shape == 6 && rng() % 3 == 0) {
          // A number, an escape, a control byte among eight decimals.
          raw += std::vector<std::string>{"1.5", "\"1\\u0030\"",
                                          "\"1.1234\x1a"
                                          "678\"",
                                          "\"1.12345\x1f"
                                          "78\""}[rng() % 4];
          expect_error = true;
        } else {
          raw += "\"" + t + "\"";
        }
      }
      if (shape == 5 || (shape == 7 && rng() % 2)) raw += ",\"x\"", expect_canonical = false;
      raw += "]";
    }
    raw += shape == 4 ? " ]" : "]";
    if (shape == 4) expect_canonical = false;
    if (shape == 6 && n == 0) raw = "[[]]", expect_error = true;
    std::string padded = raw + std::string(64, '\0');
    const std::string_view view(padded.data(), raw.size());
    std::vector<ot::PriceLevel> got;
    INFO("raw " << raw);
    bool canonical = false;
    const auto error = ot::scan_string_levels(view, got).get(canonical);
    if (expect_error) {
      CHECK(error == simdjson::INCORRECT_TYPE);
      continue;
    }
    REQUIRE(error == simdjson::SUCCESS);
    CHECK(canonical == expect_canonical);
    simdjson::dom::array levels = dom.parse(raw).get_array();
    REQUIRE(got.size() == levels.size());
    std::size_t i = 0;
    for (simdjson::dom::element level : levels) {
      simdjson::dom::array a = level.get_array();
      const std::string_view price = a.at(0).get_string(), qty = a.at(1).get_string();
      CHECK(got[i].price == price);
      CHECK(got[i].qty == qty);
      auto same = [](std::optional<Decimal> a, std::optional<Decimal> b) {
        return a.has_value() == b.has_value() &&
               (!a || (a->mantissa == b->mantissa && a->scale == b->scale));
      };
      CHECK(same(got[i].price_decimal(), Decimal::parse(price)));
      CHECK(same(got[i].qty_decimal(), Decimal::parse(qty)));
      ++i;
    }
  }
}

TEST_CASE("short-key equality and hash agree with std::string_view", "[core][strings]") {
  std::mt19937_64 rng(3);
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) {
    std::string k(rng() % 41, 'a');
    for (char& c : k) c = "AB\0\x1f-_09"[rng() % 9];
    keys.push_back(k);
    std::string near = k;  // same length, one byte off
    if (!near.empty()) near[rng() % near.size()] ^= 1;
    keys.push_back(near);
  }
  const ot::StringHash hash;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    for (std::size_t j : {i, i + 1, (i * 7919) % keys.size()}) {
      const std::string_view a = keys[i], b = keys[j];
      REQUIRE(ot::same_key(a, b) == (a == b));
      if (a == b) REQUIRE(hash(a) == hash(std::string(b)));
    }
  }
  ot::StringMap<int> m;
  for (std::size_t i = 0; i < keys.size(); ++i) m.emplace(keys[i], static_cast<int>(i));
  for (const auto& k : keys)
    REQUIRE(keys[static_cast<std::size_t>(m.find(std::string_view(k))->second)] == k);
}

TEST_CASE("capture stamps round-trip at 100 ns", "[core][time]") {
  const auto t = ot::parse_iso8601("2021-10-12T00:28:32.0633569Z");
  REQUIRE(t);
  CHECK(*t == 1633998512063356900LL);
  char buf[28];
  CHECK(std::string(buf, ot::format_capture_stamp(buf, *t)) == "2021-10-12T00:28:32.0633569Z");
  CHECK(ot::parse_iso8601("2024-02-29T23:59:59Z").value() == 1709251199000000000LL);
  CHECK_FALSE(ot::parse_iso8601("2021-13-12T00:28:32.06Z"));
  CHECK_FALSE(ot::parse_iso8601("2021-02-31T00:00:00Z"));
  CHECK_FALSE(ot::parse_iso8601("2023-02-29T00:00:00Z"));
  CHECK_FALSE(ot::parse_iso8601("2021-04-31T00:00:00Z"));
  CHECK(ot::parse_iso8601("2000-02-29T00:00:00Z"));
  CHECK_FALSE(ot::parse_iso8601("1900-02-29T00:00:00Z"));
  CHECK_FALSE(ot::parse_iso8601("2016-12-31T23:59:60Z"));
  // The last nanosecond 64 bits hold, and the next.
  CHECK(ot::parse_iso8601("2262-04-11T23:47:16.854775807Z").value() == INT64_MAX);
  CHECK_FALSE(ot::parse_iso8601("2262-04-11T23:47:16.854775808Z"));
  CHECK_FALSE(ot::parse_iso8601("9999-12-31T23:59:59Z"));
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
  ot::test::Padded line(sink.lines[0]);
  REQUIRE(dec.decode(line.view(), ev));
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
      const auto decoded = dec.decode(p.view(), ev);
      REQUIRE_FALSE(decoded);
      CHECK(decoded.error().code() == ot::ErrorCode::corrupt);
      CHECK_FALSE(decoded.error().message().empty());
    }
  }
}

TEST_CASE("CompactStringSet holds what a std::set holds", "[core][strings]") {
  std::mt19937_64 rng(3);
  ot::CompactStringSet set;
  std::set<std::string> ref;
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    const std::size_t n = rng() % 40;  // the empty string too, and some long ids
    for (std::size_t k = 0; k < n; ++k) s.push_back(static_cast<char>('a' + rng() % 3));
    if (rng() % 1000 == 0) s.assign(70000 + rng() % 3, 'q');  // long ones too
    const bool fresh = ref.insert(s).second;
    REQUIRE(set.insert(s) == fresh);
    if (i % 1000 == 0) {
      for (int probe = 0; probe < 50; ++probe) {
        std::string q;
        for (std::size_t k = 0, m = rng() % 40; k < m; ++k)
          q.push_back(static_cast<char>('a' + rng() % 3));
        REQUIRE(set.contains(q) == (ref.count(q) == 1));
      }
    }
  }
  CHECK(set.size() == ref.size());
  for (const auto& s : ref) REQUIRE(set.contains(s));
}

TEST_CASE("Amount: exact money arithmetic", "[core][amount]") {
  using ot::Amount;
  CHECK(Amount::product(dec("7.6110"), dec("6")).to_string() == "45.666");
  CHECK(Amount::product(dec("0.00000001"), dec("0.0000000001")).to_string() ==
        "0.000000000000000001");
  CHECK(Amount::of(dec("10")).divided_by(Amount::of(dec("3"))).to_string(6) == "3.333333");
  CHECK(Amount::of(dec("-10")).divided_by(Amount::of(dec("3"))).to_string(2) == "-3.33");
  CHECK(Amount::of(dec("2")).divided_by(Amount::of(dec("3"))).to_string(3) == "0.667");
  CHECK(Amount::of(dec("123.45")).times(dec("0.0002")).to_string() == "0.02469");
  CHECK((Amount::of(dec("1.5")) - Amount::of(dec("2"))).to_string() == "-0.5");
  CHECK(Amount::of(dec("0")).to_string() == "0");
  CHECK(Amount::from_double(-1.25).to_string() == "-1.25");
  CHECK(ot::round_to_tick(7.61149, dec("0.001"), ot::Round::nearest).to_string() == "7.611");
  CHECK(ot::round_to_tick(7.6115, dec("0.001"), ot::Round::nearest).to_string() == "7.612");
  CHECK(ot::round_to_tick(7.6119, dec("0.001"), ot::Round::down).to_string() == "7.611");
  CHECK(ot::round_to_tick(-7.6111, dec("0.001"), ot::Round::down).to_string() == "-7.612");
  CHECK(ot::round_to_tick(7.6111, dec("0.005"), ot::Round::up).to_string() == "7.615");
  CHECK(ot::add(dec("1.5"), dec("0.25")).to_string() == "1.75");
  CHECK(ot::sub(dec("1"), dec("0.001")).to_string() == "0.999");
  // Beyond 18 digits at the common scale: the decimals that fit, no overflow.
  CHECK(ot::remaining(dec("500000000000000"), dec("0.00000000")).to_string() ==
        "500000000000000.000");
  CHECK(ot::add(dec("999999999999999999"), dec("0.5")).to_string() == "999999999999999999");
  CHECK(ot::sub(dec("-999999999999999999"), dec("999999999999999999")).to_string() ==
        "-999999999999999999");
  CHECK(dec("500000000000000").at_scale(8) == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("trading events encode and decode back", "[core][codec]") {
  Lines sink;
  ot::EventEncoder enc(sink);
  ot::Order o;
  o.id = "mm-1";
  o.venue = "binance";
  o.symbol = "BTCUSDT";
  o.side = ot::Side::sell;
  o.qty = dec("0.010");
  o.price = dec("30261.5");
  o.tif = ot::Tif::post_only;
  o.strategy = "mm";
  o.ts = 5;
  enc.write(o);
  CHECK(
      sink.lines.back() ==
      R"({"type":"order","id":"mm-1","venue":"binance","symbol":"BTCUSDT","ts":5,"side":"sell","qty":"0.010","price":"30261.5","kind":"limit","tif":"post_only","strategy":"mm"})");
  ot::Exec e;
  e.id = "mm-1";
  e.venue = "binance";
  e.symbol = "BTCUSDT";
  e.side = ot::Side::sell;
  e.status = ot::ExecStatus::partial;
  e.price = dec("30261.5");
  e.qty = dec("0.004");
  e.filled = dec("0.004");
  e.leaves = dec("0.006");
  e.fee = dec("0.0242092");
  e.liquidity = ot::Liquidity::maker;
  e.seq = 7;
  enc.write(e);
  ot::EventDecoder decoder({ot::EventType::order, ot::EventType::exec});
  ot::DecodedEvent ev;
  ot::test::Padded p0{sink.lines[0]};
  REQUIRE(decoder.decode(p0.view(), ev));
  CHECK(ev.order.id == "mm-1");
  CHECK(ev.order.tif == ot::Tif::post_only);
  CHECK(ev.order.price->to_string() == "30261.5");
  CHECK(ev.order.qty.to_string() == "0.010");
  ot::test::Padded p1{sink.lines[1]};
  REQUIRE(decoder.decode(p1.view(), ev));
  CHECK(ev.exec.status == ot::ExecStatus::partial);
  CHECK(ev.exec.leaves.to_string() == "0.006");
  CHECK(ev.exec.liquidity == ot::Liquidity::maker);
  CHECK(*ev.exec.seq == 7);
  // Required fields and bad values are reported by name.
  for (const char* bad :
       {R"({"type":"order","id":"x","venue":"v","symbol":"s","qty":"1"})",
        R"({"type":"order","id":"x","venue":"v","symbol":"s","qty":"1","price":"abc"})",
        R"({"type":"order","id":"x","venue":"v","symbol":"s","qty":"1","price":"1","side":"up"})",
        R"({"type":"exec","status":"new"})"}) {
    ot::test::Padded p{bad};
    const auto decoded = decoder.decode(p.view(), ev);
    REQUIRE_FALSE(decoded);
    CHECK_THAT(decoded.error().message(), Catch::Contains("field"));
  }
  // `type` after other members still decodes.
  ot::test::Padded late{R"({"id":"c1","type":"cancel"})"};
  ot::EventDecoder cdec({ot::EventType::cancel});
  REQUIRE(cdec.decode(late.view(), ev));
  CHECK(ev.cancel.id == "c1");
}

TEST_CASE("Result holds a value or an Error with its code and message", "[core][result]") {
  ot::Result<int> good = 42;
  REQUIRE(good.ok());
  CHECK(*good == 42);
  ot::Result<int> bad = ot::Error(ot::ErrorCode::corrupt, "x.raw:3: not JSON");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == ot::ErrorCode::corrupt);
  CHECK_FALSE(bad.error().is_usage());
  CHECK(bad.error().within("replay").message() == "replay: x.raw:3: not JSON");
  ot::Result<> done;
  CHECK(done.ok());
  ot::Result<> failed = ot::Error(ot::ErrorCode::invalid_argument, "--speed: not a number");
  REQUIRE_FALSE(failed);
  CHECK(failed.error().is_usage());
  // System errors keep the OS's reason; ENOENT and EINVAL get their own codes.
  CHECK(ot::os_error("a.raw", ENOENT).code() == ot::ErrorCode::not_found);
  CHECK(ot::os_error("a.raw", ENOENT).message() == "a.raw: No such file or directory");
  CHECK(ot::os_error("--cpu 9", EINVAL).is_usage());
  CHECK(ot::os_error("out", EACCES).code() == ot::ErrorCode::io_error);
  CHECK(ot::error_code_name(ot::ErrorCode::unavailable) == "unavailable");
  // Move-only values come out whole.
  ot::Result<std::unique_ptr<int>> owned = std::make_unique<int>(7);
  std::unique_ptr<int> p = std::move(owned).value();
  CHECK(*p == 7);
}

TEST_CASE("fnv1a64_4 gives fnv1a64 of each of four texts", "[core][hash]") {
  std::string text;
  for (int i = 0; i < 700; ++i) text += static_cast<char>('!' + (i * 37) % 90);
  for (std::size_t a : {0, 1, 7, 540}) {
    for (std::size_t b : {0, 3, 539, 700}) {
      const std::string_view in[4] = {std::string_view(text).substr(0, a),
                                      std::string_view(text).substr(1, b),
                                      std::string_view(text).substr(5, (a + b) / 2), "{}"};
      std::uint64_t out[4];
      ot::fnv1a64_4(in, out);
      for (int k = 0; k < 4; ++k) CHECK(out[k] == ot::fnv1a64(in[k]));
    }
  }
}
