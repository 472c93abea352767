// The engine behind ot-book: consumes event lines, keeps a CheckedBook per
// venue and symbol, and writes bbo / depth / book events and integrity
// status events; every other event passes through unchanged, in order.
//
// Threading: single-threaded. Output lines go to the LineSink synchronously,
// diagnostics to the Diagnostics listener (the engine never prints).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "book/checked_book.h"
#include "core/diagnostics.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "core/string_map.h"

namespace ot {

struct BookEngineOptions {
  bool emit_bbo = false;
  int depth_levels = 0;          // --emit depth=N (0 = off)
  std::uint64_t book_every = 0;  // --emit book=N: full book every N updates (0 = off)
  bool book_at_end = false;      // full books at end of input (--emit book with no N)
  bool pass_book = false;        // also pass the input book events through
  // Books kept at most (--max-books); updates for an instrument beyond them
  // are reported and dropped. 0: no cap.
  std::size_t max_books = 100000;
};

struct BookEngineStats {
  std::uint64_t lines = 0;
  std::uint64_t malformed = 0;
  std::uint64_t book_updates = 0;
  std::uint64_t gaps = 0;
  std::uint64_t bad_levels = 0;  // updates refused for a level that is not a valid one
  std::uint64_t checksum_mismatches = 0;
  std::uint64_t checksums_verified = 0;
  std::uint64_t over_cap = 0;  // book updates dropped: max_books reached
};

// Derived top-of-book figures, as exact decimal text.
struct TopOfBook {
  std::optional<Decimal> bid, bid_qty, ask, ask_qty;
};

class BookEngine {
 public:
  BookEngine(BookEngineOptions options, LineSink& out, Diagnostics& diag);

  // Processes one line (followed by kLinePadding readable bytes). `where`
  // names the line for messages ("<stdin>:12"). Returns false if the line was
  // malformed; it has then been reported and skipped.
  bool process_line(std::string_view line, std::string_view where);
  // The same, naming the line by source and number; the "source:N" text is
  // only built when there is something to report.
  bool process_line(std::string_view line, std::string_view source, std::uint64_t line_number);

  // Writes the full book of every valid book as `book` snapshot events.
  void emit_all_books();

  // Fused use (one process, no lines in between): a book event as a struct,
  // and the top of book handed on as a struct on every change (besides, or
  // instead of, `bbo` lines).
  void apply(const BookUpdate& u) { on_book(u, {}); }
  // Fused use: a status event as a struct (a gap or disconnect invalidates
  // the books it names until their next snapshot).
  void apply_status(const Status& s) { on_status(s); }
  void set_top_listener(std::function<void(const TopOfBookEvent&)> fn) {
    top_listener_ = std::move(fn);
  }

  const BookEngineStats& stats() const;

  struct Entry {
    std::string venue;
    std::string symbol;
    CheckedBook book;
    TopOfBook last_top;
    std::uint64_t depth_hash = 0;
    std::uint64_t applied = 0;
    Nanos ts = 0, recv = 0;
  };
  // Book most recently updated (for the ladder); nullptr before any book.
  const Entry* latest() const { return latest_; }
  const Entry* find(std::string_view venue, std::string_view symbol) const;

 private:
  // The instrument's book, made on first use; nullptr past max_books.
  Entry* entry(std::string_view venue, std::string_view symbol);
  void on_book(const BookUpdate& u, std::string_view line);
  void on_status(const Status& s);
  void emit_status(const Entry& e, Nanos ts, std::string_view event, std::string_view detail);
  // Writes the top of book if it changed (or `always`).
  void emit_bbo(Entry& e, bool always);
  void emit_depth(Entry& e);
  void emit_book(const Entry& e);

  BookEngineOptions options_;
  LineSink& out_;
  Diagnostics& diag_;
  EventDecoder decoder_;
  DecodedEvent decoded_;
  EventEncoder encoder_;
  LinePlace place_;          // the line being processed, for messages
  mutable std::string key_;  // scratch "venue\0symbol" for look-ups
  std::string line_;
  std::string topic_;
  std::vector<Level> top_bids_, top_asks_;
  StringMap<std::unique_ptr<Entry>> books_;
  Entry* latest_ = nullptr;
  mutable RecentKeys<Entry> recent_;
  std::function<void(const TopOfBookEvent&)> top_listener_;
  mutable BookEngineStats stats_;
};

// Mid, spread, microprice and imbalance for a two-sided top of book.
struct DerivedFigures {
  Decimal mid, spread;
  std::string microprice;  // price scale + 2 decimals, rounded half away
  std::string imbalance;   // (bid_qty - ask_qty) / (bid_qty + ask_qty), 6 decimals
};
DerivedFigures derive(const Decimal& bid, const Decimal& bid_qty, const Decimal& ask,
                      const Decimal& ask_qty);

}  // namespace ot
