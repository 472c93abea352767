// ot-dash's order entry: what the page asks for (an order ticket, a cancel,
// cancel-all, the kill switch) becomes the events ot-risk reads (order,
// cancel, control; man ot-events), written to ot-risk's input. Nothing goes
// to ot-exec directly: ot-risk's verdict comes back on the executions feed
// (an ack, or a reject with its reason) and shows in the page's tables.
//
// Commands are JSON objects:
//   {"op":"order","venue","symbol","side":"buy"|"sell","qty","price",
//    "kind":"limit"|"market","tif":"gtc"|"ioc"|"fok","post_only":bool}
//   {"op":"cancel","id"}       {"op":"cancel_all"}
//   {"op":"kill"}              {"op":"resume"}
// Each gets a reply: {"type":"sent","op","id"?,"count"?} or
// {"type":"refused","op","reason"}; a refused command writes nothing.
//
// Threading: one desk, used under its owner's lock.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "dash/dash_state.h"

namespace ot::dash {

class OrderDesk {
 public:
  // `send` writes one event line (with its topic) to ot-risk's input.
  // Client order ids are `prefix` followed by a count.
  using Send = std::function<void(std::string_view topic, std::string_view line)>;
  OrderDesk(std::string prefix, Send send) : prefix_(std::move(prefix)), send_(std::move(send)) {}

  // The reply to one command; `state` gives the open orders (cancels) and
  // the stream's clock that stamps the events, as a strategy stamps its
  // own: the order's venue's (a paper venue's clock is its market's), or
  // the latest of all; `wall` before any event was read.
  std::string handle(std::string_view command, const DashState& state, Nanos wall);

 private:
  std::string prefix_;
  Send send_;
  std::uint64_t next_ = 0;
};

}  // namespace ot::dash
