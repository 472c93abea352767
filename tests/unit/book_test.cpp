#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "book/book_engine.h"
#include "book/checked_book.h"
#include "book/l2_book.h"
#include "book/ladder.h"
#include "test_util.h"
#include "venues/okx/okx.h"

using ot::BookSide;
using ot::L2Book;

TEST_CASE("L2Book keeps sides sorted and exact", "[book]") {
  L2Book b;
  REQUIRE(b.apply(BookSide::bid, "100.5", "2"));
  REQUIRE(b.apply(BookSide::bid, "100.25", "1.50"));
  REQUIRE(b.apply(BookSide::bid, "101", "3"));
  REQUIRE(b.apply(BookSide::ask, "101.5", "4"));
  REQUIRE(b.apply(BookSide::ask, "102", "5"));
  REQUIRE(b.depth(BookSide::bid) == 3);
  std::vector<ot::Level> top;
  b.top(BookSide::bid, 10, top);
  REQUIRE(top.size() == 3);
  CHECK(top[0].price.to_string() == "101");
  CHECK(top[1].price.to_string() == "100.5");
  CHECK(top[2].price.to_string() == "100.25");
  CHECK(top[2].qty.to_string() == "1.50");
  CHECK(b.best(BookSide::ask)->price.to_string() == "101.5");

  SECTION("qty 0 deletes; deleting a missing level is harmless") {
    REQUIRE(b.apply(BookSide::bid, "101.00", "0"));
    CHECK(b.best(BookSide::bid)->price.to_string() == "100.5");
    REQUIRE(b.apply(BookSide::ask, "99", "0"));
    CHECK(b.depth(BookSide::ask) == 2);
  }
  SECTION("an update replaces the size and keeps the new text") {
    REQUIRE(b.apply(BookSide::ask, "101.50", "7"));
    CHECK(b.depth(BookSide::ask) == 2);
    CHECK(b.best(BookSide::ask)->price.to_string() == "101.50");
    CHECK(b.best(BookSide::ask)->qty.to_string() == "7");
  }
  SECTION("sizes too large to pack keep their digits") {
    REQUIRE(b.apply(BookSide::bid, "100.5", "123456789012345678"));
    REQUIRE(b.apply(BookSide::bid, "100.25", "0.123456789012345678"));
    std::vector<ot::Level> levels;
    b.top(BookSide::bid, 3, levels);
    CHECK(levels[1].qty.to_string() == "123456789012345678");
    CHECK(levels[2].qty.to_string() == "0.123456789012345678");
    REQUIRE(b.apply(BookSide::bid, "100.5", "2"));
    b.top(BookSide::bid, 3, levels);
    CHECK(levels[1].qty.to_string() == "2");
  }
  SECTION("bad text leaves the book unchanged") {
    CHECK_FALSE(b.apply(BookSide::bid, "abc", "1"));
    CHECK_FALSE(b.apply(BookSide::bid, "100", "-1"));
    CHECK(b.depth(BookSide::bid) == 3);
  }
  SECTION("top_text reproduces venue strings") {
    std::string arena;
    std::vector<ot::PriceLevel> text;
    b.top_text(BookSide::bid, 2, arena, text);
    REQUIRE(text.size() == 2);
    CHECK(text[1].price == "100.5");
    CHECK(text[1].qty == "2");
  }
}

