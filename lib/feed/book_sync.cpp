#include "feed/book_sync.h"

#include <deque>

#include "core/owned_events.h"

namespace ot {

struct BookSyncGuard::SymbolState {
  explicit SymbolState(BookRules r) : book(r, r.checksum != nullptr) {}
  CheckedBook book;
  std::deque<std::unique_ptr<OwnedMarketEvent>> buffer;  // deltas
  bool waiting = true;                                   // no snapshot applied yet, or lost sync
  bool requested = false;  // a snapshot / resubscription was asked for
  bool ever_synced = false;
};

namespace {
constexpr std::size_t kMaxBuffered = 10000;
}

BookSyncGuard::BookSyncGuard(BookRules rules, EventListener& out, SyncActions* actions)
    : rules_(rules), out_(out), actions_(actions) {}

BookSyncGuard::~BookSyncGuard() = default;

BookSyncGuard::SymbolState& BookSyncGuard::state(std::string_view symbol) {
  if (SymbolState* st = recent_.find({}, symbol)) return *st;
  auto it = symbols_.find(symbol);
  if (it == symbols_.end()) {
    it = symbols_.emplace(std::string(symbol), std::make_unique<SymbolState>(rules_)).first;
  }
  return *recent_.put({}, symbol, it->second.get());
}

void BookSyncGuard::reset_all() {
  for (auto& [sym, st] : symbols_) {
    st->book.invalidate();
    st->waiting = true;
    st->requested = false;
    st->buffer.clear();
  }
}

std::size_t BookSyncGuard::in_sync() const {
  std::size_t n = 0;
  for (const auto& [sym, st] : symbols_) n += st->waiting ? 0 : 1;
  return n;
}

SyncStats BookSyncGuard::stats() const {
  SyncStats s = stats_;
  for (const auto& [sym, st] : symbols_) s.checksums_verified += st->book.checksums_verified();
  return s;
}

bool BookSyncGuard::take_error(std::string& detail) {
  if (error_.empty()) return false;
  detail.swap(error_);
  error_.clear();
  return true;
}

void BookSyncGuard::lost_sync(SymbolState& st, const BookUpdate& u, std::string_view event,
                              const std::string& detail) {
  Status s;
  s.venue = u.venue;
  s.symbol = u.symbol;
  s.ts = u.recv;
  s.event = event;
  s.detail = detail;
  out_.on_status(s);
  st.waiting = true;
  st.requested = false;
  st.buffer.clear();
  if (actions_ != nullptr) {
    if (rules_.needs_rest_snapshot)
      actions_->request_snapshot(u.symbol);
    else
      actions_->resubscribe(u.symbol);
    st.requested = true;
  }
}

// Applies a delta or snapshot; forwards it if it keeps the book in sync.
bool BookSyncGuard::forward(SymbolState& st, const BookUpdate& u) {
  ApplyResult r = st.book.apply(u);
  switch (r.kind) {
    case ApplyResult::applied:
      out_.on_book(u);
      return true;
    case ApplyResult::stale:
    case ApplyResult::ignored:
      return true;
    case ApplyResult::gap:
      ++stats_.gaps;
      lost_sync(st, u, "gap", r.detail);
      return false;
    case ApplyResult::checksum_mismatch:
      ++stats_.checksum_mismatches;
      lost_sync(st, u, "checksum_mismatch", r.detail);
      return false;
    case ApplyResult::bad_level:
      ++stats_.bad_levels;
      error_.assign(u.venue).append(" ").append(u.symbol).append(": ").append(r.detail);
      error_.append(" (book invalid until the next snapshot)");
      lost_sync(st, u, "error", r.detail);
      return false;
  }
  return false;
}

void BookSyncGuard::on_book(const BookUpdate& u) {
  SymbolState& st = state(u.symbol);
  if (!st.waiting) {
    forward(st, u);
    return;
  }
  if (!u.snapshot) {
    ++stats_.withheld;
    if (rules_.needs_rest_snapshot) {
      if (st.buffer.size() >= kMaxBuffered) st.buffer.pop_front();
      st.buffer.push_back(std::make_unique<OwnedMarketEvent>(u));
      if (actions_ != nullptr && !st.requested) {
        actions_->request_snapshot(u.symbol);
        st.requested = true;
      }
    }
    return;
  }
  // A snapshot while waiting.
  const std::int64_t snap_seq = u.seq.value_or(0);
  while (!st.buffer.empty() && st.buffer.front()->book().seq.value_or(0) <= snap_seq) {
    st.buffer.pop_front();
  }
  if (!st.buffer.empty() && st.buffer.front()->book().first_seq &&
      *st.buffer.front()->book().first_seq > snap_seq + 1) {
    // The snapshot predates the buffered deltas: ask again, keep the buffer.
    Status s{u.venue, u.symbol, u.recv, "gap",
             "snapshot older than buffered updates; fetching another"};
    out_.on_status(s);
    ++stats_.gaps;
    if (actions_ != nullptr) actions_->request_snapshot(u.symbol);
    return;
  }
  st.waiting = false;
  st.requested = false;
  if (!forward(st, u)) return;  // a bad snapshot: waiting again
  if (st.ever_synced) {
    Status s{u.venue, u.symbol, u.recv, "resync", "book resynchronized from snapshot"};
    out_.on_status(s);
  }
  st.ever_synced = true;
  auto buffered = std::move(st.buffer);
  st.buffer.clear();
  for (auto& b : buffered) {
    if (!forward(st, b->book())) break;
  }
}

}  // namespace ot
