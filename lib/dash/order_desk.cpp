#include "dash/order_desk.h"

#include <simdjson.h>

#include "core/event_encoder.h"
#include "core/json_out.h"

namespace ot::dash {

namespace {

// Keeps the last line an encoder wrote.
struct Keep final : LineSink {
  void write_line(std::string_view t, std::string_view l) override {
    topic.assign(t);
    line.assign(l);
  }
  std::string topic, line;
};

std::string reply(std::string_view type, std::string_view op, std::string_view key,
                  std::string_view value) {
  std::string out;
  JsonOut j(out);
  j.begin_object();
  j.field("type", type);
  j.field("op", op);
  if (!key.empty()) j.field(key, value);
  j.end_object();
  return out;
}

std::string refused(std::string_view op, std::string_view reason) {
  return reply("refused", op, "reason", reason);
}

// A string member, empty when absent or not a string.
std::string_view text(simdjson::dom::object o, std::string_view key) {
  std::string_view s;
  return o[key].get_string().get(s) == simdjson::SUCCESS ? s : std::string_view();
}

}  // namespace

std::string OrderDesk::handle(std::string_view command, const DashState& state, Nanos wall) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(command.data(), command.size()).get(o)) {
    return refused("", "not a JSON object");
  }
  const std::string op(text(o, "op"));
  Keep keep;
  EventEncoder encoder(keep, false);
  auto emit = [&] { send_(keep.topic, keep.line); };
  auto clock = [&](std::string_view venue) {
    const Nanos t = state.clock(venue);
    return t != 0 ? t : wall;
  };

  if (op == "order") {
    Order order;
    const std::string id = prefix_ + std::to_string(++next_);
    order.id = id;
    order.venue = text(o, "venue");
    order.symbol = text(o, "symbol");
    order.strategy = "dash";
    order.ts = clock(order.venue);
    if (order.venue.empty() || order.symbol.empty()) return refused(op, "venue and symbol needed");
    const auto side = parse_side(text(o, "side"));
    if (!side) return refused(op, "side: buy or sell");
    order.side = *side;
    const std::string_view kind = text(o, "kind");
    const auto k = parse_order_kind(kind.empty() ? "limit" : kind);
    if (!k) return refused(op, "kind: limit or market");
    order.kind = *k;
    const std::string_view tif = text(o, "tif");
    const auto t = parse_tif(tif.empty() ? "gtc" : tif);
    if (!t) return refused(op, "tif: gtc, ioc or fok");
    order.tif = *t;
    bool post_only = false;
    if (o["post_only"].get_bool().get(post_only) == simdjson::SUCCESS && post_only) {
      if (order.tif != Tif::gtc) return refused(op, "post-only rests: tif gtc only");
      order.tif = Tif::post_only;
    }
    const auto qty = Decimal::parse(text(o, "qty"));
    if (!qty) return refused(op, "qty: a decimal");
    order.qty = *qty;
    if (order.kind == OrderKind::limit) {
      const auto price = Decimal::parse(text(o, "price"));
      if (!price) return refused(op, "price: a decimal");
      order.price = *price;
    }
    if (auto problem = order_problem(order); !problem.empty()) return refused(op, problem);
    encoder.write(order);
    emit();
    return reply("sent", op, "id", id);
  }
  if (op == "cancel" || op == "cancel_all") {
    const std::string_view want = text(o, "id");
    if (op == "cancel" && want.empty()) return refused(op, "id needed");
    std::size_t n = 0;
    state.for_each_order([&](std::string_view id, std::string_view venue, std::string_view symbol) {
      if (op == "cancel" && id != want) return;
      Cancel c;
      c.id = id;
      c.venue = venue;
      c.symbol = symbol;
      c.strategy = "dash";
      c.ts = clock(venue);
      encoder.write(c);
      emit();
      ++n;
    });
    if (op == "cancel" && n == 0) return refused(op, "no open order with that id");
    return op == "cancel" ? reply("sent", op, "id", want)
                          : reply("sent", op, "count", std::to_string(n));
  }
  if (op == "kill" || op == "resume") {
    Control c;
    c.command = op;
    c.target = "ot-risk";
    c.detail = op == "kill" ? "kill switch from ot-dash" : "resumed from ot-dash";
    c.ts = clock("");
    encoder.write(c);
    emit();
    return reply("sent", op, "", "");
  }
  return refused(op, "unknown command");
}

}  // namespace ot::dash
