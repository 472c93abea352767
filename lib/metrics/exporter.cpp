#include "metrics/exporter.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "net/net.h"

namespace ot::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Exporter::Impl {
  Registry& registry;
  ReadyCheck ready;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;

  Impl(Registry& r, ReadyCheck check) : registry(r), ready(std::move(check)) {}

  http::response<http::string_body> answer(const http::request<http::string_body>& req) {
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.body() = "GET only\n";
    } else if (path == "/metrics") {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = registry.render();
    } else if (path == "/healthz") {
      res.result(http::status::ok);
      res.body() = "ok\n";
    } else if (path == "/readyz") {
      std::string why;
      const bool ok = !ready || ready(why);
      res.result(ok ? http::status::ok : http::status::service_unavailable);
      res.body() = ok ? "ready\n" : "not ready: " + why + "\n";
    } else {
      res.result(http::status::not_found);
      res.body() = "not found (/metrics, /healthz, /readyz)\n";
    }
    res.prepare_payload();
    return res;
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    try {
      beast::tcp_stream stream(std::move(socket));
      beast::flat_buffer buf;
      for (;;) {
        stream.expires_after(std::chrono::seconds(30));
        http::request<http::string_body> req;
        co_await http::async_read(stream, buf, req, asio::use_awaitable);
        auto res = answer(req);
        const bool keep = res.keep_alive();
        co_await http::async_write(stream, res, asio::use_awaitable);
        if (!keep) break;
      }
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    } catch (const std::exception&) {
      // The client went away or timed out.
    }
  }

  // The registry's ticks (Registry::on_tick).
  asio::awaitable<void> tick_loop() {
    asio::steady_timer t(ioc);
    for (;;) {
      registry.tick();
      t.expires_after(std::chrono::milliseconds(Registry::kTickMs));
      co_await t.async_wait(asio::use_awaitable);
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
      asio::co_spawn(ioc, serve(std::move(s)), asio::detached);
    }
  }
};

Exporter::Exporter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Exporter::~Exporter() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t Exporter::port() const { return impl_->acceptor.local_endpoint().port(); }

Result<std::unique_ptr<Exporter>> Exporter::start(const std::string& addr, Registry& registry,
                                                  ReadyCheck ready) {
  auto impl = std::make_unique<Impl>(registry, std::move(ready));
  bool bad_address = false;
  if (std::string why = net::listen_on(impl->acceptor, addr, bad_address); !why.empty()) {
    return Error(bad_address ? ErrorCode::invalid_argument : ErrorCode::io_error,
                 "--metrics: " + why);
  }
  asio::co_spawn(impl->ioc, impl->accept_loop(), asio::detached);
  asio::co_spawn(impl->ioc, impl->tick_loop(), asio::detached);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc.run(); });
  return std::unique_ptr<Exporter>(new Exporter(std::move(impl)));
}

}  // namespace ot::metrics
