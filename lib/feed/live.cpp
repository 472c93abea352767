#include "feed/live.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <random>
#include <set>

#include "core/time.h"
#include "feed/book_sync.h"
#include "io/output.h"
#include "net/busy_poll.h"
#include "net/net.h"

namespace ot {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace asio::experimental::awaitable_operators;

namespace {

class NullSink final : public LineSink {
 public:
  void write_line(std::string_view, std::string_view) override {}
};

std::chrono::nanoseconds seconds(double s) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9));
}

class LiveFeed final : public SyncActions {
 public:
  LiveFeed(const LiveOptions& o, const Venue& venue, net::Url ws, net::Url rest, LineSink& out,
           Diagnostics& diag, LiveStats& stats)
      : o_(o),
        venue_(venue),
        ws_url_(std::move(ws)),
        rest_url_(std::move(rest)),
        out_(out),
        diag_(diag),
        stats_(stats),
        tls_(net::make_client_tls(o.ca_file)),
        wake_(ioc_),
        keepalive_timer_(ioc_),
        age_timer_(ioc_),
        parser_(venue.make_parser()),
        session_(venue.make_session(Subscription{o.symbols, o.channels})),
        encoder_(o.raw ? static_cast<LineSink&>(null_) : out),
        guard_(venue.book_rules(), encoder_, this),
        rng_(std::random_device{}()) {
    frame_.reserve(1 << 20);
  }

  bool open_record() {
    if (o_.record.empty()) return true;
    auto opened = open_output(o_.record, OutputOptions{true});
    if (!opened) {
      diag_.error("", opened.error().message());
      return false;
    }
    record_ = std::move(opened).value();
    return true;
  }

  void run(const volatile std::sig_atomic_t* stop) {
    asio::co_spawn(ioc_, main_loop(), asio::detached);
    asio::co_spawn(ioc_, watch_stop(stop), asio::detached);
    if (o_.busy_poll) {
      net::set_busy_poll_usec(net::kBusyPollUsec);
      net::run_spinning(ioc_, o_.on_idle);
    } else {
      ioc_.run();
    }
    if (record_) record_->flush();
  }

  // SyncActions
  void request_snapshot(std::string_view symbol) override {
    const std::string sym(symbol);
    if (!fetching_.insert(sym).second) return;
    asio::co_spawn(ioc_, fetch_snapshot(sym), asio::detached);
  }
  void resubscribe(std::string_view symbol) override {
    for (auto& m : session_->resubscribe_book(symbol)) send(std::move(m.text));
  }

 private:
  void status(std::string_view symbol, std::string_view event, std::string_view detail) {
    Status s{venue_.name(), symbol, now_ns(), event, detail};
    encoder_.on_status(s);
  }

  void send(std::string text) {
    outq_.push_back(std::move(text));
    wake_.cancel();
  }

  void write_capture(std::string_view frame, Nanos recv) {
    if (!o_.raw && !record_) return;
    capture_.resize(28);
    format_capture_stamp(capture_.data(), recv);
    capture_.push_back(' ');
    capture_.append(frame);
    if (o_.raw) out_.write_line({}, capture_);
    if (record_) record_->write_line({}, capture_);
  }

  void handle_frame(std::string_view text, Nanos recv) {
    ++stats_.frames;
    write_capture(text, recv);
    if (auto reply = session_->reply_to(text)) send(std::move(reply->text));
    // Parsers read up to 64 bytes past the frame.
    frame_.assign(text);
    const std::size_t n = frame_.size();
    frame_.append(64, '\0');
    FrameResult r = parser_->parse(std::string_view(frame_.data(), n), recv, guard_);
    if (frame_latency_ != nullptr && ++frames_timed_ % metrics::StageTimer::kSampleEvery == 0) {
      frame_latency_->observe_ns(now_ns() - recv);
    }
    if (r.kind == FrameKind::error) {
      ++stats_.errors;
      if (parse_errors_ != nullptr) parse_errors_->inc();
      diag_.error(std::string(venue_.name()) + " frame " + std::to_string(stats_.frames), r.error);
    }
    if (guard_.take_error(bad_level_)) {
      ++stats_.errors;
      if (parse_errors_ != nullptr) parse_errors_->inc();
      diag_.error(std::string(venue_.name()) + " frame " + std::to_string(stats_.frames),
                  bad_level_);
    }
  }

