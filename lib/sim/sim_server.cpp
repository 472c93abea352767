#include "sim/sim_server.h"

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cstring>
#include <deque>
#include <fstream>
#include <list>
#include <map>
#include <set>

#include "core/event_encoder.h"
#include "core/time.h"
#include "exec/paper.h"
#include "feed/replay.h"
#include "io/capture_line.h"
#include "io/input.h"
#include "net/busy_poll.h"
#include "venues/sim_protocol.h"
#include "venues/venue.h"

namespace ot {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

// Kernel time stamps for the tick-to-trade log: a frame is sent when the
// kernel hands its last byte to the network device, an order arrives when
// the kernel receives its first bytes, so neither includes this server's
// own scheduling. Both are turned from the realtime clock of the stamps
// into the monotonic clock of the log.
Nanos to_mono(const timespec& ts) {
  const Nanos at = static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  const Nanos real = now_ns();
  return at > 0 && at <= real ? mono_ns() - (real - at) : mono_ns();
}

void stamp_receives(int fd) {
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
}

// Send stamps on `fd` for the writes from now (on) or not (off). Only
// around a write whose stamps last_sent() then drains: a stamp left in the
// error queue would make the socket poll as failed.
void stamp_sends(int fd, bool on) {
  const int flags =
      on ? SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY
         : 0;
  ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags);
}

// The latest send stamp queued on `fd` (the error queue is drained).
std::optional<Nanos> last_sent(int fd) {
  std::optional<Nanos> last;
  for (;;) {
    alignas(cmsghdr) char control[256];
    msghdr m{};
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    if (::recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return last;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
        scm_timestamping ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        if (ts.ts[0].tv_sec != 0) last = to_mono(ts.ts[0]);
      }
    }
  }
}

// When the bytes waiting on `fd` were received (MSG_PEEK: they stay).
std::optional<Nanos> first_received(int fd) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  if (::recvmsg(fd, &m, MSG_PEEK | MSG_DONTWAIT) <= 0) return std::nullopt;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return to_mono(ts);
    }
  }
  return std::nullopt;
}

struct Played {
  Nanos recv;
  std::string frame;
  std::optional<SimRoute> route;
};

// The simulated market: books kept by the venue's own parser.
class Market final : public SimMarket, public EventListener {
 public:
  explicit Market(const Venue& v) : rules_(v.book_rules()), parser_(v.make_parser()) {}

  const CheckedBook* book(std::string_view symbol) const override {
    auto it = books_.find(std::string(symbol));
    return it != books_.end() && it->second.valid() ? &it->second : nullptr;
  }
  Nanos venue_time() const override { return venue_time_; }

  // Plays a frame into the books. Recorded snapshots reset a book only while
  // it has none (or when the snapshot is newer than the book).
  void play(const Played& p) {
    padded_.assign(p.frame);
    const std::size_t n = padded_.size();
    padded_.append(64, '\0');
    venue_time_ = p.recv;
    parser_->parse(std::string_view(padded_.data(), n), p.recv, *this);
  }

  void on_book(const BookUpdate& u) override {
    if (u.ts) venue_time_ = *u.ts;
    auto it = books_.try_emplace(std::string(u.symbol), rules_).first;
    CheckedBook& b = it->second;
    if (u.snapshot && b.valid()) {
      if (!u.seq || !b.last_seq() || *u.seq <= *b.last_seq()) return;
    }
    const bool was_valid = b.valid();
    b.apply(u);
    // The matching engine sees the book the clients see.
    if (paper_ != nullptr && (b.valid() || was_valid)) paper_->on_book(u);
  }
  void on_trade(const Trade& t) override {
    if (paper_ != nullptr) paper_->on_trade(t);
  }
  void set_paper(PaperVenue* p) { paper_ = p; }
  void on_quote(const Quote&) override {}
  void on_ticker(const Ticker&) override {}
  void on_status(const Status&) override {}

 private:
  BookRules rules_;
  std::unique_ptr<FrameParser> parser_;
  std::map<std::string, CheckedBook> books_;
  std::string padded_;
  Nanos venue_time_ = 0;
  PaperVenue* paper_ = nullptr;
};