TEST_CASE("L2Book memory follows the levels held", "[book][memory]") {
  // A two-level book with the venue's text kept (OKX): a few KiB.
  L2Book thin;
  thin.keep_text(true);
  REQUIRE(thin.apply(BookSide::bid, "29000.1", "2"));
  REQUIRE(thin.apply(BookSide::ask, "29000.2", "1"));
  CHECK(thin.memory_bytes() <= 10 * 1024);
  // Prices at zero or below are no level; negative sizes neither.
  CHECK_FALSE(thin.apply(BookSide::ask, "0", "1"));
  CHECK_FALSE(thin.apply(BookSide::ask, "-0", "1"));
  CHECK_FALSE(thin.apply(BookSide::ask, "-1", "1"));
  CHECK_FALSE(thin.apply(BookSide::ask, "29001", "-1"));
  CHECK(thin.depth(BookSide::ask) == 1);
  // A deep book grows with its levels: 5000 contiguous levels a side, all
  // kept and in order.
  L2Book deep;
  for (int i = 1; i <= 5000; ++i) {
    REQUIRE(deep.apply(BookSide::bid, ot::Decimal{100000 - i, 1}, ot::Decimal{i, 0}));
    REQUIRE(deep.apply(BookSide::ask, ot::Decimal{100000 + i, 1}, ot::Decimal{i, 0}));
  }
  CHECK(deep.depth(BookSide::bid) == 5000);
  CHECK(deep.best(BookSide::bid)->price.to_string() == "9999.9");
  CHECK(deep.best(BookSide::ask)->price.to_string() == "10000.1");
  std::vector<ot::Level> top;
  deep.top(BookSide::ask, 5000, top);
  REQUIRE(top.size() == 5000);
  CHECK(top.back().price.to_string() == "10500.0");
  // Slots of 8 bytes, at most four per level a side.
  CHECK(deep.memory_bytes() <= 2 * 4 * 5000 * 8 + 4096);
}

TEST_CASE("L2Book matches a reference map under random updates", "[book][property]") {
  // Prices on several grids and scales, far levels, moving tops, deletes of
  // missing levels: the tick ladder must always agree with a std::map.
  std::mt19937_64 rng(42);
  for (int round = 0; round < 20; ++round) {
    L2Book b;
    // The same levels, handed over with their values and text as a scanner
    // does, into a book that keeps the text: its top_text must stay equal
    // to the formatted one through moves of the window and tick changes.
    L2Book kept;
    kept.keep_text(true);
    std::map<std::int64_t, std::string> ref[2];  // price in 1e-4 units -> qty text
    const std::int64_t tick = std::vector<std::int64_t>{1, 5, 10, 100, 2500}[round % 5];
    std::int64_t mid = 1'000'000 + static_cast<std::int64_t>(rng() % 1000) * tick;
    for (int step = 0; step < 3000; ++step) {
      if (step % 100 == 0) mid += (static_cast<std::int64_t>(rng() % 201) - 100) * tick * 20;
      const int side = static_cast<int>(rng() % 2);
      // Mostly near the top, sometimes very far away.
      std::int64_t dist = static_cast<std::int64_t>(rng() % 50) * tick;
      if (rng() % 20 == 0) dist = static_cast<std::int64_t>(rng() % 200000) * tick;
      std::int64_t price = side == 0 ? mid - tick - dist : mid + dist;
      // Now and then a price off the grid seen so far (a finer tick).
      if (rng() % 40 == 0) price += static_cast<std::int64_t>(rng() % 7);
      if (price <= 0) continue;
      const bool del = rng() % 3 == 0;
      // Sizes written one way (as venues do), or, every third round, three
      // ways, so the ladder keeps its scales per slot.
      std::string qty = del ? "0" : std::to_string(rng() % 1000 + 1) + ".5";
      if (!del && round % 3 == 2 && rng() % 4 == 0) qty += rng() % 2 == 0 ? "0" : "000";
      // Write the price with 4 decimals, or fewer when they are zeros.
      std::string text = ot::Decimal{price, 4}.to_string();
      if (price % 10000 == 0 && rng() % 2 == 0) text = std::to_string(price / 10000);
      REQUIRE(b.apply(side == 0 ? BookSide::bid : BookSide::ask, text, qty));
      ot::PriceLevel level{text, qty};
      level.price_value = *ot::Decimal::parse(text);
      level.qty_value = *ot::Decimal::parse(qty);
      if (rng() % 10 == 0) level.qty_value.scale = -1;  // text only: nothing kept
      REQUIRE(kept.apply(side == 0 ? BookSide::bid : BookSide::ask, level));
      if (del)
        ref[side].erase(price);
      else
        ref[side][price] = qty;
      if (step % 97 == 0 || step == 2999) {
        for (int s = 0; s < 2; ++s) {
          std::vector<ot::Level> top;
          b.top(s == 0 ? BookSide::bid : BookSide::ask, 1'000'000, top);
          REQUIRE(top.size() == ref[s].size());
          REQUIRE(b.depth(s == 0 ? BookSide::bid : BookSide::ask) == ref[s].size());
          std::size_t k = 0;
          auto check_level = [&](const auto& kv) {
            REQUIRE(top[k].price == ot::Decimal{kv.first, 4});
            REQUIRE(top[k].qty.to_string() == kv.second);
            ++k;
          };
          if (s == 0)
            std::for_each(ref[0].rbegin(), ref[0].rend(), check_level);
          else
            std::for_each(ref[1].begin(), ref[1].end(), check_level);
          // Point look-ups: every stored level, and prices with none
          // (empty ticks, off the grid, at a coarser or finer scale).
          const BookSide bs = s == 0 ? BookSide::bid : BookSide::ask;
          std::string arena_b, arena_k;
          std::vector<ot::PriceLevel> text_b, text_k;
          b.top_text(bs, 1'000'000, arena_b, text_b);
          kept.top_text(bs, 1'000'000, arena_k, text_k);
          REQUIRE(text_b.size() == text_k.size());
          for (std::size_t i = 0; i < text_b.size(); ++i) {
            REQUIRE(text_b[i].price == text_k[i].price);
            REQUIRE(text_b[i].qty == text_k[i].qty);
          }
          for (const auto& [px, q] : ref[s]) {
            REQUIRE(b.qty_at(bs, ot::Decimal{px, 4}).to_string() == q);
            if (px % 10000 == 0) REQUIRE(b.qty_at(bs, ot::Decimal{px / 10000, 0}).to_string() == q);
          }
          for (int probe = 0; probe < 50; ++probe) {
            const std::int64_t px = mid + static_cast<std::int64_t>(rng() % 4001) - 2000;
            const auto it = ref[s].find(px);
            const std::string want = it == ref[s].end() ? "0" : it->second;
            REQUIRE(b.qty_at(bs, ot::Decimal{px, 4}).to_string() == want);
            REQUIRE(b.qty_at(bs, ot::Decimal{px * 10 + 1, 5}).is_zero());
          }
        }
      }
    }
  }
}

