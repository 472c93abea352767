// The exec engine (exec/exec_engine): ids, refusals.
#include "exec/exec_engine.h"

#include <catch2/catch.hpp>

#include "exec/paper.h"
#include "exec_test_util.h"
#include "test_util.h"

using ot::Decimal;
using namespace ot::test;
using namespace ot::test::exec;

TEST_CASE("the exec engine refuses a reused id after forgetting the order", "[exec][orders]") {
  // More final orders than the engine keeps: the first one's record is gone,
  // its id is still refused, and a cancel of it says why.
  PaperRun run;
  const std::string book =
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1,"snapshot":true,"bids":[["7.611","6"]],"asks":[["7.612","297000000"]]})";
  run.feed(book);
  const std::size_t n = ot::ExecEngine::kKeepFinal + 10;
  for (std::size_t i = 0; i < n; ++i) {
    std::string id = "x";
    id += std::to_string(i);
    run.feed(order_line(id, "buy", "1", nullptr, "market"));
  }
  run.out.lines.clear();
  CHECK(run.engine.ids_used() == n);
  CHECK(run.engine.orders().size() <= ot::ExecEngine::kKeepFinal);
  CHECK(run.engine.orders().find("x0") == nullptr);
  run.feed(order_line("x0", "buy", "1", nullptr, "market"));
  run.feed(order_line("x5", "buy", "1", nullptr, "market"));
  auto r = reports(run.out.lines);
  REQUIRE(r.size() == 2);  // answered, not sent
  for (const auto& e : r) {
    CHECK(e.status == "rejected");
    CHECK_THAT(e.reason, Catch::Contains("final long ago"));
  }
  CHECK(run.engine.stats().duplicate_orders == 2);
  run.feed(order_line("fresh", "buy", "1", nullptr, "market"));
  CHECK(reports(run.out.lines).size() == 4);  // new, filled
  // A client order id longer than any venue takes is rejected, not sent.
  const std::string long_id(ot::kMaxOrderIdBytes + 1, 'z');
  run.feed(order_line(long_id, "buy", "1", nullptr, "market"));
  r = reports(run.out.lines);
  REQUIRE(r.size() == 5);
  CHECK(r.back().id == long_id);
  CHECK(r.back().status == "rejected");
  CHECK_THAT(r.back().reason, Catch::Contains("longer than 1024"));
}
