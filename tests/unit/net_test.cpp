// Venue networking (lib/net): HMAC signing and the HTTP client.
#include "net/net.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "net/busy_poll.h"
#include "net/client.h"
#include "net/crypto.h"
#include "test_util.h"

using ot::Decimal;
using namespace ot::test;

TEST_CASE("HMAC-SHA256 with kept key states equals OpenSSL's one-shot HMAC", "[net][sign]") {
  // RFC 4231 test case 6: a key longer than the block is hashed first.
  const std::string long_key(131, '\xaa');
  CHECK(ot::net::hmac_sha256_hex(long_key,
                                 "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // RFC 4231 test case 2, then case 6 again: the kept state follows the key.
  CHECK(ot::net::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(ot::net::hmac_sha256_hex(long_key,
                                 "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string key(rng() % 3 == 0 ? rng() % 130 : 64, '\0'), data(rng() % 300, '\0');
    for (char& c : key) c = static_cast<char>(rng());
    for (char& c : data) c = static_cast<char>(rng());
    unsigned char want[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), want, &n);
    char hex[65];
    for (unsigned k = 0; k < 32; ++k) std::snprintf(hex + 2 * k, 3, "%02x", want[k]);
    CHECK(ot::net::hmac_sha256_hex(key, data) == hex);
  }
}

TEST_CASE("The venue HTTP client writes plain HTTP/1.1 and refuses forged headers", "[net][http]") {
  namespace asio = boost::asio;
  using asio::ip::tcp;
  using namespace std::chrono_literals;
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto url =
      ot::net::parse_url("http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()));
  REQUIRE(url);
  std::vector<std::string> seen;  // each request as the server read it
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
        std::string in;
        for (int answered = 0; answered < 2;) {
          char chunk[4096];
          in.append(chunk, co_await s.async_read_some(asio::buffer(chunk), asio::use_awaitable));
          const auto head = in.find("\r\n\r\n");
          if (head == std::string::npos) continue;
          const auto cl = in.find("Content-Length: ");
          const std::size_t body = cl < head ? std::stoul(in.substr(cl + 16)) : 0;
          if (in.size() < head + 4 + body) continue;
          seen.push_back(in.substr(0, head + 4 + body));
          in.erase(0, head + 4 + body);
          const std::string res =
              "HTTP/1.1 200 OK\r\nX-Mbx-Used-Weight-1m: 7\r\nContent-Length: 2\r\n\r\n{}";
          co_await asio::async_write(s, asio::buffer(res), asio::use_awaitable);
          ++answered;
        }
      },
      asio::detached);
  asio::ssl::context tls(asio::ssl::context::tls_client);
  ot::net::HttpClient client(io.get_executor(), *url, tls);
  std::vector<ot::net::Response> got;
  bool refused = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        ot::net::Headers h;
        h.emplace_back("X-MBX-APIKEY", "k");
        got.push_back(co_await client.request("GET", "/fapi/v1/time", h, "", 5s));
        ot::net::Headers forged;
        forged.emplace_back("X-MBX-APIKEY", "k\r\nX-Evil: 1");
        try {
          co_await client.request("POST", "/fapi/v1/order", forged, "", 5s);
        } catch (const boost::system::system_error& e) {
          refused = e.code() == asio::error::invalid_argument;
        }
        got.push_back(co_await client.request("POST", "/api/v5/trade/order", h, "{\"a\":1}", 5s));
      },
      asio::detached);
  io.run_for(10s);
  REQUIRE(got.size() == 2);
  CHECK(refused);
  REQUIRE(seen.size() == 2);  // the forged request sent nothing
  CHECK(seen[0] ==
        "GET /fapi/v1/time HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: optitrade/0.1\r\n"
        "X-MBX-APIKEY: k\r\n\r\n");
  CHECK(seen[1] ==
        "POST /api/v5/trade/order HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: optitrade/0.1\r\n"
        "X-MBX-APIKEY: k\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  CHECK(got[0].status == 200);
  CHECK(got[0].body == "{}");
  CHECK(got[0].header("x-mbx-used-weight-1m") == "7");
}

TEST_CASE("A spinning loop hands its idle turns to another source", "[net][busy]") {
  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);  // a program's sockets, always there
  int idle = 0, handlers = 0;
  ot::net::run_spinning(ioc, [&] {
    // Each idle turn posts one handler; the loop runs it, then turns idle
    // again; the tenth idle turn ends the run.
    if (++idle == 10) {
      ioc.stop();
    } else {
      boost::asio::post(ioc, [&] { ++handlers; });
    }
  });
  CHECK(idle == 10);
  CHECK(handlers == 9);
}