TEST_CASE("CheckedBook applies the uniform sequence rules", "[book][sequence]") {
  ot::test::BookBuilder bb;
  ot::CheckedBook cb(ot::BookRules{});
  SECTION("Binance spot: U == last + 1, straddling first diff, stale diffs dropped") {
    auto& snap = bb.make("binance", "X", true, {{"1", "1"}}, {{"2", "1"}});
    snap.seq = 100;
    CHECK(cb.apply(snap).kind == ot::ApplyResult::applied);
    auto& stale = bb.make("binance", "X", false, {{"1", "5"}}, {});
    stale.first_seq = 90, stale.seq = 100;
    CHECK(cb.apply(stale).kind == ot::ApplyResult::stale);
    CHECK(cb.book().best(BookSide::bid)->qty.to_string() == "1");
    auto& straddle = bb.make("binance", "X", false, {{"1", "2"}}, {});
    straddle.first_seq = 95, straddle.seq = 105;
    CHECK(cb.apply(straddle).kind == ot::ApplyResult::applied);
    auto& next = bb.make("binance", "X", false, {{"1", "3"}}, {});
    next.first_seq = 106, next.seq = 110;
    CHECK(cb.apply(next).kind == ot::ApplyResult::applied);
    auto& gap = bb.make("binance", "X", false, {{"1", "4"}}, {});
    gap.first_seq = 112, gap.seq = 120;
    CHECK(cb.apply(gap).kind == ot::ApplyResult::gap);
    CHECK_FALSE(cb.valid());
    auto& after = bb.make("binance", "X", false, {{"1", "9"}}, {});
    after.first_seq = 121, after.seq = 122;
    CHECK(cb.apply(after).kind == ot::ApplyResult::ignored);
    CHECK(cb.book().best(BookSide::bid)->qty.to_string() == "3");  // the gap was not applied
  }
  SECTION("prev_seq links (Binance futures pu, Deribit, OKX)") {
    auto& snap = bb.make("deribit", "X", true, {{"1", "1"}}, {});
    snap.seq = 10;
    cb.apply(snap);
    auto& ok = bb.make("deribit", "X", false, {{"1", "2"}}, {});
    ok.seq = 17, ok.prev_seq = 10;
    CHECK(cb.apply(ok).kind == ot::ApplyResult::applied);
    auto& broken = bb.make("deribit", "X", false, {{"1", "3"}}, {});
    broken.seq = 30, broken.prev_seq = 20;
    auto r = cb.apply(broken);
    CHECK(r.kind == ot::ApplyResult::gap);
    CHECK(r.detail.find("17") != std::string::npos);
    auto& resnap = bb.make("deribit", "X", true, {{"1", "8"}}, {});
    resnap.seq = 40;
    CHECK(cb.apply(resnap).kind == ot::ApplyResult::applied);
    CHECK(cb.valid());
  }
  // BookBuilder::make reuses one update: each is applied as soon as it is made.
  auto snapshot = [&](std::int64_t seq, const char* qty) -> ot::BookUpdate& {
    auto& u = bb.make("x", "X", true, {{"1", qty}}, {});
    u.seq = seq;
    return u;
  };
  auto delta = [&](std::int64_t prev, std::int64_t seq, const char* qty) -> ot::BookUpdate& {
    auto& u = bb.make("x", "X", false, {{"1", qty}}, {});
    u.prev_seq = prev, u.seq = seq;
    return u;
  };
  auto bid = [&] { return cb.book().best(BookSide::bid)->qty.to_string(); };
  SECTION("a valid book never goes back (a stream merged from redundant handlers)") {
    cb.apply(snapshot(10, "1"));
    CHECK(cb.apply(delta(10, 17, "2")).kind == ot::ApplyResult::applied);
    // The other handler's snapshot, taken at 12, arrives after 17: dropped.
    CHECK(cb.apply(snapshot(12, "7")).kind == ot::ApplyResult::stale);
    CHECK(cb.apply(snapshot(17, "7")).kind == ot::ApplyResult::stale);
    CHECK(bid() == "2");
    // A copy of a step already taken is stale too, not a gap.
    CHECK(cb.apply(delta(10, 17, "2")).kind == ot::ApplyResult::stale);
    CHECK(cb.valid());
    // A newer snapshot moves the book on; the steps it covers are stale and
    // the next one links to it.
    CHECK(cb.apply(snapshot(30, "5")).kind == ot::ApplyResult::applied);
    CHECK(cb.apply(delta(17, 25, "6")).kind == ot::ApplyResult::stale);
    CHECK(bid() == "5");
    CHECK(cb.apply(delta(30, 33, "9")).kind == ot::ApplyResult::applied);
    CHECK(bid() == "9");
    // A venue restarting its numbers links the restart to the old number
    // (OKX: seqId below prevSeqId): applied, and the book goes on from it.
    CHECK(cb.apply(delta(33, 3, "4")).kind == ot::ApplyResult::applied);
    CHECK(cb.apply(delta(3, 5, "1")).kind == ot::ApplyResult::applied);
    // One that does not link is a gap, not a stale copy.
    CHECK(cb.apply(delta(40, 1, "4")).kind == ot::ApplyResult::gap);
    // And a book that is not valid takes any snapshot, however numbered.
    CHECK(cb.apply(snapshot(2, "3")).kind == ot::ApplyResult::applied);
    CHECK(cb.valid());
  }
  SECTION("an upstream status suspends the book; a delta that links resumes it") {
    cb.apply(snapshot(10, "1"));
    CHECK(cb.apply(delta(10, 12, "2")).kind == ot::ApplyResult::applied);
    cb.suspend();  // one handler lost its line
    CHECK_FALSE(cb.valid());
    CHECK(cb.apply(delta(14, 16, "3")).kind == ot::ApplyResult::ignored);
    CHECK_FALSE(cb.valid());
    CHECK(cb.apply(delta(12, 14, "4")).kind == ot::ApplyResult::applied);  // the other handler's
    CHECK(cb.valid());
    CHECK(bid() == "4");
    CHECK(cb.apply(delta(14, 16, "3")).kind == ot::ApplyResult::applied);
    // A break the book saw itself waits for a snapshot, linked or not.
    CHECK(cb.apply(delta(19, 21, "5")).kind == ot::ApplyResult::gap);
    CHECK(cb.apply(delta(16, 18, "6")).kind == ot::ApplyResult::ignored);
    // So does a hard invalidation (the feed itself lost its line).
    cb.apply(snapshot(10, "1"));
    cb.invalidate();
    CHECK(cb.apply(delta(10, 11, "7")).kind == ot::ApplyResult::ignored);
    // A suspended book drops a snapshot behind it and takes one at its
    // position (the same book, confirmed) or beyond.
    cb.apply(snapshot(10, "1"));
    CHECK(cb.apply(delta(10, 12, "2")).kind == ot::ApplyResult::applied);
    cb.suspend();
    CHECK(cb.apply(snapshot(11, "9")).kind == ot::ApplyResult::stale);
    CHECK_FALSE(cb.valid());
    CHECK(cb.apply(snapshot(12, "2")).kind == ot::ApplyResult::applied);
    CHECK(cb.valid());
    CHECK(bid() == "2");
    // Binance spot's first_seq links too.
    cb.apply(snapshot(20, "1"));
    cb.suspend();
    auto& spot = bb.make("x", "X", false, {{"1", "8"}}, {});
    spot.first_seq = 21, spot.seq = 23;
    CHECK(cb.apply(spot).kind == ot::ApplyResult::applied);
    CHECK(bid() == "8");
  }
  SECTION("without sequence numbers (OKX before seqId), the venue's time orders them") {
    auto at = [&](bool snap, ot::Nanos ts, const char* qty) -> ot::BookUpdate& {
      auto& u = bb.make("okx", "X", snap, {{"1", qty}}, {});
      u.ts = ts;
      return u;
    };
    cb.apply(at(true, 100, "1"));
    CHECK(cb.apply(at(false, 200, "2")).kind == ot::ApplyResult::applied);
    CHECK(cb.apply(at(true, 150, "7")).kind == ot::ApplyResult::stale);
    CHECK(cb.apply(at(true, 200, "7")).kind == ot::ApplyResult::stale);
    CHECK(cb.apply(at(false, 120, "8")).kind == ot::ApplyResult::stale);
    CHECK(bid() == "2");
    CHECK(cb.apply(at(true, 300, "5")).kind == ot::ApplyResult::applied);
    CHECK(cb.apply(at(false, 200, "2")).kind == ot::ApplyResult::stale);  // the snapshot holds it
    CHECK(bid() == "5");
    CHECK(cb.apply(at(false, 300, "6")).kind == ot::ApplyResult::applied);  // same time: applied
    CHECK(bid() == "6");
  }
}

