#include "book/book_engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/event_tally.h"
#include "core/json_out.h"
#include "venues/venue.h"

namespace ot {
namespace {

void decimal_field(std::string& buf, std::string_view key, const Decimal& d) {
  buf.append(",\"").append(key).append("\":\"");
  char tmp[Decimal::kMaxChars];
  buf.append(tmp, d.to_chars(tmp));
  buf.push_back('"');
}

__int128 rescaled(const Decimal& d, int scale) {
  __int128 m = d.mantissa;
  for (int s = d.scale; s < scale; ++s) m *= 10;
  return m;
}

// Rounds num/den half away from zero.
__int128 div_round(__int128 num, __int128 den) {
  if (den < 0) num = -num, den = -den;
  __int128 q = num / den;
  __int128 r = num % den;
  if (2 * (r < 0 ? -r : r) >= den) q += num < 0 ? -1 : 1;
  return q;
}

std::string fixed_text(__int128 m, int scale) {
  char tmp[64];
  return std::string(tmp, format_fixed(tmp, m, scale));
}

bool same(const std::optional<Decimal>& a, const std::optional<Decimal>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->mantissa == b->mantissa && a->scale == b->scale);
}

}  // namespace

DerivedFigures derive(const Decimal& bid, const Decimal& bid_qty, const Decimal& ask,
                      const Decimal& ask_qty) {
  DerivedFigures d;
  const int ps = std::max(bid.scale, ask.scale);
  const __int128 b = rescaled(bid, ps);
  const __int128 a = rescaled(ask, ps);
  const __int128 sum = a + b;
  if (sum % 2 == 0 || ps == 18) {
    d.mid = Decimal{static_cast<std::int64_t>(sum / 2), ps};
  } else {
    d.mid = Decimal{static_cast<std::int64_t>(sum * 5), ps + 1};
  }
  d.spread = Decimal{static_cast<std::int64_t>(a - b), ps};
  const int qs = std::max(bid_qty.scale, ask_qty.scale);
  const __int128 bq = rescaled(bid_qty, qs);
  const __int128 aq = rescaled(ask_qty, qs);
  const __int128 total = bq + aq;
  const int out_scale = std::min(ps + 2, 18);
  __int128 scale_up = 1;
  for (int s = ps; s < out_scale; ++s) scale_up *= 10;
  if (total > 0) {
    d.microprice = fixed_text(div_round((b * aq + a * bq) * scale_up, total), out_scale);
    d.imbalance = fixed_text(div_round((bq - aq) * 1'000'000, total), 6);
  } else {
    d.microprice = fixed_text(div_round((a + b) * scale_up, 2), out_scale);
    d.imbalance = "0.000000";
  }
  return d;
}

BookEngine::BookEngine(BookEngineOptions options, LineSink& out, Diagnostics& diag)
    : options_(options), out_(out), diag_(diag), encoder_(out) {
  line_.reserve(1 << 16);
}

const BookEngineStats& BookEngine::stats() const {
  stats_.checksums_verified = 0;
  for (const auto& [k, e] : books_) stats_.checksums_verified += e->book.checksums_verified();
  return stats_;
}

BookEngine::Entry* BookEngine::entry(std::string_view venue, std::string_view symbol) {
  if (Entry* e = recent_.find(venue, symbol)) return latest_ = e;
  key_.assign(venue).push_back('\0');
  key_.append(symbol);
  auto it = books_.find(key_);
  if (it == books_.end()) {
    if (options_.max_books > 0 && books_.size() >= options_.max_books) return nullptr;
    const Venue* v = find_venue(venue);
    auto e =
        std::make_unique<Entry>(Entry{std::string(venue),
                                      std::string(symbol),
                                      CheckedBook(v != nullptr ? v->book_rules() : BookRules{}),
                                      {},
                                      0,
                                      0,
                                      0,
                                      0});
    it = books_.emplace(key_, std::move(e)).first;
  }
  return latest_ = recent_.put(venue, symbol, it->second.get());
}

const BookEngine::Entry* BookEngine::find(std::string_view venue, std::string_view symbol) const {
  if (const Entry* e = recent_.find(venue, symbol)) return e;
  key_.assign(venue).push_back('\0');
  key_.append(symbol);
  auto it = books_.find(std::string_view(key_));
  return it == books_.end() ? nullptr : recent_.put(venue, symbol, it->second.get());
}

bool BookEngine::process_line(std::string_view line, std::string_view where) {
  return process_line(line, where, 0);
}