// The order-entry side: the paper venue's queue model on the replayed
// books, with the account's faults.
class Exchange final : public SimExchange, public ExecListener {
 public:
  Exchange(const SimAccount& account, SimProtocol& proto, Market& market)
      : account_(account),
        proto_(proto),
        market_(market),
        paper_(PaperConfig{0, 0, account.maker_fee, account.taker_fee, {}, {}}) {
    paper_.set_listener(*this);
    tokens_ = account.rate_limit;
  }
  PaperVenue& paper() { return paper_; }

  Answer submit(const Order& o) override {
    Answer r;
    if (account_.rate_limit > 0) {
      const Nanos t = mono_ns();
      tokens_ = std::min(account_.rate_limit, tokens_ + static_cast<double>(t - tokens_at_) * 1e-9 *
                                                            account_.rate_limit);
      tokens_at_ = t;
      if (tokens_ < 1) {
        r.accepted = false;
        r.rate_limited = true;
        r.retry_after_s = 1;
        r.reason = "too many orders";
        return r;
      }
      tokens_ -= 1;
    }
    if (tracker_.find(o.id) != nullptr) {
      r.accepted = false;
      r.reason = "duplicate client order id";
      return r;
    }
    if (account_.reject_every > 0 && ++orders_ % account_.reject_every == 0) {
      r.accepted = false;
      r.reason = "rejected by the simulator (--reject-every)";
      return r;
    }
    Order copy = o;
    copy.ts = market_.venue_time();
    tracker_.add(copy);
    paper_.submit(copy);
    // A reject by the matching engine (no book, post-only would cross).
    const TrackedOrder* t = tracker_.find(o.id);
    if (t != nullptr && t->status == ExecStatus::rejected) {
      r.accepted = false;
      r.reason = last_reject_;
    }
    return r;
  }
  bool cancel(std::string_view id) override {
    const TrackedOrder* t = tracker_.find(id);
    if (t == nullptr || !t->open()) return false;
    Cancel c;
    c.id = id;
    paper_.cancel(c);
    return true;
  }
  bool amend(std::string_view id, const std::optional<Decimal>& qty,
             const std::optional<Decimal>& price) override {
    const TrackedOrder* t = tracker_.find(id);
    if (t == nullptr || !t->open()) return false;
    Amend a;
    a.id = id;
    a.qty = qty;
    a.price = price;
    paper_.amend(a);
    return true;
  }
  const OrderTracker& orders() const override { return tracker_; }
  const SimAccount& account() const override { return account_; }
  Nanos now() const override { return market_.venue_time(); }

  void on_exec(const Exec& e) override {
    auto r = tracker_.apply(e);
    if (r.kind == OrderTracker::Applied::refused) return;
    if (r.order != nullptr && r.order->open()) {
      tracker_.amend(e.id, add(e.filled, e.leaves), e.order_price);
    }
    if (e.status == ExecStatus::rejected) {
      last_reject_ = e.reason;
      return;  // answered by the REST call itself
    }
    proto_.on_exec(e, *this);
  }
  void on_venue_status(const Status&) override {}

 private:
  const SimAccount& account_;
  SimProtocol& proto_;
  Market& market_;
  PaperVenue paper_;
  OrderTracker tracker_;
  std::string last_reject_;
  std::uint64_t orders_ = 0;
  double tokens_ = 0;
  Nanos tokens_at_ = 0;
};

class ConnectionBase;

class Server {
 public:
  Server(const SimOptions& o, const Venue& venue, std::unique_ptr<SimProtocol> proto,
         std::vector<Played> timeline, LineSink& out, Diagnostics& diag)
      : o_(o),
        venue_(venue),
        proto_(std::move(proto)),
        timeline_(std::move(timeline)),
        market_(venue),
        exchange_(o.account, *proto_, market_),
        out_(out),
        diag_(diag),
        skip_(o.skip.begin(), o.skip.end()) {
    market_.set_paper(&exchange_.paper());
    // Books known from the start: each symbol's first recorded snapshot, so
    // a client that asks before the capture reaches it still gets a book.
    std::set<std::string> seen;
    for (const auto& p : timeline_) {
      if (p.route && p.route->snapshot_only && seen.insert(p.route->symbol).second) {
        market_.play(p);
      }
    }
  }

