#include "dash/dash_server.h"

#include <simdjson.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <thread>

#include "core/json_out.h"
#include "dash/assets.h"
#include "net/net.h"

namespace ot::dash {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

namespace {

constexpr std::string_view kCookie = "ot_dash";
constexpr std::size_t kMaxReplies = 64;  // command replies waiting for a slow browser

// Equal without an early exit (the token is a secret).
bool same_secret(std::string_view a, std::string_view b) {
  unsigned diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0 && !a.empty();
}

// The value of `name` in a list of name=value pairs separated by `sep`
// (a query string, a Cookie header), empty if absent.
std::string_view pair_value(std::string_view list, char sep, std::string_view name) {
  while (!list.empty()) {
    while (!list.empty() && list.front() == ' ') list.remove_prefix(1);
    const std::size_t end = list.find(sep);
    const std::string_view pair = list.substr(0, end);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return {};
}

std::string_view query_param(std::string_view target, std::string_view name) {
  const std::size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view()
                                     : pair_value(target.substr(q + 1), '&', name);
}

std::string_view header(const Request& req, http::field f) {
  const auto it = req.find(f);
  return it == req.end() ? std::string_view()
                         : std::string_view(it->value().data(), it->value().size());
}

// What a browser has been sent.
struct Client {
  explicit Client(const asio::any_io_executor& ex) : wake(ex) {}
  std::array<std::uint64_t, kViews> sent{};
  std::string venue, symbol, interval = "1m";
  std::uint64_t instrument_sent = 0;
  bool snapshot = true;
  std::uint64_t seq = 0;
  std::deque<std::string> replies;
  asio::steady_timer wake;
};

}  // namespace

struct DashServer::Impl {
  ServerOptions o;
  DashState& state;
  OrderDesk& desk;
  std::mutex& mu;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<asio::ssl::context> tls;
  std::thread thread;
  std::atomic<std::size_t> clients{0};

  Impl(const ServerOptions& opt, DashState& s, OrderDesk& d, std::mutex& m)
      : o(opt), state(s), desk(d), mu(m) {}

  // 200 when the request may go on; 401 without a token, 403 with a wrong
  // one or, for a WebSocket, a foreign Origin.
  http::status admit(const Request& req, bool upgrade) const {
    const std::string_view target(req.target().data(), req.target().size());
    std::string_view token = query_param(target, "token");
    if (token.empty()) token = pair_value(header(req, http::field::cookie), ';', kCookie);
    if (token.empty()) return http::status::unauthorized;
    if (!same_secret(token, o.token)) return http::status::forbidden;
    if (upgrade) {
      const std::string own =
          std::string(tls ? "https://" : "http://") + std::string(header(req, http::field::host));
      if (header(req, http::field::origin) != own) return http::status::forbidden;
    }
    return http::status::ok;
  }

  Response answer(const Request& req) const {
    Response res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    res.set("Referrer-Policy", "no-referrer");
    const http::status admitted = admit(req, false);
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (admitted != http::status::ok) {
      res.result(admitted);
      res.body() = admitted == http::status::unauthorized
                       ? "401: open the URL ot-dash printed at start (it carries the token)\n"
                       : "403: wrong token\n";
    } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.body() = "GET only\n";
    } else if (const Asset* a = find_asset(path)) {
      res.result(http::status::ok);
      res.set(http::field::content_type, a->type);
      // Styles: our own file, and the one <style> element the chart
      // library adds for its attribution logo (by its hash: the vendored
      // version's, web/dash/vendor/lightweight-charts/NOTICE).
      res.set("Content-Security-Policy",
              "default-src 'self'; img-src 'self' data:; style-src 'self' "
              "'sha256-3pRED1tOXas1FXFoPb9TGCjmYe9XQsmO9OV23khV2nY='; frame-ancestors 'none'");
      res.body() = std::string(a->body);
      // The token from the URL, kept for the page's own requests.
      if (const std::string_view t = query_param(target, "token"); !t.empty()) {
        res.set(http::field::set_cookie, std::string(kCookie) + "=" + std::string(t) +
                                             "; Path=/; HttpOnly; SameSite=Strict" +
                                             (tls ? "; Secure" : ""));
      }
    } else {
      res.result(http::status::not_found);
      res.body() = "not found\n";
    }
    res.prepare_payload();
    return res;
  }