bool BookEngine::process_line(std::string_view line, std::string_view source,
                              std::uint64_t line_number) {
  place_.set(source, line_number);
  ++stats_.lines;
  if (is_blank(line)) return true;
  const std::size_t b = line.find_first_not_of(" \t"), e = line.find_last_not_of(" \t") + 1;
  if (line[b] != '{' || line[e - 1] != '}') {
    ++stats_.malformed;
    diag_.error(place_.text(), "malformed event: not a JSON object");
    return false;
  }
  if (auto decoded = decoder_.decode(line, decoded_); !decoded) {
    ++stats_.malformed;
    diag_.error(place_.text(), decoded.error().message());
    return false;
  }
  if (decoded_.type == "book") {
    on_book(decoded_.book, line);
  } else {
    // The upstream event first, then what it does to the books.
    pass_on(out_, decoded_, line);
    if (decoded_.type == "status") on_status(decoded_.status);
  }
  return true;
}

void BookEngine::on_status(const Status& s) {
  // An upstream gap, checksum mismatch or disconnect means the book cannot
  // be trusted until a snapshot, or a delta that links to its own chain
  // (another feed handler's, in a merged stream). A session-wide disconnect
  // (no symbol) concerns every book of the venue.
  if (s.event != "gap" && s.event != "book_invalid" && s.event != "checksum_mismatch" &&
      s.event != "disconnected") {
    return;
  }
  const std::string detail = "upstream " + std::string(s.event);
  if (!s.symbol.empty()) {
    Entry* e = entry(s.venue, s.symbol);
    if (e != nullptr && e->book.valid()) {
      e->book.suspend();
      emit_status(*e, s.ts, "book_invalid", detail);
    }
    return;
  }
  std::vector<Entry*> hit;
  for (auto& [key, e] : books_) {
    if (e->venue == s.venue && e->book.valid()) hit.push_back(e.get());
  }
  std::sort(hit.begin(), hit.end(),
            [](const Entry* a, const Entry* b) { return a->symbol < b->symbol; });
  for (Entry* e : hit) {
    e->book.suspend();
    emit_status(*e, s.ts, "book_invalid", detail);
  }
}

void BookEngine::emit_status(const Entry& e, Nanos ts, std::string_view event,
                             std::string_view detail) {
  Status s;
  s.venue = e.venue;
  s.symbol = e.symbol;
  s.ts = ts;
  s.event = event;
  s.detail = detail;
  encoder_.on_status(s);
}

void BookEngine::on_book(const BookUpdate& u, std::string_view line) {
  ++stats_.book_updates;
  if (options_.pass_book && !line.empty()) {
    out_.write_line("book", line);
    tally_out(EventType::book, u.venue);
  }
  Entry* found = entry(u.venue, u.symbol);
  if (found == nullptr) {
    ++stats_.over_cap;
    diag_.error(place_.text(),
                fmt::format("{} {}: more than {} books (--max-books); update dropped", u.venue,
                            u.symbol, options_.max_books));
    return;
  }
  Entry& e = *found;
  const bool was_valid = e.book.valid();
  ApplyResult r = e.book.apply(u);
  e.ts = u.ts.value_or(u.recv);
  e.recv = u.recv;
  const Nanos when = e.ts;
  switch (r.kind) {
    case ApplyResult::applied:
      break;
    case ApplyResult::stale:
    case ApplyResult::ignored:
      return;
    case ApplyResult::gap:
    case ApplyResult::checksum_mismatch:
    case ApplyResult::bad_level: {
      if (r.kind == ApplyResult::gap) ++stats_.gaps;
      if (r.kind == ApplyResult::checksum_mismatch) ++stats_.checksum_mismatches;
      if (r.kind == ApplyResult::bad_level) ++stats_.bad_levels;
      const std::string what =
          e.venue + " " + e.symbol + ": " + r.detail + " (book marked invalid)";
      diag_.error(place_.text(), what);
      emit_status(e, when,
                  r.kind == ApplyResult::gap                 ? "gap"
                  : r.kind == ApplyResult::checksum_mismatch ? "checksum_mismatch"
                                                             : "error",
                  r.detail);
      if (was_valid || u.snapshot) emit_status(e, when, "book_invalid", "awaiting snapshot");
      return;
    }
  }
  if (!was_valid) {
    emit_status(e, when, "book_valid",
                u.snapshot ? std::string_view("snapshot") : std::string_view("linked"));
  }
  ++e.applied;
  // A book that just became valid always says what its top is, empty or not.
  if (options_.emit_bbo || top_listener_) emit_bbo(e, !was_valid);
  if (options_.depth_levels > 0) emit_depth(e);
  if (options_.book_every > 0 && e.applied % options_.book_every == 0) emit_book(e);
}