  bool listen(const std::string& where);
  void run(const volatile std::sig_atomic_t* stop);

  SimProtocol& proto() { return *proto_; }
  Market& market() { return market_; }
  Exchange& exchange() { return exchange_; }
  Diagnostics& diag() { return diag_; }
  const SimOptions& options() const { return o_; }
  std::list<ConnectionBase*>& connections() { return conns_; }
  std::uint64_t next_connection_index() { return ++conn_count_; }
  // Tick-to-trade log: frame `stamp` ("<symbol> <best bid>") went to the
  // socket at monotonic time `at`.
  void log_frame(Nanos at, std::string_view stamp) {
    std::fprintf(latency_log_, "F %lld %.*s\n", static_cast<long long>(at),
                 static_cast<int>(stamp.size()), stamp.data());
  }

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> player();
  asio::awaitable<void> ticker();
  asio::awaitable<void> watch_stop(const volatile std::sig_atomic_t* stop);
  asio::awaitable<void> serve(tcp::socket socket);
  asio::awaitable<Nanos> arrival(beast::tcp_stream& stream);
  template <class Stream>
  asio::awaitable<void> serve_stream(Stream& stream);
  bool anyone_subscribed() const;
  void announce(std::string_view event, std::string_view detail);

  const SimOptions& o_;
  const Venue& venue_;
  std::unique_ptr<SimProtocol> proto_;
  std::vector<Played> timeline_;
  Market market_;
  Exchange exchange_;
  LineSink& out_;
  Diagnostics& diag_;
  std::set<std::uint64_t> skip_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  std::list<ConnectionBase*> conns_;
  std::uint64_t conn_count_ = 0;
  std::FILE* latency_log_ = nullptr;
  void top_of(const std::string& symbol, std::optional<Level>& bid, std::optional<Level>& ask) {
    const CheckedBook* b = market_.book(symbol);
    bid = b ? b->book().best(BookSide::bid) : std::nullopt;
    ask = b ? b->book().best(BookSide::ask) : std::nullopt;
  }
  Nanos ended_at_ = 0;
  std::unique_ptr<asio::ssl::context> tls_;

 public:
  bool open_latency_log(const std::string& path) {
    latency_log_ = std::fopen(path.c_str(), "w");
    if (latency_log_ == nullptr) diag_.error("", path + ": cannot write the latency log");
    return latency_log_ != nullptr;
  }
  ~Server() {
    if (latency_log_) std::fclose(latency_log_);
  }
  // Serve TLS (wss://, https://) with this certificate chain and key.
  bool use_tls(const std::string& cert, const std::string& key) {
    try {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(cert);
      tls_->use_private_key_file(key, asio::ssl::context::pem);
      return true;
    } catch (const std::exception& e) {
      diag_.error("", "TLS certificate or key: " + std::string(e.what()));
      return false;
    }
  }
};

// What the player needs of a client connection, whatever its transport.
class ConnectionBase : public SimConnection {
 public:
  ConnectionBase(Server& s, const asio::any_io_executor& ex, std::uint64_t index)
      : server_(s), wake_(ex) {
    const auto& drops = s.options().drop_after;
    if (index <= drops.size()) drop_after_ = drops[index - 1];
  }

  void send(std::string text) override { queue(std::move(text), {}); }
  void send_report(std::string text) override {
    const Nanos delay = static_cast<Nanos>(server_.options().account.report_delay_ms) * 1'000'000;
    queue(std::move(text), {}, delay > 0 ? mono_ns() + delay : 0);
  }
  void subscribe(const std::string& topic) override { topics_.insert(topic); }
  void close() override {
    closing_ = true;
    wake_.cancel();
  }
  void unsubscribe(const std::string& topic) override { topics_.erase(topic); }
  std::vector<std::string> topics() const override { return {topics_.begin(), topics_.end()}; }
  bool subscribed() const { return !topics_.empty(); }
  bool wants(const std::string& topic) const { return topics_.count(topic) != 0; }
  std::size_t backlog() const { return queue_.size(); }

