// The event decoder on hostile lines, asked for every type: it must either
// refuse the line or decode it, and what an encoder writes back from a
// decoded order, cancel or exec must decode again to the same event. Then
// the input's lines through the bar engine (trades and mids, every
// indicator, forming bars): whatever they hold, no crash and no undefined
// behaviour.
#include <cstring>
#include <vector>

#include "bars/bar_engine.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "fuzz.h"

namespace {

struct Capture final : ot::LineSink {
  void write_line(std::string_view, std::string_view l) override { line.assign(l); }
  std::string line;
};

constexpr ot::EventTypes kAll = {
    ot::EventType::book,   ot::EventType::trade,   ot::EventType::quote, ot::EventType::ticker,
    ot::EventType::status, ot::EventType::bbo,     ot::EventType::depth, ot::EventType::order,
    ot::EventType::cancel, ot::EventType::amend,   ot::EventType::exec,  ot::EventType::position,
    ot::EventType::greeks, ot::EventType::control, ot::EventType::bar};

struct Discard final : ot::LineSink {
  void write_line(std::string_view, std::string_view) override {}
};
struct Silent final : ot::Diagnostics {
  void error(std::string_view, std::string_view) override {}
  void warning(std::string_view, std::string_view) override {}
};

// Every line of the input through two bar engines: 1-second bars of trades
// and tick bars of mids.
void bars(const std::uint8_t* data, std::size_t size) {
  Discard out;
  Silent diag;
  ot::BarEngineOptions time_bars;
  time_bars.spec.interval = 1'000'000'000;
  time_bars.spec.max_fill = 64;
  time_bars.spec.indicators = ot::parse_indicators("sma:3,ema:3,rsi:3,vol:3,vwap,vwap:3").value();
  time_bars.forming = true;
  ot::BarEngineOptions mid_bars = time_bars;
  mid_bars.spec.kind = ot::BarKind::tick;
  mid_bars.spec.size = ot::Decimal{3, 0};
  mid_bars.spec.source = ot::BarSource::mid;
  ot::BarEngine a(time_bars, out, diag), b(mid_bars, out, diag);
  std::size_t pos = 0;
  while (pos < size) {
    const auto* nl = static_cast<const std::uint8_t*>(std::memchr(data + pos, '\n', size - pos));
    const std::size_t end = nl == nullptr ? size : static_cast<std::size_t>(nl - data);
    const ot::fuzz::Padded line(data + pos, end - pos);
    a.process_line(line.view(), "fuzz", 1);
    b.process_line(line.view(), "fuzz", 1);
    pos = end + 1;
  }
  a.finish();
  b.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bars(data, size);
  const ot::fuzz::Padded line(data, size);
  ot::EventDecoder decoder(kAll);
  ot::DecodedEvent ev;
  if (auto decoded = decoder.decode(line.view(), ev); !decoded) {
    if (decoded.error().message().empty()) ot::fuzz::fail("a refused line without a reason");
    return 0;
  }
  if (!ev.decoded) return 0;
  Capture out;
  ot::EventEncoder encoder(out);
  if (ev.kind == ot::EventType::order) {
    encoder.write(ev.order);
  } else if (ev.kind == ot::EventType::exec) {
    encoder.write(ev.exec);
  } else if (ev.kind == ot::EventType::cancel) {
    encoder.write(ev.cancel);
  } else {
    return 0;
  }
  // Round trip: the encoder's line decodes, to the same id and type.
  const std::string first_id(ev.kind == ot::EventType::order  ? ev.order.id
                             : ev.kind == ot::EventType::exec ? ev.exec.id
                                                              : ev.cancel.id);
  const ot::EventType kind = ev.kind;
  ot::fuzz::Padded again(reinterpret_cast<const std::uint8_t*>(out.line.data()), out.line.size());
  ot::EventDecoder second(kAll);
  ot::DecodedEvent ev2;
  if (!second.decode(again.view(), ev2)) ot::fuzz::fail("an encoded event does not decode");
  const std::string_view id = kind == ot::EventType::order  ? ev2.order.id
                              : kind == ot::EventType::exec ? ev2.exec.id
                                                            : ev2.cancel.id;
  if (ev2.kind != kind || id != first_id) ot::fuzz::fail("round trip changed the event");
  return 0;
}