  asio::awaitable<void> watch_stop(const volatile std::sig_atomic_t* stop) {
    asio::steady_timer t(ioc_);
    const Nanos end = o_.duration_s > 0 ? mono_ns() + static_cast<Nanos>(o_.duration_s * 1e9) : 0;
    while (!(stop != nullptr && *stop) && !(end != 0 && mono_ns() >= end)) {
      if (LiveHealth* h = o_.health) {
        h->connected.store(connected_at_ != 0, std::memory_order_relaxed);
        h->books_in_sync.store(guard_.in_sync(), std::memory_order_relaxed);
      }
      if (o_.runtime != nullptr) o_.runtime->beat();
      t.expires_after(std::chrono::milliseconds(50));
      co_await t.async_wait(asio::use_awaitable);
    }
    ioc_.stop();
  }

  asio::awaitable<void> fetch_snapshot(std::string symbol) {
    asio::steady_timer t(ioc_);
    for (int attempt = 0; attempt < 10; ++attempt) {
      std::string why;
      try {
        net::Url url = rest_url_;
        url.target = (rest_url_.target == "/" ? std::string() : rest_url_.target) +
                     *session_->snapshot_target(symbol);
        net::HttpResponse res = co_await net::http_get(url, tls_, std::chrono::seconds(10));
        if (res.status == 200) {
          ++stats_.snapshots;
          fetching_.erase(symbol);
          handle_frame(session_->snapshot_frame(symbol, res.body), now_ns());
          co_return;
        }
        why = "HTTP " + std::to_string(res.status);
        if (res.status == 429 || res.status == 418) why += " (rate limited)";
      } catch (const std::exception& e) {
        why = e.what();
      }
      ++stats_.errors;
      diag_.error(std::string(venue_.name()) + " " + symbol, "depth snapshot failed: " + why);
      t.expires_after(std::chrono::milliseconds(500 << std::min(attempt, 5)));
      co_await t.async_wait(asio::use_awaitable);
    }
    fetching_.erase(symbol);
  }

  // The four loops of a session run as one group. Whichever ends first ends
  // the others explicitly (flag + timer cancel + socket close), so no loop
  // depends on implicit cancellation to finish.
  void end_session() {
    session_over_ = true;
    wake_.cancel();
    keepalive_timer_.cancel();
    age_timer_.cancel();
  }

  template <class WS>
  asio::awaitable<void> read_loop(WS& ws) {
    beast::flat_buffer buf;
    try {
      for (;;) {
        co_await ws.async_read(buf, asio::use_awaitable);
        const Nanos recv = now_ns();
        const auto data = buf.cdata();
        handle_frame(std::string_view(static_cast<const char*>(data.data()), data.size()), recv);
        buf.consume(buf.size());
      }
    } catch (...) {
      end_session();
      throw;
    }
  }

  template <class WS>
  asio::awaitable<void> write_loop(WS& ws) {
    try {
      while (!session_over_) {
        while (!outq_.empty() && !session_over_) {
          std::string msg = std::move(outq_.front());
          outq_.pop_front();
          co_await ws.async_write(asio::buffer(msg), asio::use_awaitable);
        }
        if (session_over_) break;
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      }
    } catch (...) {
      end_session();
      boost::system::error_code ignored;
      beast::get_lowest_layer(ws).socket().close(ignored);
      throw;
    }
  }