  // A captured frame for this client; counts towards the drop fault.
  // `stamp`, if not empty, goes to the latency log when the frame is written.
  void deliver(const std::string& frame, const std::string& stamp) {
    if (closing_) return;
    queue(frame, stamp);
    ++delivered_;
    const auto every = server_.options().malformed_every;
    if (every > 0 && delivered_ % every == 0) send(malformed(delivered_ / every));
    if (drop_after_ > 0 && delivered_ >= drop_after_) {
      closing_ = true;
      wake_.cancel();
    }
  }

 protected:
  struct Outgoing {
    std::string text;
    std::string stamp;
    Nanos due = 0;  // mono_ns() before which it is not sent (0: at once)
  };
  void queue(std::string text, std::string stamp, Nanos due = 0) {
    if (closing_) return;  // cut: what follows is lost, as on a real drop
    queue_.push_back(Outgoing{std::move(text), std::move(stamp), due});
    wake_.cancel();
  }
  static std::string malformed(std::uint64_t k) {
    switch (k % 4) {
      case 0:
        return "{\"stream\":\"x@depth\",\"data\":{\"e\":\"depthUpd";  // truncated JSON
      case 1:
        return std::string("\x01\x02\xff\xfe garbage\0", 13);  // binary garbage, a NUL too
      case 2:
        return "{\"arg\":{\"channel\":42},\"data\":[]}";  // wrong types
      default:
        return "{\"hello\":\"world\"}";  // unknown message
    }
  }

  Server& server_;
  asio::steady_timer wake_;
  std::deque<Outgoing> queue_;
  std::set<std::string> topics_;
  std::uint64_t delivered_ = 0;
  std::uint64_t drop_after_ = 0;
  bool closing_ = false;
  bool gone_ = false;
};

// A WebSocket client over plain TCP or TLS.
template <class WS>
class Connection final : public ConnectionBase {
 public:
  Connection(Server& s, WS& ws, std::uint64_t index)
      : ConnectionBase(s, ws.get_executor(), index), ws_(ws) {}

  asio::awaitable<void> reader() {
    beast::flat_buffer buf;
    try {
      for (;;) {
        co_await ws_.async_read(buf, asio::use_awaitable);
        const auto d = buf.cdata();
        std::string text(static_cast<const char*>(d.data()), d.size());
        buf.consume(buf.size());
        server_.proto().on_message(text, *this, server_.market(), server_.exchange());
      }
    } catch (...) {
      gone_ = true;
      wake_.cancel();
      throw;
    }
  }

  asio::awaitable<void> writer() {
    try {
      co_await write_all();
    } catch (...) {
      gone_ = true;
      boost::system::error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
      throw;
    }
  }

