// Helpers of the exec tests: a capture as event lines, reports read back,
// order lines, and an exec engine over the paper venue.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "exec/exec_engine.h"
#include "exec/paper.h"
#include "feed/replay.h"
#include "io/capture_line.h"
#include "test_util.h"

namespace ot::test::exec {

// The capture's frames as event lines (book, trade, quote), as ot-feed
// writes them.
inline std::vector<std::string> capture_events(const std::string& name) {
  std::ifstream in(data_path(name));
  std::string line;
  Lines out;
  ot::EventEncoder enc(out);
  std::unique_ptr<ot::FrameParser> parser;
  while (std::getline(in, line)) {
    ot::Nanos recv = 0;
    std::string_view frame;
    if (!ot::split_capture_line(line, recv, frame)) continue;
    Padded padded{std::string(frame)};
    if (!parser) parser = ot::make_detected_parser(padded.view());
    if (parser) parser->parse(padded.view(), recv, enc);
  }
  return out.lines;
}

// One exec report, owned.
struct Report {
  std::string id, status, side, reason, liquidity;
  std::optional<Decimal> price, qty, fee;
  Decimal filled, leaves;
  std::int64_t seq = 0;
};

inline std::vector<Report> reports(const std::vector<std::string>& lines) {
  ot::EventDecoder dec({ot::EventType::exec});
  ot::DecodedEvent ev;
  std::vector<Report> out;
  for (const auto& l : lines) {
    Padded p{l};
    REQUIRE(dec.decode(p.view(), ev));
    if (ev.kind != ot::EventType::exec) continue;
    const auto& e = ev.exec;
    out.push_back(Report{std::string(e.id), std::string(ot::to_string(e.status)),
                         std::string(ot::to_string(e.side)), std::string(e.reason),
                         std::string(ot::to_string(e.liquidity)), e.price, e.qty, e.fee, e.filled,
                         e.leaves, e.seq.value_or(0)});
  }
  return out;
}

inline std::string order_line(const std::string& id, const char* side, const char* qty,
                              const char* price, const char* kind = "limit",
                              const char* tif = "gtc", const char* symbol = "SUSHIUSDT") {
  std::string s = "{\"type\":\"order\",\"id\":\"" + id +
                  "\",\"venue\":\"binance-futures\",\"symbol\":\"" + symbol + "\",\"side\":\"" +
                  side + "\",\"qty\":\"" + qty + "\"";
  if (price != nullptr) s += ",\"price\":\"" + std::string(price) + "\"";
  return s + ",\"kind\":\"" + kind + "\",\"tif\":\"" + tif + "\"}";
}

// Runs lines through an ExecEngine on a paper venue.
struct PaperRun {
  explicit PaperRun(ot::PaperConfig cfg = {}) : paper(cfg), engine(paper, out, diag) {}
  void feed(const std::string& line) {
    Padded p{line};
    engine.process_line(p.view(), "test", ++n);
  }
  ot::PaperVenue paper;
  Lines out;
  Quiet diag;
  ot::ExecEngine engine;
  std::uint64_t n = 0;
};

}  // namespace ot::test::exec
