// The event decoder on hostile lines, asked for every type: it must either
// refuse the line or decode it, and what an encoder writes back from a
// decoded order, cancel or exec must decode again to the same event.
#include <vector>

#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "fuzz.h"

namespace {

struct Capture final : ot::LineSink {
  void write_line(std::string_view, std::string_view l) override { line.assign(l); }
  std::string line;
};

constexpr ot::EventTypes kAll = {
    ot::EventType::book,   ot::EventType::trade,  ot::EventType::quote, ot::EventType::ticker,
    ot::EventType::status, ot::EventType::bbo,    ot::EventType::depth, ot::EventType::order,
    ot::EventType::cancel, ot::EventType::amend,  ot::EventType::exec,  ot::EventType::position,
    ot::EventType::greeks, ot::EventType::control};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
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
