// Networking helpers over Boost.Asio/Beast shared by the live feed, the
// simulator and the servers: URL parsing, TLS client contexts, one-shot
// HTTP GET, listening on HOST:PORT.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ot::net {

struct Url {
  bool tls = false;  // wss:// or https://
  std::string host;
  std::string port;
  std::string target;  // path and query, "/" if empty
};

// Parses ws://, wss://, http:// and https:// URLs; nullopt otherwise.
std::optional<Url> parse_url(const std::string& text);

// A TLS client context with peer verification against the system store and,
// when `ca_file` is non-empty, that certificate too.
boost::asio::ssl::context make_client_tls(const std::string& ca_file);

struct HttpResponse {
  unsigned status = 0;
  std::string body;
};

// Opens `acceptor` listening on `addr`: "HOST:PORT", "[IPV6]:PORT", or
// ":PORT" for every interface (IPv4 and IPv6); port 0 takes a free one.
// Returns what went wrong, empty on success; `bad_address` tells a
// malformed address (a usage error) from a failure to listen.
std::string listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& addr,
                      bool& bad_address);

// GET `url` (its target) with a deadline on every step. Throws
// boost::system::system_error on network failure.
boost::asio::awaitable<HttpResponse> http_get(const Url& url, boost::asio::ssl::context& tls,
                                              std::chrono::seconds deadline);

}  // namespace ot::net
