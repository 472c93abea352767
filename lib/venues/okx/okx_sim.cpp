// ot-sim's OKX: v5 public WebSocket (op subscribe / unsubscribe, "ping" ->
// "pong"); a books subscription starts with a snapshot of the current book
// carrying its CRC32 checksum, the time of its last update and its seqId
// (when the capture has them); REST /api/v5/market/books. Order entry:
// signed REST (POST /api/v5/trade/order, cancel-order, amend-order; GET
// /api/v5/trade/order and orders-pending; OK-ACCESS-* headers checked with
// OKX's error codes), and the private WebSocket's login and `orders`
// channel.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <set>
#include <string>

#include "core/amount.h"
#include "core/json_in.h"
#include "core/time.h"
#include "net/crypto.h"
#include "venues/okx/okx.h"
#include "venues/okx/okx_orders.h"
#include "venues/okx/okx_venue.h"
#include "venues/sim_protocol.h"

namespace ot::okx {
namespace {

namespace od = simdjson::ondemand;

std::string arg_json(const std::string& channel, const std::string& inst) {
  return "{\"channel\":\"" + channel + "\",\"instId\":\"" + inst + "\"}";
}

class OkxSim final : public SimProtocol {
 public:
  std::string_view venue() const override { return "okx"; }

  std::optional<SimRoute> route(std::string_view frame) override {
    std::string padded(frame);
    padded.append(64, ' ');
    std::string channel, inst;
    bool snapshot = false;
    bool has_data = false;
    // The arg and action before the data, or the JSON error that stopped
    // the walk.
    auto read_frame = [&]() -> simdjson::error_code {
      od::document doc;
      od::object obj;
      if (auto e = parser_.iterate(padded.data(), frame.size(), padded.size()).get(doc)) return e;
      if (auto e = doc.get_object().get(obj)) return e;
      for (auto field : obj) {
        std::string_view key, text;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (key == "event") return simdjson::SUCCESS;  // an event: has_data stays false
        if (key == "arg") {
          od::object arg;
          if (auto e = field.value().get_object().get(arg)) return e;
          for (auto a : arg) {
            std::string_view k;
            if (auto e = a.unescaped_key().get(k)) return e;
            if (k != "channel" && k != "instId") continue;
            if (auto e = read(a.value(), text)) return e;
            (k == "channel" ? channel : inst).assign(text);
          }
        } else if (key == "action") {
          if (auto e = read(field.value(), text)) return e;
          snapshot = text == "snapshot";
        } else if (key == "data") {
          has_data = true;
          break;
        }
      }
      return simdjson::SUCCESS;
    };
    if (read_frame() || !has_data || channel.empty()) return std::nullopt;
    SimRoute r;
    r.topic = channel + ":" + inst;
    if (channel.rfind("books", 0) == 0) r.symbol = inst;
    r.snapshot_only = snapshot;
    return r;
  }

  void on_open(std::string_view, SimConnection&, const SimMarket&) override {}

  void on_close(SimConnection& c) override {
    authed_.erase(&c);
    std::erase(private_, &c);
  }

  void on_message(std::string_view text, SimConnection& c, const SimMarket& m,
                  SimExchange& x) override {
    if (text == "ping") {
      c.send("pong");
      return;
    }
    if (text.find("\"login\"") != std::string_view::npos) return login(text, c, x);
    std::string padded(text);
    padded.append(64, ' ');
    std::string op;
    std::vector<std::pair<std::string, std::string>> args;
    // The op and the args' channels, or the JSON error that stopped the walk.
    auto read_request = [&]() -> simdjson::error_code {
      od::document doc;
      od::object obj;
      if (auto e = parser_.iterate(padded.data(), text.size(), padded.size()).get(doc)) return e;
      if (auto e = doc.get_object().get(obj)) return e;
      for (auto field : obj) {
        std::string_view key, value;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (key == "op") {
          if (auto e = read(field.value(), value)) return e;
          op.assign(value);
        } else if (key == "args") {
          od::array list;
          if (auto e = field.value().get_array().get(list)) return e;
          for (auto a : list) {
            std::string ch, inst;
            od::object arg;
            if (auto e = a.get_object().get(arg)) return e;
            for (auto kv : arg) {
              std::string_view k;
              if (auto e = kv.unescaped_key().get(k)) return e;
              if (k != "channel" && k != "instId") continue;
              if (auto e = read(kv.value(), value)) return e;
              (k == "channel" ? ch : inst).assign(value);
            }
            args.emplace_back(ch, inst);
          }
        }
      }
      return simdjson::SUCCESS;
    };
    if (read_request()) {
      c.send("{\"event\":\"error\",\"code\":\"60012\",\"msg\":\"Invalid request: " +
             std::string(text.substr(0, 64)) + "\"}");
      return;
    }
    if (op != "subscribe" && op != "unsubscribe") {
      c.send("{\"event\":\"error\",\"code\":\"60012\",\"msg\":\"Invalid request: unknown op\"}");
      return;
    }
    for (const auto& [ch, inst] : args) {
      if (ch == "orders") {
        if (authed_.count(&c) == 0) {
          c.send(R"({"event":"error","code":"60011","msg":"Please log in","connId":"sim"})");
          continue;
        }
        if (std::find(private_.begin(), private_.end(), &c) == private_.end()) {
          private_.push_back(&c);
        }
        c.send(
            R"({"event":"subscribe","arg":{"channel":"orders","instType":"ANY"},"connId":"sim"})");
        continue;
      }
      const std::string topic = ch + ":" + inst;
      if (op == "unsubscribe") {
        c.unsubscribe(topic);
        c.send("{\"event\":\"unsubscribe\",\"arg\":" + arg_json(ch, inst) + ",\"connId\":\"sim\"}");
        continue;
      }
      c.send("{\"event\":\"subscribe\",\"arg\":" + arg_json(ch, inst) + ",\"connId\":\"sim\"}");
      if (ch.rfind("books", 0) == 0) {
        const CheckedBook* b = m.book(inst);
        if (b != nullptr) c.send(snapshot_frame(ch, inst, *b, m));
      }
      c.subscribe(topic);
    }
  }