TEST_CASE("CheckedBook verifies venue checksums", "[book][checksum]") {
  ot::BookRules rules;
  rules.checksum = &ot::okx::checksum;
  rules.checksum_depth = ot::okx::kChecksumDepth;
  ot::CheckedBook cb(rules);
  ot::test::BookBuilder bb;
  std::vector<ot::PriceLevel> bids{{"3366.1", "7"}, {"3366", "6"}};
  std::vector<ot::PriceLevel> asks{{"3366.8", "9"}, {"3368", "8"}};
  auto& snap = bb.make("okx", "ETH-USDT", true, bids, asks);
  snap.checksum = ot::okx::checksum(bids, asks);
  CHECK(cb.apply(snap).kind == ot::ApplyResult::applied);
  auto& upd = bb.make("okx", "ETH-USDT", false, {{"3366.1", "0"}}, {});
  upd.checksum = 12345;  // wrong on purpose
  auto r = cb.apply(upd);
  CHECK(r.kind == ot::ApplyResult::checksum_mismatch);
  CHECK_FALSE(cb.valid());
  CHECK(cb.checksums_verified() == 1);
}

TEST_CASE("derived figures are exact decimals", "[book][derived]") {
  auto d = ot::derive(*ot::Decimal::parse("100.1"), *ot::Decimal::parse("3"),
                      *ot::Decimal::parse("100.2"), *ot::Decimal::parse("1"));
  CHECK(d.mid.to_string() == "100.15");
  CHECK(d.spread.to_string() == "0.1");
  // (100.1*1 + 100.2*3) / 4 = 100.175
  CHECK(d.microprice == "100.175");
  CHECK(d.imbalance == "0.500000");
  auto e = ot::derive(*ot::Decimal::parse("0.35200000"), *ot::Decimal::parse("1144.00000000"),
                      *ot::Decimal::parse("0.35280000"), *ot::Decimal::parse("2187.00000000"));
  CHECK(e.mid.to_string() == "0.35240000");
  CHECK(e.spread.to_string() == "0.00080000");
}

