#include "net/client.h"

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <charconv>
#include <optional>
#include <type_traits>

#include "net/busy_poll.h"

namespace ot::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::string Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

namespace {

// Connects `lowest` (a tcp_stream) to host:port.
asio::awaitable<void> connect_tcp(beast::tcp_stream& s, const Url& url,
                                  std::chrono::milliseconds deadline) {
  tcp::resolver resolver(s.get_executor());
  auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);
  s.expires_after(deadline);
  co_await s.async_connect(endpoints, asio::use_awaitable);
  s.socket().set_option(tcp::no_delay(true));
  apply_busy_poll(s.socket().native_handle());  // --busy-poll, where allowed
}

asio::awaitable<void> tls_handshake(TlsStream& s, const Url& url,
                                    std::chrono::milliseconds deadline) {
  if (!SSL_set_tlsext_host_name(s.native_handle(), url.host.c_str())) {
    throw boost::system::system_error(static_cast<int>(::ERR_get_error()),
                                      asio::error::get_ssl_category());
  }
  s.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::get_lowest_layer(s).expires_after(deadline);
  co_await s.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
}

}  // namespace

struct HttpClient::Impl {
  asio::any_io_executor ex;
  Url base;
  asio::ssl::context& tls;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<TlsStream> secure;
  beast::flat_buffer buffer;
  std::string request;  // the request's bytes (capacity kept between requests)

  bool connected() const { return plain || secure; }

  asio::awaitable<void> connect(std::chrono::milliseconds deadline) {
    if (base.tls) {
      secure = std::make_unique<TlsStream>(ex, tls);
      co_await connect_tcp(beast::get_lowest_layer(*secure), base, deadline);
      co_await tls_handshake(*secure, base, deadline);
    } else {
      plain = std::make_unique<beast::tcp_stream>(ex);
      co_await connect_tcp(*plain, base, deadline);
      // exchange() writes each request with a send that must not block.
      plain->socket().non_blocking(true);
    }
    buffer.clear();
  }

  // Writes `request` and reads the response, with one deadline for both (a
  // tcp_stream's expiry covers every operation until it is changed). Over
  // plain TCP the request is written in this call, before the deadline's
  // timer is armed and with no turn of the event loop: what the socket
  // takes at once (all of it, when the last answer has been read) is sent
  // here, any rest by an asynchronous write.
  template <class Stream>
  asio::awaitable<Response> exchange(Stream& s, std::chrono::milliseconds deadline) {
    std::size_t sent = 0;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      // Non-blocking since connect(); a failure shows in the asynchronous write.
      boost::system::error_code ec;
      sent = s.socket().write_some(asio::buffer(request), ec);
    }
    beast::get_lowest_layer(s).expires_after(deadline);
    if (sent < request.size()) {
      co_await asio::async_write(s, asio::buffer(request) + sent, asio::use_awaitable);
    }
    http::response<http::string_body> res;
    co_await http::async_read(s, buffer, res, asio::use_awaitable);
    Response out;
    out.status = res.result_int();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    out.body = std::move(res.body());
    if (!res.keep_alive()) close();
    co_return out;
  }

  void close() {
    boost::system::error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (secure) beast::get_lowest_layer(*secure).socket().close(ignored);
    plain.reset();
    secure.reset();
  }
};

HttpClient::HttpClient(asio::any_io_executor ex, Url base, asio::ssl::context& tls)
    : impl_(std::make_unique<Impl>(
          Impl{std::move(ex), std::move(base), tls, nullptr, nullptr, {}, {}})) {}
HttpClient::~HttpClient() = default;

void HttpClient::close() { impl_->close(); }

namespace {

// The request's bytes, written straight into `out`: an order's request is
// built on every order, and Beast's message and serializer would allocate
// per header. Values with a line break would forge headers: refused.
bool format_request(std::string& out, std::string_view method, std::string_view target,
                    std::string_view host, const Headers& headers, std::string_view body) {
  auto plain = [](std::string_view v) { return v.find_first_of("\r\n") == std::string_view::npos; };
  if (!plain(method) || !plain(target) || method.find(' ') != std::string_view::npos) return false;
  out.clear();
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  out.append("\r\nUser-Agent: optitrade/0.1\r\n");
  for (const auto& [k, v] : headers) {
    if (!plain(k) || !plain(v) || k.find(':') != std::string::npos) return false;
    out.append(k).append(": ").append(v).append("\r\n");
  }
  if (!body.empty() || method != "GET") {
    char n[24];
    const auto end = std::to_chars(n, n + sizeof n, body.size()).ptr;
    out.append("Content-Length: ").append(n, end).append("\r\n");
  }
  out.append("\r\n").append(body);
  return true;
}

}  // namespace