  // The next message for `c`, empty when nothing changed.
  std::string update(Client& c) {
    std::string out;
    std::string value;
    JsonOut j(out);
    bool any = c.snapshot;
    std::lock_guard<std::mutex> lock(mu);
    state.tick(mono_ns());
    j.begin_object();
    j.field("type", c.snapshot ? "snapshot" : "update");
    j.key("views");
    j.begin_object();
    for (std::size_t i = 0; i < kViews; ++i) {
      const View v = static_cast<View>(i);
      if (!c.snapshot && state.version(v) == c.sent[i]) continue;
      c.sent[i] = state.version(v);
      value.clear();
      state.write(v, value);
      j.key(view_name(v));
      j.raw(value);
      any = true;
    }
    j.end_object();
    if (c.snapshot && o.reports != nullptr) {
      j.key("reports");
      j.begin_array();
      for (const Report& r : *o.reports) {
        j.begin_object();
        j.field("name", r.name);
        j.key("summary");
        j.raw(r.summary.empty() ? "null" : r.summary);
        j.end_object();
      }
      j.end_array();
    }
    const std::uint64_t iv = c.symbol.empty() ? 0 : state.instrument_version(c.venue, c.symbol);
    if (c.snapshot || iv != c.instrument_sent) {
      c.instrument_sent = iv;
      value.clear();
      j.key("instrument");
      if (iv != 0 && state.write_instrument(c.venue, c.symbol, c.interval, value)) {
        j.raw(value);
      } else {
        j.null();
      }
      any = true;
    }
    if (!any) return {};
    j.field("seq", static_cast<std::int64_t>(++c.seq));
    j.end_object();
    c.snapshot = false;
    return out;
  }

  void on_message(Client& c, std::string_view text) {
    simdjson::dom::parser parser;
    simdjson::dom::object msg;
    std::string_view op;
    if (parser.parse(text.data(), text.size()).get(msg) ||
        msg["op"].get_string().get(op) != simdjson::SUCCESS) {
      c.replies.push_back(R"({"type":"refused","op":"","reason":"not a command"})");
    } else if (op == "watch") {
      auto member = [&msg](std::string_view key) {
        std::string_view s;
        return msg[key].get_string().get(s) == simdjson::SUCCESS ? s : std::string_view();
      };
      const std::string_view venue = member("venue"), symbol = member("symbol"),
                             interval = member("interval");
      c.venue = std::string(venue);
      c.symbol = std::string(symbol);
      if (!interval.empty()) c.interval = std::string(interval);
      c.instrument_sent = ~std::uint64_t{0};  // send it at once
    } else if (op == "resync") {
      c.snapshot = true;
    } else if (op == "report") {
      std::string_view name;
      const Report* found = nullptr;
      if (msg["name"].get_string().get(name) == simdjson::SUCCESS && o.reports != nullptr) {
        for (const Report& r : *o.reports) {
          if (r.name == name) found = &r;
        }
      }
      c.replies.push_back(
          found != nullptr
              ? R"({"type":"report","data":)" + found->data + "}"
              : std::string(R"({"type":"refused","op":"report","reason":"no such report"})"));
    } else if (o.read_only) {
      std::string r;
      JsonOut j(r);
      j.begin_object();
      j.field("type", "refused");
      j.field("op", op);
      j.field("reason", "read-only: this ot-dash takes no orders");
      j.end_object();
      c.replies.push_back(std::move(r));
    } else {
      std::lock_guard<std::mutex> lock(mu);
      c.replies.push_back(desk.handle(text, state, now_ns()));
    }
    while (c.replies.size() > kMaxReplies) c.replies.pop_front();
    c.wake.cancel();
  }

