// Clients for the venues' private APIs: a kept-alive HTTP/1.1 connection
// for signed REST requests (one request at a time, in order; reconnects as
// needed) and a WebSocket client for private streams. Both plain (http://,
// ws://, for ot-sim) or TLS with SNI and host name verification.
//
// Threading: use from the io_context's thread only (coroutines).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/net.h"

namespace ot::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Response {
  unsigned status = 0;
  std::string body;
  Headers headers;  // names lower-case
  std::string header(std::string_view name) const;
};

// What HttpClient::request throws when the request certainly did not leave
// this host: the connection or the TLS handshake (certificate verification
// included) failed, or the request was refused before sending. An order
// behind it can be reported rejected; after any other failure it may have
// reached the venue.
struct NotSent : boost::system::system_error {
  using boost::system::system_error::system_error;
};

class HttpClient {
 public:
  HttpClient(boost::asio::any_io_executor ex, Url base, boost::asio::ssl::context& tls);
  ~HttpClient();
  // `method` is GET, POST, PUT or DELETE; `target` the path and query;
  // `deadline` bounds the connection (if one is made) and then the request
  // and its response together. Throws boost::system::system_error on a
  // network failure (the connection is dropped; the next request
  // reconnects), as NotSent when nothing was sent: connecting failed, or a
  // line break in the method, target or a header (invalid_argument).
  boost::asio::awaitable<Response> request(std::string_view method, const std::string& target,
                                           const Headers& headers, const std::string& body,
                                           std::chrono::milliseconds deadline);
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class WsClient {
 public:
  WsClient(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls);
  ~WsClient();
  // Connects to `url` (its target is the path), with a deadline.
  boost::asio::awaitable<void> connect(const Url& url, std::chrono::milliseconds deadline);
  // The next text message (pings are answered underneath).
  boost::asio::awaitable<std::string> read();
  boost::asio::awaitable<void> write(const std::string& text);
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ot::net