  void on_tick(SimConnection&) override {}

  std::optional<SimHttpReply> on_http(const SimHttpRequest& req, const SimMarket& m,
                                      SimExchange& x) override {
    const std::string_view target = req.target;
    const std::string_view path = target.substr(0, target.find('?'));
    if (path.rfind("/api/v5/trade/", 0) == 0) return trade(req, path, x);
    if (path != "/api/v5/market/books") return std::nullopt;
    const std::string inst = sim_query_param(target, "instId");
    const CheckedBook* b = m.book(inst);
    if (b == nullptr) {
      return SimHttpReply{
          200, "{\"code\":\"51001\",\"msg\":\"Instrument ID does not exist\",\"data\":[]}", {}};
    }
    std::size_t sz = 1;
    const std::string s = sim_query_param(target, "sz");
    if (!s.empty()) sz = std::min<std::size_t>(400, std::strtoul(s.c_str(), nullptr, 10));
    return SimHttpReply{
        200,
        "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"asks\":" +
            sim_levels_json(b->book(), BookSide::ask, sz, "[", ",\"0\",\"1\"]", true) +
            ",\"bids\":" +
            sim_levels_json(b->book(), BookSide::bid, sz, "[", ",\"0\",\"1\"]", true) +
            ",\"ts\":\"" + std::to_string(m.venue_time() / 1'000'000) + "\"}]}",
        {}};
  }

  void on_exec(const Exec& e, SimExchange& x) override {
    const TrackedOrder* t = x.orders().find(e.id);
    if (t == nullptr) return;
    std::optional<OrderFill> fill;
    if (e.qty && e.price && e.qty->mantissa > 0) {
      fill = OrderFill{*e.price, *e.qty, e.fee.value_or(Decimal{}), e.liquidity,
                       std::to_string(++trade_n_)};
    }
    const std::string push = R"({"arg":{"channel":"orders","instType":"ANY"},"data":[)" +
                             object(*t, x, fill, e.reason == "amended" ? "0" : "") + "]}";
    const SimAccount& a = x.account();
    const int copies = a.duplicate_acks && e.status == ExecStatus::new_ ? 2 : 1;
    for (SimConnection* c : std::vector<SimConnection*>(private_)) {
      for (int i = 0; i < copies; ++i) c->send_report(push);
      if (a.drop_private_after > 0 && ++private_sent_ == a.drop_private_after) c->close();
    }
  }

 private:
  static std::string ord_id(const TrackedOrder& t) {
    return t.venue_id.size() > 1 ? t.venue_id.substr(1) : t.venue_id;
  }

  std::string object(const TrackedOrder& t, const SimExchange& x,
                     const std::optional<OrderFill>& fill, std::string_view amend) const {
    const std::string_view state = t.status == ExecStatus::filled    ? "filled"
                                   : t.status == ExecStatus::partial ? "partially_filled"
                                   : t.status == ExecStatus::new_    ? "live"
                                                                     : "canceled";
    std::optional<Decimal> avg;
    if (!t.filled.is_zero()) avg = t.notional.divided_by(Amount::of(t.filled)).to_decimal(8);
    return order_json(t.as_order(), ord_id(t), state, t.filled, avg, fill, amend,
                      x.now() / 1'000'000);
  }

