#include "net/net.h"

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>

namespace ot::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::optional<Url> parse_url(const std::string& text) {
  Url u;
  std::string rest;
  std::string default_port;
  for (const auto& [scheme, tls, port] :
       {std::tuple{"wss://", true, "443"}, std::tuple{"https://", true, "443"},
        std::tuple{"ws://", false, "80"}, std::tuple{"http://", false, "80"}}) {
    const std::string s = scheme;
    if (text.rfind(s, 0) == 0) {
      u.tls = tls;
      default_port = port;
      rest = text.substr(s.size());
      break;
    }
  }
  if (default_port.empty() || rest.empty()) return std::nullopt;
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!authority.empty() && authority[0] == '[') {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    u.host = authority.substr(1, close - 1);
    u.port = close + 2 <= authority.size() && authority[close + 1] == ':'
                 ? authority.substr(close + 2)
                 : default_port;
  } else {
    const auto colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    u.port = colon == std::string::npos ? default_port : authority.substr(colon + 1);
  }
  if (u.host.empty() || u.port.empty()) return std::nullopt;
  return u;
}

asio::ssl::context make_client_tls(const std::string& ca_file) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  ctx.set_default_verify_paths();
  if (!ca_file.empty()) ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

namespace {

template <class Stream>
asio::awaitable<HttpResponse> request(Stream& stream, const Url& url,
                                      std::chrono::seconds deadline) {
  http::request<http::empty_body> req{http::verb::get, url.target, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "optitrade/0.1");
  beast::get_lowest_layer(stream).expires_after(deadline);
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  beast::get_lowest_layer(stream).expires_after(deadline);
  co_await http::async_read(stream, buffer, res, asio::use_awaitable);
  co_return HttpResponse{res.result_int(), std::move(res.body())};
}

}  // namespace

asio::awaitable<HttpResponse> http_get(const Url& url, asio::ssl::context& tls,
                                       std::chrono::seconds deadline) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);
  if (!url.tls) {
    beast::tcp_stream stream(ex);
    stream.expires_after(deadline);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    co_return co_await request(stream, url, deadline);
  }
  beast::ssl_stream<beast::tcp_stream> stream(ex, tls);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    throw boost::system::system_error(static_cast<int>(::ERR_get_error()),
                                      asio::error::get_ssl_category());
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::get_lowest_layer(stream).expires_after(deadline);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
  beast::get_lowest_layer(stream).expires_after(deadline);
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  co_return co_await request(stream, url, deadline);
}

std::string listen_on(asio::ip::tcp::acceptor& acceptor, const std::string& addr,
                      bool& bad_address) {
  bad_address = true;
  const std::size_t colon = addr.rfind(':');
  std::uint16_t port = 0;
  const char* p = addr.data() + (colon == std::string::npos ? 0 : colon + 1);
  const auto r = std::from_chars(p, addr.data() + addr.size(), port);
  if (colon == std::string::npos || r.ec != std::errc() || r.ptr != addr.data() + addr.size()) {
    return "expected HOST:PORT or :PORT, got '" + addr + "'";
  }
  std::string host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  const auto ip = host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                               : asio::ip::make_address(host, ec);
  if (ec) return "bad address '" + host + "'";
  bad_address = false;
  const asio::ip::tcp::endpoint at(ip, port);
  acceptor.open(at.protocol(), ec);
  if (!ec) acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec && host.empty()) acceptor.set_option(asio::ip::v6_only(false), ec);
  if (!ec) acceptor.bind(at, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + addr + ": " + ec.message();
  return {};
}

}  // namespace ot::net