  asio::awaitable<void> keepalive_loop() {
    while (!session_over_) {
      keepalive_timer_.expires_after(session_->ping_interval());
      co_await keepalive_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (session_over_) break;
      if (auto ping = session_->keepalive()) send(std::move(ping->text));
    }
  }

  template <class WS>
  asio::awaitable<void> age_limit(WS& ws) {
    if (auto age = session_->max_session_age()) {
      age_timer_.expires_after(*age);
    } else {
      age_timer_.expires_at(asio::steady_timer::time_point::max());
    }
    co_await age_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (session_over_) co_return;
    end_session();
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
    throw std::runtime_error("reconnecting ahead of the venue's session time limit");
  }

  template <class WS>
  asio::awaitable<void> run_session(WS& ws) {
    websocket::stream_base::timeout to{};
    to.handshake_timeout = std::chrono::seconds(10);
    to.idle_timeout = std::chrono::seconds(40);
    to.keep_alive_pings = true;
    ws.set_option(to);
    ws.read_message_max(64 << 20);
    const std::string target =
        (ws_url_.target == "/" ? std::string() : ws_url_.target) + session_->ws_target();
    co_await ws.async_handshake(ws_url_.host + ":" + ws_url_.port, target, asio::use_awaitable);
    ++stats_.connects;
    outq_.clear();
    for (auto& m : session_->on_connected()) send(std::move(m.text));
    status({}, "connected", ws_url_.host + ":" + ws_url_.port + target);
    connected_at_ = mono_ns();
    session_over_ = false;
    co_await (read_loop(ws) || write_loop(ws) || keepalive_loop() || age_limit(ws));
  }

  asio::awaitable<void> connect_once() {
    asio::ip::tcp::resolver resolver(ioc_);
    auto endpoints =
        co_await resolver.async_resolve(ws_url_.host, ws_url_.port, asio::use_awaitable);
    if (!ws_url_.tls) {
      websocket::stream<beast::tcp_stream> ws(ioc_);
      beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
      co_await beast::get_lowest_layer(ws).async_connect(endpoints, asio::use_awaitable);
      beast::get_lowest_layer(ws).expires_never();
      co_await run_session(ws);
      co_return;
    }
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc_, tls_);
    if (!SSL_set_tlsext_host_name(ws.next_layer().native_handle(), ws_url_.host.c_str())) {
      throw std::runtime_error("cannot set TLS SNI");
    }
    ws.next_layer().set_verify_callback(asio::ssl::host_name_verification(ws_url_.host));
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
    co_await beast::get_lowest_layer(ws).async_connect(endpoints, asio::use_awaitable);
    co_await ws.next_layer().async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    beast::get_lowest_layer(ws).expires_never();
    co_await run_session(ws);
  }

  asio::awaitable<void> main_loop() {
    double backoff = o_.backoff_min_s;
    asio::steady_timer t(ioc_);
    for (;;) {
      std::string why = "connection closed";
      connected_at_ = 0;
      try {
        co_await connect_once();
      } catch (const boost::system::system_error& e) {
        why = e.code() == websocket::error::closed ? "closed by the venue" : e.code().message();
      } catch (const std::exception& e) {
        why = e.what();
      }
      const bool was_connected = connected_at_ != 0;
      if (was_connected) {
        ++stats_.disconnects;
        status({}, "disconnected", why);
        if (o_.raw || record_) write_blank();
        guard_.reset_all();
        // A session that lived a while starts the backoff again.
        if (mono_ns() - connected_at_ > 30'000'000'000LL) backoff = o_.backoff_min_s;
      } else {
        diag_.warning(std::string(venue_.name()), "connect failed: " + why);
      }
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      const double delay = std::min(backoff, o_.backoff_max_s) * jitter(rng_);
      backoff = std::min(backoff * 2, o_.backoff_max_s);
      t.expires_after(seconds(delay));
      co_await t.async_wait(asio::use_awaitable);
    }
  }

  void write_blank() {
    if (o_.raw) out_.write_line({}, {});
    if (record_) record_->write_line({}, {});
  }

  const LiveOptions& o_;
  const Venue& venue_;
  net::Url ws_url_;
  net::Url rest_url_;
  LineSink& out_;
  Diagnostics& diag_;
  LiveStats& stats_;
  asio::io_context ioc_;
  asio::ssl::context tls_;
  asio::steady_timer wake_;
  asio::steady_timer keepalive_timer_;
  asio::steady_timer age_timer_;
  bool session_over_ = false;
  std::deque<std::string> outq_;
  std::unique_ptr<FrameParser> parser_;
  std::unique_ptr<SessionProtocol> session_;
  NullSink null_;
  EventEncoder encoder_;
  BookSyncGuard guard_;
  std::string bad_level_;
  std::unique_ptr<LineOutput> record_;
  std::set<std::string> fetching_;
  std::string frame_;
  std::string capture_;
  std::mt19937_64 rng_;
  metrics::Histogram* frame_latency_ =
      o_.runtime != nullptr ? o_.runtime->stage("frame_to_event") : nullptr;
  std::uint64_t frames_timed_ = 0;
  metrics::Counter* parse_errors_ =
      o_.runtime != nullptr ? o_.runtime->parse_errors(venue_.name()) : nullptr;
  Nanos connected_at_ = 0;
};

}  // namespace

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto comma = list.find(',', start);
    std::string item =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