  static SimHttpReply reply(unsigned status, std::string_view code, std::string_view msg,
                            const std::string& data = "[]") {
    return SimHttpReply{
        status, fmt::format(R"({{"code":"{}","msg":"{}","data":{}}})", code, msg, data), {}};
  }
  static std::string item(std::string_view cl, std::string_view ord, std::string_view code,
                          std::string_view msg) {
    return fmt::format(R"([{{"clOrdId":"{}","ordId":"{}","tag":"","sCode":"{}","sMsg":"{}"}}])", cl,
                       ord, code, msg);
  }

  // OKX's REST authentication: key, passphrase, a timestamp within 30 s and
  // the base64 signature of timestamp + method + path + body.
  static std::optional<SimHttpReply> check(const SimHttpRequest& req, const SimExchange& x) {
    const SimAccount& a = x.account();
    const std::string_view key = req.header("ok-access-key"),
                           ts = req.header("ok-access-timestamp");
    if (key.empty() || !net::equal_constant_time(key, a.api_key)) {
      return reply(401, "50111", "Invalid OK-ACCESS-KEY");
    }
    if (!net::equal_constant_time(req.header("ok-access-passphrase"), a.api_passphrase)) {
      return reply(401, "50105", "Invalid OK-ACCESS-PASSPHRASE");
    }
    auto t = parse_iso8601(ts);
    if (!t || !within(*t, now_ns(), 30'000'000'000LL)) {
      return reply(401, "50102", "Timestamp request expired");
    }
    const std::string sig = rest_signature(a.api_secret, ts, req.method, req.target, req.body);
    if (!net::equal_constant_time(req.header("ok-access-sign"), sig)) {
      return reply(401, "50113", "Invalid Sign");
    }
    return std::nullopt;
  }

  std::optional<SimHttpReply> trade(const SimHttpRequest& req, std::string_view path,
                                    SimExchange& x) {
    if (auto bad = check(req, x)) return bad;
    simdjson::dom::parser p;
    simdjson::dom::element body;
    // A member's string, another value's JSON text, or "" if absent.
    auto field = [&](const char* k) -> std::string {
      simdjson::dom::element v;
      std::string_view text;
      if (body[k].get(v)) return {};
      if (!v.get(text)) return std::string(text);
      return simdjson::minify(v);
    };
    if (req.method == "POST" && p.parse(std::string(req.body)).get(body)) {
      return reply(400, "50002", "Json data format error");
    }
    if (req.method == "GET" && path == "/api/v5/trade/order") {
      const TrackedOrder* t = x.orders().find(sim_query_param(req.target, "clOrdId"));
      if (t == nullptr) return reply(200, "51603", "Order does not exist");
      return reply(200, "0", "", "[" + object(*t, x, std::nullopt, "") + "]");
    }
    if (req.method == "GET" && path == "/api/v5/trade/orders-pending") {
      std::string list;
      for (const TrackedOrder* t : x.orders().open_orders()) {
        list += (list.empty() ? "" : ",") + object(*t, x, std::nullopt, "");
      }
      return reply(200, "0", "", "[" + list + "]");
    }
    if (req.method != "POST") return std::nullopt;
    const std::string cl = field("clOrdId");
    if (path == "/api/v5/trade/cancel-order") {
      const TrackedOrder* t = x.orders().find(cl);
      if (t == nullptr || !x.cancel(cl)) {
        return reply(200, "1", "Operation failed.",
                     item(cl, "", "51400",
                          "Order cancellation failed as the order has been "
                          "filled, canceled or does not exist"));
      }
      return reply(200, "0", "", item(cl, ord_id(*x.orders().find(cl)), "0", ""));
    }
    if (path == "/api/v5/trade/amend-order") {
      if (!x.amend(cl, Decimal::parse(field("newSz")), Decimal::parse(field("newPx")))) {
        return reply(200, "1", "Operation failed.",
                     item(cl, "", "51503",
                          "Order modification failed as the order has been "
                          "filled, canceled or does not exist"));
      }
      return reply(200, "0", "", item(cl, ord_id(*x.orders().find(cl)), "0", ""));
    }
    if (path != "/api/v5/trade/order") return std::nullopt;
    Order o;
    o.id = cl.empty() ? (generated_ = fmt::format("otsim{}", ++generated_n_)) : cl;
    const std::string inst = field("instId"), side = field("side"), type = field("ordType");
    auto sz = Decimal::parse(field("sz"));
    auto px = Decimal::parse(field("px"));
    if (inst.empty() || (side != "buy" && side != "sell") || !sz || sz->mantissa <= 0) {
      return reply(200, "1", "Operation failed.", item(cl, "", "51000", "Parameter error"));
    }
    o.venue = "okx";
    o.symbol = inst;
    o.side = side == "buy" ? Side::buy : Side::sell;
    o.qty = *sz;
    o.reduce_only = field("reduceOnly") == "true";
    o.kind = type == "market" ? OrderKind::market : OrderKind::limit;
    o.tif = type == "post_only" ? Tif::post_only
            : type == "ioc"     ? Tif::ioc
            : type == "fok"     ? Tif::fok
            : type == "market"  ? Tif::ioc
                                : Tif::gtc;
    if (o.kind == OrderKind::limit) {
      if (!px)
        return reply(200, "1", "Operation failed.", item(cl, "", "51000", "Parameter px error"));
      o.price = *px;
    }
    const SimExchange::Answer r = x.submit(o);
    if (r.rate_limited) return reply(429, "50011", "Too Many Requests");
    if (!r.accepted) {
      return reply(200, "1", "Operation failed.",
                   item(cl, "", "51008", "Order failed: " + r.reason));
    }
    return reply(200, "0", "", item(o.id, ord_id(*x.orders().find(o.id)), "0", "Order placed"));
  }

  void login(std::string_view text, SimConnection& c, const SimExchange& x) {
    simdjson::dom::parser p;
    simdjson::dom::element a;
    std::string_view ts_text;
    auto invalid = [&] {
      c.send(R"({"event":"error","code":"60012","msg":"Invalid request","connId":"sim"})");
    };
    if (p.parse(std::string(text))["args"].at(0).get(a) || a["timestamp"].get(ts_text)) {
      return invalid();
    }
    const SimAccount& acc = x.account();
    const std::string ts(ts_text);
    const std::string sig = net::hmac_sha256_base64(acc.api_secret, ts + "GET/users/self/verify");
    const bool fresh = within(std::atoll(ts.c_str()), now_ns() / 1'000'000'000, 30);
    // Whether member `k` is `want`; nullopt if it is not a string. Checked in
    // turn: the first mismatch decides, and later members are not read.
    auto same = [&](const char* k, std::string_view want) -> std::optional<bool> {
      std::string_view v;
      if (a[k].get(v)) return std::nullopt;
      return net::equal_constant_time(v, want);
    };
    std::optional<bool> ok = same("apiKey", acc.api_key);
    if (ok == true) ok = same("passphrase", acc.api_passphrase);
    if (ok == true) ok = same("sign", sig);
    if (!ok) return invalid();
    if (!*ok || !fresh) {
      c.send(R"({"event":"error","code":"60009","msg":"Login failed.","connId":"sim"})");
      return;
    }
    authed_.insert(&c);
    c.send(R"({"event":"login","code":"0","msg":"","connId":"sim"})");
  }

  std::set<SimConnection*> authed_;
  std::vector<SimConnection*> private_;
  std::uint64_t private_sent_ = 0, trade_n_ = 0, generated_n_ = 0;
  std::string generated_;

  std::string snapshot_frame(const std::string& ch, const std::string& inst, const CheckedBook& b,
                             const SimMarket& m) {
    const L2Book& book = b.book();
    std::string arena_b, arena_a;
    std::vector<PriceLevel> bids, asks;
    book.top_text(BookSide::bid, kChecksumDepth, arena_b, bids);
    book.top_text(BookSide::ask, kChecksumDepth, arena_a, asks);
    const std::int64_t sum = checksum(bids, asks);
    const std::size_t depth = ch == "books5" ? 5 : 400;
    return "{\"arg\":" + arg_json(ch, inst) + ",\"action\":\"snapshot\",\"data\":[{\"asks\":" +
           sim_levels_json(book, BookSide::ask, depth, "[", ",\"0\",\"1\"]", true) +
           ",\"bids\":" + sim_levels_json(book, BookSide::bid, depth, "[", ",\"0\",\"1\"]", true) +
           ",\"ts\":\"" + std::to_string(b.last_ts().value_or(m.venue_time()) / 1'000'000) +
           "\",\"checksum\":" + std::to_string(sum) +
           (b.last_seq() ? ",\"seqId\":" + std::to_string(*b.last_seq()) : std::string()) +
           ",\"prevSeqId\":-1}]}";
  }

  od::parser parser_;
};

}  // namespace

std::unique_ptr<SimProtocol> make_sim() { return std::make_unique<OkxSim>(); }

}  // namespace ot::okx
