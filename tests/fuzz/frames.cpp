// Every venue's frame parser on hostile frames; where a venue has a fast
// path for its exact layout (Binance depth, OKX books), differential: the
// fast and the simdjson path must emit the same events.
#include <memory>
#include <vector>

#include "core/event_encoder.h"
#include "fuzz.h"
#include "venues/binance/binance_parser.h"
#include "venues/deribit/deribit.h"
#include "venues/okx/okx.h"

namespace {

struct Lines final : ot::LineSink {
  void write_line(std::string_view, std::string_view line) override { text.emplace_back(line); }
  std::vector<std::string> text;
};

// What a parser emits, as NDJSON lines, and how it classed the frame.
struct Transcript final : ot::EventListener {
  Lines lines;
  ot::EventEncoder encoder{lines};
  void on_book(const ot::BookUpdate& u) override {
    encoder.on_book(u);
    for (const auto* side : {&u.bids, &u.asks}) {
      for (const auto& l : *side) {
        // The values a scanner read must be what the text says.
        const auto p = l.price_decimal(), q = l.qty_decimal();
        if (p && ot::Decimal::parse(l.price) && !(*p == *ot::Decimal::parse(l.price))) {
          ot::fuzz::fail("price value differs from its text");
        }
        if (q && ot::Decimal::parse(l.qty) && !(*q == *ot::Decimal::parse(l.qty))) {
          ot::fuzz::fail("qty value differs from its text");
        }
      }
    }
  }
  void on_trade(const ot::Trade& t) override { encoder.on_trade(t); }
  void on_quote(const ot::Quote& q) override { encoder.on_quote(q); }
  void on_ticker(const ot::Ticker& t) override { encoder.on_ticker(t); }
  void on_status(const ot::Status& s) override { encoder.on_status(s); }
};

std::vector<std::string> run(ot::FrameParser& p, std::string_view frame, ot::FrameResult& result) {
  Transcript t;
  result = p.parse(frame, 1, t);
  return std::move(t.lines.text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using ot::binance::Market;
  const unsigned venue = ot::fuzz::pick(data, size, 4);
  const ot::fuzz::Padded frame(data, size);
  std::unique_ptr<ot::FrameParser> fast, slow;
  switch (venue) {
    case 0:
      fast = ot::binance::make_parser(Market::spot, false, true);
      slow = ot::binance::make_parser(Market::spot, false, false);
      break;
    case 1:
      fast = ot::binance::make_parser(Market::usdm, true, true);
      slow = ot::binance::make_parser(Market::usdm, true, false);
      break;
    case 2:
      fast = ot::okx::make_parser(true);
      slow = ot::okx::make_parser(false);
      break;
    default:
      fast = ot::deribit::make_parser();
      break;
  }
  ot::FrameResult fast_result, slow_result;
  const auto a = run(*fast, frame.view(), fast_result);
  if (slow) {
    const auto b = run(*slow, frame.view(), slow_result);
    if (fast_result.kind != slow_result.kind || fast_result.error != slow_result.error) {
      ot::fuzz::fail("fast and simdjson paths class the frame differently");
    }
    if (a != b) ot::fuzz::fail("fast and simdjson paths emit different events");
  }
  return 0;
}