bool LiveHealth::ready(std::string& why) const {
  if (!connected.load(std::memory_order_relaxed)) {
    why = "not connected to the venue";
    return false;
  }
  const std::size_t n = books_in_sync.load(std::memory_order_relaxed);
  const std::size_t wanted = books_wanted.load(std::memory_order_relaxed);
  if (n < wanted) {
    why = std::to_string(wanted - n) + " of " + std::to_string(wanted) + " books not in sync";
    return false;
  }
  return true;
}

Result<Channels> parse_channels(const std::string& list) {
  Channels out{false, false, false, false};
  for (const auto& c : split_list(list)) {
    if (c == "book")
      out.book = true;
    else if (c == "trade")
      out.trade = true;
    else if (c == "quote")
      out.quote = true;
    else if (c == "ticker")
      out.ticker = true;
    else
      return Error(ErrorCode::invalid_argument,
                   "unknown channel '" + c + "' (expected book, trade, quote, ticker)");
  }
  if (!out.book && !out.trade && !out.quote && !out.ticker) {
    return Error(ErrorCode::invalid_argument, "no channels given");
  }
  return out;
}

bool run_live(const LiveOptions& options, LineSink& out, Diagnostics& diag,
              const volatile std::sig_atomic_t* stop, LiveStats& stats) {
  const Venue* venue = find_venue(options.venue);
  if (venue == nullptr) {
    diag.error("", "unknown venue '" + options.venue + "'");
    return false;
  }
  if (options.symbols.empty()) {
    diag.error("", "no symbols given");
    return false;
  }
  const std::string ws_text = options.ws_url.empty() ? venue->default_ws_url() : options.ws_url;
  const std::string rest_text =
      options.rest_url.empty() ? venue->default_rest_url() : options.rest_url;
  auto ws = net::parse_url(ws_text);
  auto rest = net::parse_url(rest_text);
  if (!ws || ws_text.rfind("ws", 0) != 0) {
    diag.error("", "bad WebSocket URL '" + ws_text + "' (expected ws:// or wss://)");
    return false;
  }
  if (!rest || rest_text.rfind("http", 0) != 0) {
    diag.error("", "bad REST URL '" + rest_text + "' (expected http:// or https://)");
    return false;
  }
  try {
    LiveFeed feed(options, *venue, *ws, *rest, out, diag, stats);
    if (!feed.open_record()) return false;
    feed.run(stop);
  } catch (const std::exception& e) {
    diag.error("", e.what());
    return false;
  }
  return true;
}

}  // namespace ot
