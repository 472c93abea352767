// Keeps a feed's books in sync with the venue before events leave ot-feed.
// Sits between a venue parser and the encoder (an EventListener decorator):
//   - Binance-style venues (BookRules::needs_rest_snapshot): deltas are
//     buffered until a snapshot arrives; stale ones are dropped, the rest
//     replayed in order; a snapshot older than the buffer, or any later break
//     in U/u/pu, asks the session for a fresh snapshot.
//   - Venues that resync by resubscribing (OKX, Deribit): a sequence break
//     or a checksum mismatch asks the session to resubscribe the book.
// Until a book is back in sync its deltas are withheld, so what leaves the
// feed always applies cleanly. Each break emits a `status` gap (or
// checksum_mismatch); the return to sync emits `resync`.
//
// Threading: single-threaded; the SyncActions callbacks are called from
// within on_book.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "book/checked_book.h"
#include "core/events.h"
#include "core/string_map.h"
#include "venues/venue.h"

namespace ot {

// What the guard asks of the live session; replay ignores both and waits
// for the next snapshot in the data.
class SyncActions {
 public:
  virtual ~SyncActions() = default;
  virtual void request_snapshot(std::string_view symbol) = 0;
  virtual void resubscribe(std::string_view symbol) = 0;
};

struct SyncStats {
  std::uint64_t gaps = 0;
  std::uint64_t checksum_mismatches = 0;
  std::uint64_t checksums_verified = 0;
  std::uint64_t withheld = 0;    // deltas not forwarded while out of sync
  std::uint64_t bad_levels = 0;  // updates refused for a level that is not a valid one
};

class BookSyncGuard final : public EventListener {
 public:
  BookSyncGuard(BookRules rules, EventListener& out, SyncActions* actions);
  ~BookSyncGuard() override;

  void on_book(const BookUpdate& u) override;
  void on_trade(const Trade& t) override { out_.on_trade(t); }
  void on_quote(const Quote& q) override { out_.on_quote(q); }
  void on_ticker(const Ticker& t) override { out_.on_ticker(t); }
  void on_status(const Status& s) override { out_.on_status(s); }

  // The connection dropped: every book must resync. Emits nothing.
  void reset_all();
  // Whether an update since the last call was refused for a bad level (a
  // price or quantity that is not a decimal, a price not above zero, a
  // negative quantity): the frame that carried it is a bad frame, to be
  // reported and counted like one. `detail` says which book and why.
  bool take_error(std::string& detail);
  SyncStats stats() const;
  // Books in sync now (a snapshot applied and no gap since).
  std::size_t in_sync() const;

 private:
  struct SymbolState;
  SymbolState& state(std::string_view symbol);
  void lost_sync(SymbolState& st, const BookUpdate& u, std::string_view event,
                 const std::string& detail);
  bool forward(SymbolState& st, const BookUpdate& u);

  BookRules rules_;
  EventListener& out_;
  SyncActions* actions_;
  // Transparent hashing: lookups by string_view, no temporary strings.
  StringMap<std::unique_ptr<SymbolState>> symbols_;
  // The last symbol looked up (a view of its key in symbols_, which never
  // moves) and its state: consecutive updates are usually for one symbol.
  RecentKeys<SymbolState> recent_;  // the last few symbols looked up
  SyncStats stats_;
  std::string error_;  // the last bad level's detail, until taken
};

}  // namespace ot
