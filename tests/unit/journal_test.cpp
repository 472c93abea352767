// The order journal (exec/journal): whole records, restart and restore.
#include "exec/journal.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "exec/exec_engine.h"
#include "exec/paper.h"
#include "exec_test_util.h"
#include "test_util.h"

using ot::Decimal;
using namespace ot::test;
using namespace ot::test::exec;

TEST_CASE("journal: whole records only, restart restores and never re-sends", "[exec][journal]") {
  char tmpl[] = "/tmp/ot-journal-XXXXXX";
  const int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  const std::string path = tmpl;
  const std::string book =
      R"({"type":"book","venue":"binance-futures","symbol":"SUSHIUSDT","recv":1,"snapshot":true,"bids":[["7.611","6"]],"asks":[["7.612","297"]]})";
  {
    PaperRun run;
    REQUIRE(run.engine.open_journal(path, false));
    run.feed(book);
    run.feed(order_line("j1", "buy", "1", "7.600"));
    run.feed(order_line("j2", "buy", "1", nullptr, "market"));
    CHECK(reports(run.out.lines).size() == 3);
  }
  {
    // A torn record (power loss mid-write) is cut off at reopen.
    std::ofstream f(path, std::ios::app);
    f << R"({"type":"order","id":"j3","ven)";
  }
  PaperRun again;
  REQUIRE(again.engine.open_journal(path, false));
  CHECK(again.engine.stats().restored == 1);  // j1 rests again
  CHECK(again.engine.orders().find("j2")->status == ot::ExecStatus::filled);
  again.feed(book);
  again.feed(order_line("j1", "buy", "1", "7.600"));
  again.feed(order_line("j2", "buy", "1", nullptr, "market"));
  again.feed(order_line("j3", "buy", "1", "7.600"));
  auto r = reports(again.out.lines);
  // j1 and j2 are not sent again: their state is restated. Only j3 is new.
  REQUIRE(r.size() == 3);
  CHECK(r[0].id == "j1");
  CHECK(r[0].status == "new");
  CHECK(r[1].id == "j2");
  CHECK(r[1].status == "filled");
  CHECK(r[1].filled.to_string() == "1");
  CHECK(r[2].id == "j3");
  CHECK(r[2].status == "new");
  CHECK(r[0].seq == 4);  // the endpoint's sequence continues
  again.feed(R"({"type":"cancel","id":"j1"})");
  r = reports(again.out.lines);
  CHECK(r.back().id == "j1");
  CHECK(r.back().status == "canceled");
  std::ifstream f(path);
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK(all.back() == '\n');
  CHECK(all.find("\"j3\",\"ven\n") == std::string::npos);
  std::remove(path.c_str());
}