 private:
  asio::awaitable<void> write_all() {
    for (;;) {
      while (!queue_.empty() && !gone_) {
        if (const Nanos wait = queue_.front().due - mono_ns(); wait > 0) {
          asio::steady_timer t(ws_.get_executor());
          t.expires_after(std::chrono::nanoseconds(wait));
          co_await t.async_wait(asio::use_awaitable);
          continue;
        }
        Outgoing msg = std::move(queue_.front());
        queue_.pop_front();
        if (!msg.text.empty() && msg.text[0] == '\x01') {  // binary garbage fault
          ws_.binary(true);
          co_await ws_.async_write(asio::buffer(msg.text), asio::use_awaitable);
          ws_.text(true);
          continue;
        }
        if (msg.stamp.empty()) {
          co_await ws_.async_write(asio::buffer(msg.text), asio::use_awaitable);
          continue;
        }
        const int fd = beast::get_lowest_layer(ws_).socket().native_handle();
        stamp_sends(fd, true);
        const Nanos before = mono_ns();
        co_await ws_.async_write(asio::buffer(msg.text), asio::use_awaitable);
        stamp_sends(fd, false);
        server_.log_frame(last_sent(fd).value_or(before), msg.stamp);
      }
      if (closing_ || gone_) {
        // Drop the TCP connection without a close handshake, like a venue
        // or network failure would; this also ends the reader.
        boost::system::error_code ignored;
        beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(ws_).socket().close(ignored);
        co_return;
      }
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  WS& ws_;
};

bool Server::listen(const std::string& where) {
  const auto colon = where.rfind(':');
  if (colon == std::string::npos) {
    diag_.error("", "--listen: expected HOST:PORT, got '" + where + "'");
    return false;
  }
  try {
    const auto addr = asio::ip::make_address(where.substr(0, colon));
    const auto port = static_cast<unsigned short>(std::stoi(where.substr(colon + 1)));
    tcp::endpoint ep(addr, port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
  } catch (const std::exception& e) {
    diag_.error("", "cannot listen on " + where + ": " + e.what());
    return false;
  }
  const auto ep = acceptor_.local_endpoint();
  const std::string bound = ep.address().to_string() + ":" + std::to_string(ep.port());
  if (!o_.port_file.empty()) {
    const std::string tmp = o_.port_file + ".tmp";
    std::ofstream(tmp) << ep.port() << "\n";
    std::rename(tmp.c_str(), o_.port_file.c_str());
  }
  announce("listening", bound);
  return true;
}

void Server::announce(std::string_view event, std::string_view detail) {
  EventEncoder enc(out_);
  Status s{venue_.name(), {}, now_ns(), event, detail};
  enc.on_status(s);
}

bool Server::anyone_subscribed() const {
  for (const ConnectionBase* c : conns_) {
    if (c->subscribed()) return true;
  }
  return false;
}

template <class Stream>
asio::awaitable<void> Server::serve_stream(Stream& stream) {
  beast::flat_buffer buf;
  for (;;) {
    http::request<http::string_body> req;
    const Nanos arrived =
        latency_log_ && buf.size() == 0 ? co_await arrival(beast::get_lowest_layer(stream)) : 0;
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    co_await http::async_read(stream, buf, req, asio::use_awaitable);
    if (latency_log_ && req.method() == http::verb::post) {
      std::fprintf(latency_log_, "O %lld %s %s\n",
                   static_cast<long long>(arrived != 0 ? arrived : mono_ns()),
                   std::string(req.target()).c_str(), req.body().c_str());
    }
    if (websocket::is_upgrade(req)) {
      beast::get_lowest_layer(stream).expires_never();
      websocket::stream<Stream> ws(std::move(stream));
      ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
      co_await ws.async_accept(req, asio::use_awaitable);
      Connection<websocket::stream<Stream>> conn(*this, ws, next_connection_index());
      conns_.push_back(&conn);
      proto_->on_open(req.target(), conn, market_);
      try {
        co_await (conn.reader() || conn.writer());
      } catch (const std::exception&) {
      }
      conns_.remove(&conn);
      proto_->on_close(conn);
      co_return;
    }
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::content_type, "application/json");
    if (req.method() != http::verb::get && o_.order_delay_ms > 0) {
      asio::steady_timer t(co_await asio::this_coro::executor);
      t.expires_after(std::chrono::milliseconds(o_.order_delay_ms));
      co_await t.async_wait(asio::use_awaitable);
    }
    SimHttpRequest sreq;
    const auto method = req.method_string();
    sreq.method = std::string_view(method.data(), method.size());
    sreq.target = std::string_view(req.target().data(), req.target().size());
    sreq.body = req.body();
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      sreq.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    auto reply = proto_->on_http(sreq, market_, exchange_);
    if (reply) {
      res.result(reply->status);
      res.body() = std::move(reply->body);
      for (auto& [k, v] : reply->headers) res.set(k, v);
    } else {
      res.result(http::status::not_found);
      res.body() = "{\"code\":-1,\"msg\":\"not found\"}";
    }
    res.prepare_payload();
    co_await http::async_write(stream, res, asio::use_awaitable);
    if (!req.keep_alive()) co_return;
  }
}

// Waits (up to the idle timeout) until a request's first bytes are in, and
// returns when the kernel received them: the moment the order reached the
// venue, not the moment this loop got to it.
asio::awaitable<Nanos> Server::arrival(beast::tcp_stream& stream) {
  tcp::socket& sock = stream.socket();
  asio::steady_timer idle(sock.get_executor(), std::chrono::seconds(30));
  auto first = co_await (sock.async_wait(tcp::socket::wait_read, asio::use_awaitable) ||
                         idle.async_wait(asio::use_awaitable));
  if (first.index() == 1) throw boost::system::system_error(asio::error::timed_out);
  co_return first_received(sock.native_handle()).value_or(mono_ns());
}

asio::awaitable<void> Server::serve(tcp::socket socket) {
  try {
    if (tls_) {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls_);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
      co_await serve_stream(stream);
    } else {
      beast::tcp_stream stream(std::move(socket));
      co_await serve_stream(stream);
    }
  } catch (const std::exception&) {
    // The client went away or failed the handshake; nothing to clean up.
  }
}

asio::awaitable<void> Server::accept_loop() {
  for (;;) {
    tcp::socket s = co_await acceptor_.async_accept(asio::use_awaitable);
    s.set_option(tcp::no_delay(true));
    if (latency_log_) stamp_receives(s.native_handle());
    asio::co_spawn(ioc_, serve(std::move(s)), asio::detached);
  }
}

asio::awaitable<void> Server::player() {
  asio::steady_timer t(ioc_);
  auto wait = [&](std::chrono::nanoseconds d) -> asio::awaitable<void> {
    t.expires_after(d);
    co_await t.async_wait(asio::use_awaitable);
  };
  Nanos clock_origin = 0;  // monotonic time of timeline_[0] (shifted by pauses)
  // A frame played into the books to its bytes queued for every client
  // that wants it (a skipped frame: to its books updated).
  metrics::StageTimer stage(o_.runtime != nullptr ? o_.runtime->stage("sim") : nullptr);
  for (std::size_t i = 0; i < timeline_.size(); ++i) {
    // Pause while nobody listens.
    Nanos paused_at = 0;
    while (!anyone_subscribed()) {
      if (paused_at == 0) paused_at = mono_ns();
      co_await wait(std::chrono::milliseconds(5));
    }
    if (clock_origin == 0) clock_origin = mono_ns();
    if (paused_at != 0 && i > 0) clock_origin += mono_ns() - paused_at;
    const Played& p = timeline_[i];
    if (o_.speed > 0) {
      const Nanos due =
          clock_origin +
          static_cast<Nanos>(static_cast<double>(p.recv - timeline_[0].recv) / o_.speed);
      const Nanos now = mono_ns();
      if (due > now) co_await wait(std::chrono::nanoseconds(due - now));
    } else {
      // As fast as the clients take it: keep their queues short.
      for (;;) {
        std::size_t worst = 0;
        for (const ConnectionBase* c : conns_) worst = std::max(worst, c->backlog());
        if (worst < 256) break;
        co_await wait(std::chrono::microseconds(200));
      }
    }
    if (o_.delay_ms > 0) co_await wait(std::chrono::milliseconds(o_.delay_ms));
    stage.begin();
    const bool track = latency_log_ && p.route && !p.route->symbol.empty();
    std::optional<Level> bid0, ask0;
    if (track) top_of(p.route->symbol, bid0, ask0);
    market_.play(p);
    if (!p.route || p.route->snapshot_only || skip_.count(i + 1) != 0) {
      stage.end();
      continue;
    }
    std::string stamp;  // a top-changing frame: logged when written
    if (track) {
      std::optional<Level> bid1, ask1;
      top_of(p.route->symbol, bid1, ask1);
      auto same = [](const std::optional<Level>& a, const std::optional<Level>& b) {
        return a.has_value() == b.has_value() && (!a || (a->price == b->price && a->qty == b->qty));
      };
      if (bid1 && (!same(bid0, bid1) || !same(ask0, ask1))) {
        stamp = p.route->symbol + " " + bid1->price.to_string();
      }
    }
    for (ConnectionBase* c : conns_) {
      if (c->wants(p.route->topic)) c->deliver(p.frame, stamp);
    }
    stage.end();
  }
  ended_at_ = mono_ns();
  if (latency_log_) std::fflush(latency_log_);
  announce("eof", std::to_string(timeline_.size()) + " frames played");
}

asio::awaitable<void> Server::ticker() {
  asio::steady_timer t(ioc_);
  for (;;) {
    t.expires_after(std::chrono::seconds(1));
    co_await t.async_wait(asio::use_awaitable);
    for (ConnectionBase* c : conns_) proto_->on_tick(*c);
  }
}

asio::awaitable<void> Server::watch_stop(const volatile std::sig_atomic_t* stop) {
  asio::steady_timer t(ioc_);
  for (;;) {
    if (stop != nullptr && *stop) break;
    if (o_.runtime != nullptr) o_.runtime->beat();
    if (o_.linger_s >= 0 && ended_at_ != 0 &&
        mono_ns() - ended_at_ >= static_cast<Nanos>(o_.linger_s * 1e9)) {
      break;
    }
    t.expires_after(std::chrono::milliseconds(20));
    co_await t.async_wait(asio::use_awaitable);
  }
  ioc_.stop();
}

void Server::run(const volatile std::sig_atomic_t* stop) {
  asio::co_spawn(ioc_, accept_loop(), asio::detached);
  asio::co_spawn(ioc_, player(), asio::detached);
  asio::co_spawn(ioc_, ticker(), asio::detached);
  asio::co_spawn(ioc_, watch_stop(stop), asio::detached);
  if (o_.busy_poll) {
    net::run_spinning(ioc_);
  } else {
    ioc_.run();
  }
}

}  // namespace

