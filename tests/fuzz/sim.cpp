// ot-sim's request handlers face any client: REST requests (method,
// target, headers, body) and WebSocket text frames, for each venue it
// speaks, against a venue that takes every well-formed order.
#include <memory>
#include <vector>

#include "exec/order_tracker.h"
#include "fuzz.h"
#include "venues/sim_protocol.h"

namespace {

struct NoMarket final : ot::SimMarket {
  const ot::CheckedBook* book(std::string_view) const override { return nullptr; }
  ot::Nanos venue_time() const override { return 1'652'459'225'000'000'000; }
};

struct Connection final : ot::SimConnection {
  void send(std::string text) override { sent += text.size(); }
  void subscribe(const std::string& t) override { topics_.push_back(t); }
  void unsubscribe(const std::string&) override {}
  std::vector<std::string> topics() const override { return topics_; }
  void close() override {}
  std::size_t sent = 0;
  std::vector<std::string> topics_;
};

struct Exchange final : ot::SimExchange {
  Answer submit(const ot::Order& o) override {
    if (!ot::order_problem(o).empty() || !tracker.add(o)) return Answer{false, false, 0, "refused"};
    return {};
  }
  bool cancel(std::string_view id) override { return tracker.find(id) != nullptr; }
  bool amend(std::string_view id, const std::optional<ot::Decimal>&,
             const std::optional<ot::Decimal>&) override {
    return tracker.find(id) != nullptr;
  }
  const ot::OrderTracker& orders() const override { return tracker; }
  const ot::SimAccount& account() const override { return acct; }
  ot::Nanos now() const override { return 1'652'459'225'000'000'000; }
  ot::OrderTracker tracker;
  ot::SimAccount acct;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const char* const kVenues[][2] = {{"binance", "binance"},
                                           {"binance-futures", "binance-futures"},
                                           {"okx", "okx"},
                                           {"deribit", "deribit"},
                                           {"alpaca", "binance"}};
  const auto* v = kVenues[ot::fuzz::pick(data, size, 5)];
  const bool http = ot::fuzz::pick(data, size, 2) == 0;
  auto proto = ot::make_sim_protocol(v[0], v[1]);
  if (!proto) ot::fuzz::fail("no protocol for a venue ot-sim speaks");
  NoMarket market;
  Connection conn;
  Exchange exchange;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (!http) {
    proto->on_open("/ws", conn, market);
    proto->on_message(text, conn, market, exchange);
    proto->on_tick(conn);
    proto->on_close(conn);
    return 0;
  }
  // "METHOD TARGET\nname: value\n...\n\nbody"
  ot::SimHttpRequest req;
  const std::string_view all(text);
  const auto head_end = all.find("\n\n");
  const std::string_view head = all.substr(0, head_end);
  req.body = head_end == std::string_view::npos ? std::string_view() : all.substr(head_end + 2);
  const auto first_end = head.find('\n');
  const std::string_view first = head.substr(0, first_end);
  const auto sp = first.find(' ');
  req.method = first.substr(0, sp);
  req.target = sp == std::string_view::npos ? std::string_view("/") : first.substr(sp + 1);
  for (std::size_t pos = first_end; pos != std::string_view::npos && pos < head.size();) {
    const auto end = head.find('\n', pos + 1);
    const std::string_view h = head.substr(pos + 1, end - pos - 1);
    const auto colon = h.find(": ");
    if (colon != std::string_view::npos) {
      req.headers.emplace_back(std::string(h.substr(0, colon)), std::string(h.substr(colon + 2)));
    }
    pos = end;
  }
  if (auto reply = proto->on_http(req, market, exchange)) {
    if (reply->status < 100 || reply->status > 599) ot::fuzz::fail("an HTTP status out of range");
  }
  return 0;
}
