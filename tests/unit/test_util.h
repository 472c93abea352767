// Helpers shared by the unit tests.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/diagnostics.h"
#include "core/event_encoder.h"
#include "core/events.h"
#include "core/orders.h"
#include "core/result.h"

namespace ot::test {

// Data files live in tests/data (OT_TEST_DATA is set by CMake).
inline std::string data_path(const std::string& name) {
  return std::string(OT_TEST_DATA) + "/" + name;
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A fresh directory under /tmp, removed with everything in it.
struct TempDir {
  TempDir() {
    char t[] = "/tmp/ot-test-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

// The value of a result that must hold one (else the test fails with its
// error).
template <class T>
T must(Result<T> r) {
  if (!r) FAIL(r.error().message());
  return std::move(r).value();
}

// A decimal from text that is known to be one.
inline Decimal dec(const char* s) { return *Decimal::parse(s); }

// A limit order on the paper venue at price 1 (views into `id`).
inline Order paper_order(std::string_view id, const char* qty) {
  Order o;
  o.id = id;
  o.venue = "paper";
  o.symbol = "X";
  o.qty = dec(qty);
  o.price = dec("1");
  return o;
}

// Keeps every line written to it.
struct Lines final : LineSink {
  void write_line(std::string_view, std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

// Keeps every message, as "where: message".
struct Quiet final : Diagnostics {
  void error(std::string_view w, std::string_view m) override {
    errors.push_back(std::string(w) + ": " + std::string(m));
  }
  void warning(std::string_view w, std::string_view m) override {
    warnings.push_back(std::string(w) + ": " + std::string(m));
  }
  std::vector<std::string> errors, warnings;
};

// A frame with the 64 bytes of padding the parsers may read.
struct Padded {
  explicit Padded(std::string s) : text(std::move(s)), size(text.size()) { text.append(64, '\0'); }
  std::string_view view() const { return {text.data(), size}; }
  std::string text;
  std::size_t size;
};

struct OwnedBook {
  std::string venue, symbol;
  bool snapshot = false;
  std::optional<std::int64_t> first_seq, seq, prev_seq, checksum;
  std::optional<Nanos> ts;
  std::vector<std::pair<std::string, std::string>> bids, asks;
};

// Records what a parser emits, owning copies.
class Recorder final : public EventListener {
 public:
  void on_book(const BookUpdate& u) override {
    OwnedBook b{std::string(u.venue),
                std::string(u.symbol),
                u.snapshot,
                u.first_seq,
                u.seq,
                u.prev_seq,
                u.checksum,
                u.ts,
                {},
                {}};
    for (auto& l : u.bids) b.bids.emplace_back(l.price, l.qty);
    for (auto& l : u.asks) b.asks.emplace_back(l.price, l.qty);
    books.push_back(std::move(b));
  }
  void on_trade(const Trade& t) override {
    trades.push_back({std::string(t.symbol), std::string(t.price), std::string(t.qty),
                      t.side == Side::buy ? "buy" : "sell", std::string(t.id)});
  }
  void on_quote(const Quote& q) override {
    quotes.push_back({std::string(q.symbol), std::string(q.bid), std::string(q.bid_qty),
                      std::string(q.ask), std::string(q.ask_qty)});
  }
  void on_ticker(const Ticker& t) override {
    std::vector<std::string> f;
    for (auto v : t.fields) f.emplace_back(v);
    tickers.push_back({std::string(t.symbol), f});
  }
  void on_status(const Status& s) override {
    statuses.push_back({std::string(s.symbol), std::string(s.event)});
  }
  std::vector<OwnedBook> books;
  std::vector<std::vector<std::string>> trades, quotes;
  std::vector<std::pair<std::string, std::vector<std::string>>> tickers;
  std::vector<std::pair<std::string, std::string>> statuses;
};

// Builds a BookUpdate view over owned levels.
struct BookBuilder {
  std::vector<PriceLevel> bids, asks;
  BookUpdate u;
  BookUpdate& make(std::string_view venue, std::string_view symbol, bool snapshot,
                   std::vector<PriceLevel> b, std::vector<PriceLevel> a) {
    bids = std::move(b);
    asks = std::move(a);
    u = BookUpdate{};
    u.venue = venue;
    u.symbol = symbol;
    u.snapshot = snapshot;
    u.bids = bids;
    u.asks = asks;
    return u;
  }
};

}  // namespace ot::test