asio::awaitable<Response> HttpClient::request(std::string_view method, const std::string& target,
                                              const Headers& headers, const std::string& body,
                                              std::chrono::milliseconds deadline) {
  if (!format_request(impl_->request, method, target, impl_->base.host, headers, body)) {
    throw NotSent(asio::error::invalid_argument);
  }
  if (!impl_->connected()) {
    std::optional<NotSent> failed;
    try {
      co_await impl_->connect(deadline);
    } catch (const boost::system::system_error& e) {
      failed.emplace(e.code());
    }
    if (failed) {
      impl_->close();  // a half-made connection is not one to reuse
      throw *failed;
    }
  }
  try {
    if (impl_->secure) co_return co_await impl_->exchange(*impl_->secure, deadline);
    co_return co_await impl_->exchange(*impl_->plain, deadline);
  } catch (...) {
    impl_->close();
    throw;
  }
}

struct WsClient::Impl {
  asio::any_io_executor ex;
  asio::ssl::context& tls;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> plain;
  std::unique_ptr<websocket::stream<TlsStream>> secure;
  beast::flat_buffer buffer;

  template <class WS>
  static void configure(WS& ws) {
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& r) {
      r.set(beast::http::field::user_agent, "optitrade/0.1");
    }));
  }
};

WsClient::WsClient(asio::any_io_executor ex, asio::ssl::context& tls)
    : impl_(std::make_unique<Impl>(Impl{std::move(ex), tls, nullptr, nullptr, {}})) {}
WsClient::~WsClient() = default;

asio::awaitable<void> WsClient::connect(const Url& url, std::chrono::milliseconds deadline) {
  close();
  const std::string host = url.host + ":" + url.port;
  if (url.tls) {
    impl_->secure = std::make_unique<websocket::stream<TlsStream>>(impl_->ex, impl_->tls);
    auto& ws = *impl_->secure;
    co_await connect_tcp(beast::get_lowest_layer(ws), url, deadline);
    co_await tls_handshake(ws.next_layer(), url, deadline);
    beast::get_lowest_layer(ws).expires_never();
    Impl::configure(ws);
    co_await ws.async_handshake(host, url.target, asio::use_awaitable);
  } else {
    impl_->plain = std::make_unique<websocket::stream<beast::tcp_stream>>(impl_->ex);
    auto& ws = *impl_->plain;
    co_await connect_tcp(beast::get_lowest_layer(ws), url, deadline);
    beast::get_lowest_layer(ws).expires_never();
    Impl::configure(ws);
    co_await ws.async_handshake(host, url.target, asio::use_awaitable);
  }
}

asio::awaitable<std::string> WsClient::read() {
  impl_->buffer.clear();
  if (impl_->secure) {
    co_await impl_->secure->async_read(impl_->buffer, asio::use_awaitable);
  } else if (impl_->plain) {
    co_await impl_->plain->async_read(impl_->buffer, asio::use_awaitable);
  } else {
    throw boost::system::system_error(asio::error::not_connected);
  }
  co_return beast::buffers_to_string(impl_->buffer.data());
}

asio::awaitable<void> WsClient::write(const std::string& text) {
  if (impl_->secure) {
    co_await impl_->secure->async_write(asio::buffer(text), asio::use_awaitable);
  } else if (impl_->plain) {
    co_await impl_->plain->async_write(asio::buffer(text), asio::use_awaitable);
  }
}

void WsClient::close() {
  boost::system::error_code ignored;
  if (impl_->plain) beast::get_lowest_layer(*impl_->plain).socket().close(ignored);
  if (impl_->secure) beast::get_lowest_layer(*impl_->secure).socket().close(ignored);
  impl_->plain.reset();
  impl_->secure.reset();
}

}  // namespace ot::net
