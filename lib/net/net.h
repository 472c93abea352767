// Networking helpers over Boost.Asio/Beast shared by the live feed and the
// simulator: URL parsing, TLS client contexts, one-shot HTTP GET.
#pragma once

#include <boost/asio/awaitable.hpp>
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

// GET `url` (its target) with a deadline on every step. Throws
// boost::system::system_error on network failure.
boost::asio::awaitable<HttpResponse> http_get(const Url& url, boost::asio::ssl::context& tls,
                                              std::chrono::seconds deadline);

}  // namespace ot::net