bool run_sim(const SimOptions& o, LineSink& out, Diagnostics& diag,
             const volatile std::sig_atomic_t* stop) {
  // Order-entry venues (alpaca) match on the capture's own venue, detected
  // from its first frame.
  std::string data_venue = o.venue;
  if (sim_orders_only(o.venue) && !o.data.empty()) {
    auto in = open_input(o.data.front());
    std::string_view line;
    Nanos recv = 0;
    std::string_view frame;
    std::string padded;
    while (in && (*in)->next(line)) {
      if (!split_capture_line(line, recv, frame)) continue;
      padded.assign(frame);
      padded.append(kLinePadding, '\0');
      if (auto parser = make_detected_parser(std::string_view(padded.data(), frame.size()))) {
        data_venue = parser->venue();
        break;
      }
    }
  }
  const Venue* venue = find_venue(data_venue);
  auto proto = make_sim_protocol(o.venue, data_venue);
  if (venue == nullptr || !proto) {
    diag.error("", "no simulator for venue '" + o.venue + "' on this capture");
    return false;
  }
  std::vector<Played> timeline;
  for (const auto& path : o.data) {
    auto opened = open_input(path);
    if (!opened) {
      diag.error("", opened.error().message());
      return false;
    }
    auto in = std::move(opened).value();
    report_bad_lines(*in, diag);  // lines too long to hold are said, then skipped
    std::string_view line;
    while (in->next(line)) {
      Played p;
      std::string_view frame;
      if (line.empty()) continue;  // recorded disconnects are not replayed
      if (!split_capture_line(line, p.recv, frame)) {
        diag.error(path + ":" + std::to_string(in->line_number()), "not a capture line");
        continue;
      }
      p.frame.assign(frame);
      p.route = proto->route(frame);
      timeline.push_back(std::move(p));
    }
    if (!in->error().empty()) {
      diag.error("", in->error());
      return false;
    }
  }
  std::stable_sort(timeline.begin(), timeline.end(),
                   [](const Played& a, const Played& b) { return a.recv < b.recv; });
  Server server(o, *venue, std::move(proto), std::move(timeline), out, diag);
  if (!o.tls_cert.empty() &&
      !server.use_tls(o.tls_cert, o.tls_key.empty() ? o.tls_cert : o.tls_key)) {
    return false;
  }
  if (!server.listen(o.listen)) return false;
  if (!o.latency_log.empty() && !server.open_latency_log(o.latency_log)) return false;
  server.run(stop);
  return true;
}

}  // namespace ot