  template <class WS>
  asio::awaitable<void> reader(WS& ws, Client& c) {
    beast::flat_buffer buf;
    for (;;) {
      buf.clear();
      co_await ws.async_read(buf, asio::use_awaitable);
      const std::string text = beast::buffers_to_string(buf.data());
      on_message(c, text);
    }
  }

  template <class WS>
  asio::awaitable<void> writer(WS& ws, Client& c) {
    for (;;) {
      while (!c.replies.empty()) {
        const std::string r = std::move(c.replies.front());
        c.replies.pop_front();
        co_await ws.async_write(asio::buffer(r), asio::use_awaitable);
      }
      const std::string msg = update(c);
      if (!msg.empty()) co_await ws.async_write(asio::buffer(msg), asio::use_awaitable);
      c.wake.expires_after(std::chrono::milliseconds(o.conflate_ms));
      boost::system::error_code ec;
      co_await c.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream stream) {
    try {
      beast::flat_buffer buf;
      for (;;) {
        Request req;
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
        co_await http::async_read(stream, buf, req, asio::use_awaitable);
        if (websocket::is_upgrade(req)) {
          if (const http::status s = admit(req, true); s != http::status::ok) {
            Response res{s, req.version()};
            res.set(http::field::content_type, "text/plain");
            res.body() = s == http::status::unauthorized ? "401\n" : "403\n";
            res.prepare_payload();
            co_await http::async_write(stream, res, asio::use_awaitable);
            co_return;
          }
          beast::get_lowest_layer(stream).expires_never();
          websocket::stream<Stream> ws(std::move(stream));
          ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
          ws.text(true);
          co_await ws.async_accept(req, asio::use_awaitable);
          Client c(ws.get_executor());
          ++clients;
          try {
            co_await (reader(ws, c) || writer(ws, c));
          } catch (const std::exception&) {
          }
          --clients;
          co_return;
        }
        Response res = answer(req);
        const bool keep = res.keep_alive();
        co_await http::async_write(stream, res, asio::use_awaitable);
        if (!keep) co_return;
      }
    } catch (const std::exception&) {
      // The browser went away, timed out or sent what is not HTTP.
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
      if (tls) {
        asio::co_spawn(ioc, serve_tls(std::move(s)), asio::detached);
      } else {
        asio::co_spawn(ioc, serve(beast::tcp_stream(std::move(s))), asio::detached);
      }
    }
  }

  asio::awaitable<void> serve_tls(tcp::socket s) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(s)), *tls);
    try {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
    } catch (const std::exception&) {
      co_return;
    }
    co_await serve(std::move(stream));
  }
};

DashServer::DashServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DashServer::~DashServer() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t DashServer::port() const { return impl_->acceptor.local_endpoint().port(); }
std::size_t DashServer::clients() const { return impl_->clients.load(); }

Result<std::unique_ptr<DashServer>> DashServer::start(const ServerOptions& options,
                                                      DashState& state, OrderDesk& desk,
                                                      std::mutex& mu) {
  if (options.token.size() < 16) {
    return Error(ErrorCode::invalid_argument, "the access token must have 16 characters or more");
  }
  auto impl = std::make_unique<Impl>(options, state, desk, mu);
  if (!options.cert.empty()) {
    try {
      impl->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      impl->tls->use_certificate_chain_file(options.cert);
      impl->tls->use_private_key_file(options.key.empty() ? options.cert : options.key,
                                      asio::ssl::context::pem);
    } catch (const std::exception& e) {
      return Error(ErrorCode::io_error, std::string("--cert/--key: ") + e.what());
    }
  }
  bool bad_address = false;
  if (std::string why = net::listen_on(impl->acceptor, options.listen, bad_address); !why.empty()) {
    return Error(bad_address ? ErrorCode::invalid_argument : ErrorCode::io_error,
                 "--listen: " + why);
  }
  asio::co_spawn(impl->ioc, impl->accept_loop(), asio::detached);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc.run(); });
  return std::unique_ptr<DashServer>(new DashServer(std::move(impl)));
}

}  // namespace ot::dash