namespace {
struct Lines final : ot::LineSink {
  void write_line(std::string_view, std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};
struct Diags final : ot::Diagnostics {
  void error(std::string_view where, std::string_view m) override {
    errors.push_back(std::string(where) + ": " + std::string(m));
  }
  void warning(std::string_view, std::string_view) override {}
  std::vector<std::string> errors;
};
}  // namespace

TEST_CASE("BookEngine emits bbo on top changes and passes the rest through", "[book][engine]") {
  Lines out;
  Diags diag;
  ot::BookEngineOptions opt;
  opt.emit_bbo = true;
  ot::BookEngine engine(opt, out, diag);
  auto feed = [&](std::string s) {
    ot::test::Padded p(std::move(s));
    return engine.process_line(p.view(), "t");
  };
  CHECK(feed(
      R"({"type":"book","venue":"binance","symbol":"X","ts":5,"recv":6,"snapshot":true,"seq":100,"bids":[["0.35200000","1144.00000000"]],"asks":[["0.35280000","2187.00000000"]]})"));
  REQUIRE(out.lines.size() == 2);
  CHECK(
      out.lines[0] ==
      R"({"type":"status","venue":"binance","symbol":"X","ts":5,"event":"book_valid","detail":"snapshot"})");
  CHECK(
      out.lines[1] ==
      R"({"type":"bbo","venue":"binance","symbol":"X","ts":5,"recv":6,"bid":"0.35200000","bid_qty":"1144.00000000","ask":"0.35280000","ask_qty":"2187.00000000","mid":"0.35240000","spread":"0.00080000","microprice":"0.3522747523","imbalance":"-0.313119"})");
  // A change below the top: no bbo.
  CHECK(feed(
      R"({"type":"book","venue":"binance","symbol":"X","ts":7,"recv":8,"snapshot":false,"first_seq":101,"seq":101,"bids":[["0.35000000","1"]],"asks":[]})"));
  CHECK(out.lines.size() == 2);
  CHECK(feed(
      R"({"type":"trade","venue":"binance","symbol":"X","price":"1","qty":"1","side":"buy"})"));
  CHECK(out.lines.back().rfind(R"({"type":"trade")", 0) == 0);
  // A gap: status events and no more bbo until a snapshot.
  CHECK(feed(
      R"({"type":"book","venue":"binance","symbol":"X","ts":9,"recv":9,"snapshot":false,"first_seq":150,"seq":151,"bids":[["0.36","1"]],"asks":[]})"));
  CHECK(out.lines[out.lines.size() - 2].find(R"("event":"gap")") != std::string::npos);
  CHECK(out.lines.back().find(R"("event":"book_invalid")") != std::string::npos);
  REQUIRE(diag.errors.size() == 1);
  CHECK(diag.errors[0].find("binance X: sequence gap") != std::string::npos);
  SECTION("a session-wide disconnect suspends the venue's books until one links again") {
    CHECK(feed(
        R"({"type":"book","venue":"binance","symbol":"Y","ts":1,"recv":1,"snapshot":true,"seq":1,"bids":[["1","1"]],"asks":[["2","1"]]})"));
    const auto before = out.lines.size();
    CHECK(
        feed(R"({"type":"status","venue":"binance","ts":10,"event":"disconnected","detail":"x"})"));
    REQUIRE(out.lines.size() == before + 2);  // the status itself, then Y's book_invalid
    CHECK(
        out.lines.back() ==
        R"({"type":"status","venue":"binance","symbol":"Y","ts":10,"event":"book_invalid","detail":"upstream disconnected"})");
    CHECK(feed(
        R"({"type":"book","venue":"binance","symbol":"Y","ts":11,"recv":11,"snapshot":false,"first_seq":3,"seq":3,"bids":[["1","5"]],"asks":[]})"));
    CHECK(out.lines.size() == before + 2);  // ignored while invalid: it does not link
    // Another handler's copy of the next update links to the book: valid again.
    CHECK(feed(
        R"({"type":"book","venue":"binance","symbol":"Y","ts":12,"recv":12,"snapshot":false,"first_seq":2,"seq":2,"bids":[["1","6"]],"asks":[]})"));
    REQUIRE(out.lines.size() == before + 4);
    CHECK(
        out.lines[before + 2] ==
        R"({"type":"status","venue":"binance","symbol":"Y","ts":12,"event":"book_valid","detail":"linked"})");
    CHECK(out.lines.back().find(R"("bid":"1","bid_qty":"6")") != std::string::npos);
  }
  CHECK_FALSE(feed("{\"type\":\"book\",\"venue\":\"binance\""));
  CHECK_FALSE(feed("\x01\x02 garbage"));
  CHECK(engine.stats().malformed == 2);
  CHECK(engine.stats().gaps == 1);
}

TEST_CASE("the ladder shows asks over bids with the derived figures", "[book][ladder]") {
  Lines out;
  Diags diag;
  ot::BookEngine engine(ot::BookEngineOptions{}, out, diag);
  ot::test::Padded line(
      R"({"type":"book","venue":"okx","symbol":"BTC-USDT","ts":1,"recv":2,"snapshot":true,"bids":[["30228.6","0.5"],["30228.5","1"]],"asks":[["30228.7","2"],["30229","4"]]})");
  REQUIRE(engine.process_line(line.view(), "t"));
  REQUIRE(engine.latest() != nullptr);
  const std::string text = ot::render_ladder(*engine.latest(), 3, 80);
  CHECK(text.rfind("\x1b[H\x1b[2J", 0) == 0);
  CHECK(text.find("okx BTC-USDT") != std::string::npos);
  const auto ask_far = text.find("30229");
  const auto ask_best = text.find("30228.7");
  const auto mid = text.find("spread 0.1");
  const auto bid_best = text.find("30228.6 ", mid);  // after the mid line (30228.65)
  const auto bid_next = text.find("30228.5");
  CHECK(ask_far < ask_best);
  CHECK(ask_best < mid);
  CHECK(mid < bid_best);
  CHECK(bid_best < bid_next);
  CHECK(text.find("30228.65") != std::string::npos);  // mid
}