void BookEngine::emit_bbo(Entry& e, bool always) {
  const L2Book& book = e.book.book();
  TopOfBook top;
  if (auto b = book.best(BookSide::bid)) top.bid = b->price, top.bid_qty = b->qty;
  if (auto a = book.best(BookSide::ask)) top.ask = a->price, top.ask_qty = a->qty;
  if (!always && same(top.bid, e.last_top.bid) && same(top.bid_qty, e.last_top.bid_qty) &&
      same(top.ask, e.last_top.ask) && same(top.ask_qty, e.last_top.ask_qty)) {
    return;
  }
  e.last_top = top;
  if (top_listener_) {
    TopOfBookEvent t;
    t.venue = e.venue;
    t.symbol = e.symbol;
    t.ts = e.ts;
    t.recv = e.recv;
    if (top.bid) t.bid = *top.bid, t.bid_qty = *top.bid_qty, t.has_bid = true;
    if (top.ask) t.ask = *top.ask, t.ask_qty = *top.ask_qty, t.has_ask = true;
    top_listener_(t);
  }
  if (!options_.emit_bbo) return;
  line_.clear();
  JsonOut j(line_);
  j.begin_object();
  j.field("type", "bbo");
  j.field("venue", e.venue);
  j.field("symbol", e.symbol);
  j.field("ts", e.ts);
  j.field("recv", e.recv);
  // An empty side is null: known to be empty, not unknown.
  if (top.bid) {
    decimal_field(line_, "bid", *top.bid), decimal_field(line_, "bid_qty", *top.bid_qty);
  } else {
    line_.append(",\"bid\":null,\"bid_qty\":null");
  }
  if (top.ask) {
    decimal_field(line_, "ask", *top.ask), decimal_field(line_, "ask_qty", *top.ask_qty);
  } else {
    line_.append(",\"ask\":null,\"ask_qty\":null");
  }
  if (top.bid && top.ask) {
    DerivedFigures d = derive(*top.bid, *top.bid_qty, *top.ask, *top.ask_qty);
    decimal_field(line_, "mid", d.mid);
    decimal_field(line_, "spread", d.spread);
    line_.append(",\"microprice\":\"").append(d.microprice).append("\"");
    line_.append(",\"imbalance\":\"").append(d.imbalance).append("\"");
  }
  line_.push_back('}');
  topic_.clear();
  if (out_.wants_topic()) topic_.append("bbo.").append(e.venue).append(".").append(e.symbol);
  out_.write_line(topic_, line_);
  tally_out(EventType::bbo, e.venue);
}

void BookEngine::emit_depth(Entry& e) {
  const L2Book& book = e.book.book();
  const auto n = static_cast<std::size_t>(options_.depth_levels);
  // FNV-1a over the top levels: emit only when they changed.
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::int64_t v) { h = (h ^ static_cast<std::uint64_t>(v)) * 1099511628211ULL; };
  book.top(BookSide::bid, n, top_bids_);
  book.top(BookSide::ask, n, top_asks_);
  for (const auto* side : {&top_bids_, &top_asks_}) {
    mix(static_cast<std::int64_t>(side->size()));
    for (const Level& l : *side) {
      mix(l.price.mantissa), mix(l.price.scale), mix(l.qty.mantissa), mix(l.qty.scale);
    }
  }
  if (h == e.depth_hash) return;
  e.depth_hash = h;
  line_.clear();
  JsonOut j(line_);
  j.begin_object();
  j.field("type", "depth");
  j.field("venue", e.venue);
  j.field("symbol", e.symbol);
  j.field("ts", e.ts);
  j.field("recv", e.recv);
  char tmp[Decimal::kMaxChars];
  for (const auto* side : {&top_bids_, &top_asks_}) {
    j.key(side == &top_bids_ ? "bids" : "asks");
    j.begin_array();
    for (const Level& l : *side) {
      j.begin_array();
      j.string(std::string_view(tmp, l.price.to_chars(tmp)));
      j.string(std::string_view(tmp, l.qty.to_chars(tmp)));
      j.end_array();
    }
    j.end_array();
  }
  j.end_object();
  topic_.clear();
  if (out_.wants_topic()) topic_.append("depth.").append(e.venue).append(".").append(e.symbol);
  out_.write_line(topic_, line_);
  tally_out(EventType::depth, e.venue);
}

void BookEngine::emit_book(const Entry& e) {
  if (!e.book.valid()) return;
  const L2Book& book = e.book.book();
  std::string arena_b, arena_a;
  std::vector<PriceLevel> bids, asks;
  book.top_text(BookSide::bid, book.depth(BookSide::bid), arena_b, bids);
  book.top_text(BookSide::ask, book.depth(BookSide::ask), arena_a, asks);
  BookUpdate u;
  u.venue = e.venue;
  u.symbol = e.symbol;
  u.ts = e.ts;
  u.recv = e.recv;
  u.snapshot = true;
  u.seq = e.book.last_seq();
  u.bids = bids;
  u.asks = asks;
  encoder_.on_book(u);
}

void BookEngine::emit_all_books() {
  std::vector<const Entry*> all;
  for (const auto& [k, e] : books_) all.push_back(e.get());
  std::sort(all.begin(), all.end(), [](const Entry* a, const Entry* b) {
    return a->venue != b->venue ? a->venue < b->venue : a->symbol < b->symbol;
  });
  for (const Entry* e : all) emit_book(*e);
}

}  // namespace ot
