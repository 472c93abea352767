// The order state machine and the order tracker (exec/order_tracker).
#include "exec/order_tracker.h"

#include <catch2/catch.hpp>
#include <map>

#include "test_util.h"

using ot::Decimal;
using namespace ot::test;

TEST_CASE("order state machine", "[exec][orders]") {
  ot::OrderTracker t;
  const ot::Order o = paper_order("a", "10");
  REQUIRE(t.add(o));
  CHECK_FALSE(t.add(o));
  ot::Exec e;
  e.id = "a";
  e.status = ot::ExecStatus::new_;
  e.filled = dec("0");
  e.leaves = dec("10");
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::ok);
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::duplicate);  // duplicated ack
  e.status = ot::ExecStatus::partial;
  e.price = dec("1");
  e.qty = dec("4");
  e.filled = dec("4");
  e.leaves = dec("6");
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::ok);
  CHECK(t.find("a")->leaves().to_string() == "6");
  // The same fill again (a redelivered or republished report): its
  // cumulative filled does not move, so it is not counted twice.
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::duplicate);
  CHECK(t.find("a")->notional.to_string() == "4");
  e.filled = dec("3");
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::refused);  // filled went down
  e.filled = dec("11");
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::refused);  // beyond the order
  e.status = ot::ExecStatus::rejected;
  e.filled = dec("4");
  e.qty.reset();
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::refused);  // reject after a fill
  e.status = ot::ExecStatus::filled;
  e.qty = dec("6");
  e.filled = dec("10");
  e.leaves = dec("0");
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::ok);
  CHECK(t.open_count() == 0);
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::duplicate);
  e.status = ot::ExecStatus::canceled;
  CHECK(t.apply(e).kind == ot::OrderTracker::Applied::refused);  // after final
  CHECK(t.find("a")->notional.to_string() == "10");
}

TEST_CASE("a tracker keeps open orders and only the latest final ones", "[exec][orders]") {
  // Twenty orders; every third stays open, the rest are canceled in a
  // shuffled order. With three finals kept, the open ones and the last three
  // canceled remain, in the order they were added.
  ot::OrderTracker t(3);
  ot::OrderTracker all;
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(std::string("o").append(std::to_string(i)));
  for (const auto& id : ids) {
    const ot::Order o = paper_order(id, "1");
    REQUIRE(t.add(o));
    REQUIRE(all.add(o));
  }
  std::vector<std::string> to_cancel;
  for (int i = 0; i < 20; ++i) {
    if (i % 3 != 0) to_cancel.push_back(ids[static_cast<std::size_t>(i)]);
  }
  std::mt19937 rng(9);
  std::shuffle(to_cancel.begin(), to_cancel.end(), rng);
  ot::Exec e;
  e.status = ot::ExecStatus::canceled;
  e.filled = dec("0");
  e.leaves = dec("0");
  for (const auto& id : to_cancel) {
    e.id = id;
    REQUIRE(t.apply(e).kind == ot::OrderTracker::Applied::ok);
    REQUIRE(all.apply(e).kind == ot::OrderTracker::Applied::ok);
  }
  CHECK(t.open_count() == 7);
  CHECK(t.size() == 7 + 3);
  CHECK(all.size() == 20);
  std::vector<std::string> open;
  for (const auto* o : t.open_orders()) open.push_back(o->id);
  CHECK(open == std::vector<std::string>{"o0", "o3", "o6", "o9", "o12", "o15", "o18"});
  for (std::size_t k = 0; k < to_cancel.size(); ++k) {
    const bool kept = k + 3 >= to_cancel.size();
    CHECK((t.find(to_cancel[k]) != nullptr) == kept);
    e.id = to_cancel[k];
    // A repeated final report: recognized while kept, unknown once forgotten.
    CHECK(t.apply(e).kind ==
          (kept ? ot::OrderTracker::Applied::duplicate : ot::OrderTracker::Applied::refused));
    CHECK(all.apply(e).kind == ot::OrderTracker::Applied::duplicate);
  }
}

TEST_CASE("a tracker lists each instrument's open orders", "[exec][orders]") {
  // Orders on three symbols, some ended by fills or cancels: each
  // instrument's list holds its own open orders, in the order added.
  ot::OrderTracker t(2);
  const char* symbols[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  std::map<std::string, std::vector<std::string>> want;
  for (int i = 0; i < 30; ++i) {
    std::string id("m");
    id += std::to_string(i);
    ot::Order o = paper_order(id, "2");
    o.symbol = symbols[i % 3];
    REQUIRE(t.add(o));
    ot::Exec e;
    e.id = o.id;
    e.status = ot::ExecStatus::new_;
    e.filled = dec("0");
    e.leaves = dec("2");
    REQUIRE(t.apply(e).kind == ot::OrderTracker::Applied::ok);
    if (i % 4 == 1) {  // filled in two parts
      e.status = ot::ExecStatus::partial;
      e.qty = dec("1");
      e.price = dec("100");
      e.filled = dec("1");
      e.leaves = dec("1");
      REQUIRE(t.apply(e).kind == ot::OrderTracker::Applied::ok);
      e.status = ot::ExecStatus::filled;
      e.filled = dec("2");
      e.leaves = dec("0");
      REQUIRE(t.apply(e).kind == ot::OrderTracker::Applied::ok);
    } else if (i % 5 == 2) {
      e.status = ot::ExecStatus::canceled;
      REQUIRE(t.apply(e).kind == ot::OrderTracker::Applied::ok);
    } else {
      want[std::string(o.symbol)].push_back(std::string(o.id));
    }
  }
  std::size_t total = 0;
  for (const char* s : symbols) {
    std::vector<std::string> got;
    t.for_each_open_in("paper", s, [&](const ot::TrackedOrder& o) {
      CHECK(o.symbol == s);
      CHECK(o.open());
      got.push_back(o.id);
    });
    CHECK(got == want[s]);
    CHECK(t.open_count_in("paper", s) == want[s].size());
    total += got.size();
  }
  CHECK(total == t.open_count());
  CHECK(t.open_count_in("binance", "BTCUSDT") == 0);
  CHECK(t.open_count_in("paper", "XRPUSDT") == 0);
}
