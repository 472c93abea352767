// An L2 book guarded by its venue's integrity rules: sequence continuity
// (the uniform seq / prev_seq / first_seq fields of man/ot-events.7) and the
// venue checksum where there is one. A break marks the book invalid; it stays
// invalid, and applies nothing, until the next snapshot.
//
// Sequence rules, for a delta arriving when the book ended at `last`:
//   - prev_seq present:  continuous iff prev_seq == last
//   - else first_seq:    continuous iff first_seq == last + 1
//   - right after a snapshot (Binance), a delta that straddles it is
//     accepted: first_seq <= last + 1 < seq + 1.
//   - a valid book never goes back: a delta with seq <= last (and
//     prev_seq, if any, below its seq) is stale and dropped without harm, and
//     so is a snapshot with seq <= last. That keeps one consistent book from
//     a stream merged from redundant feed handlers, whose snapshots come at
//     different sequence numbers (man/ot-transports.7).
//   - a book suspended by an upstream status (suspend()) drops a snapshot
//     with seq < last, and takes one at last or beyond, or a delta that
//     links to last. A book that is otherwise invalid takes any snapshot.
//   - books without sequence numbers (OKX before seqId) are ordered by the
//     venue's time instead, the same way; a valid book also drops a delta
//     older than its last update.
// Threading: not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "book/l2_book.h"
#include "core/events.h"
#include "venues/venue.h"

namespace ot {

enum class BookState { awaiting_snapshot, valid, invalid };

struct ApplyResult {
  enum Kind {
    applied,            // the book changed (or a snapshot was loaded)
    stale,              // an old delta, dropped; the book is still valid
    ignored,            // the book is not valid; nothing applied
    gap,                // sequence break: book now invalid
    checksum_mismatch,  // book now invalid
    bad_level,          // a level was not a decimal: book now invalid
  };
  Kind kind = applied;
  std::string detail;  // for gap, checksum_mismatch and bad_level
};

class CheckedBook {
 public:
  // `track_levels` false keeps only the sequence state (no L2 book, no
  // checksum): enough for a feed that only has to notice gaps.
  explicit CheckedBook(BookRules rules, bool track_levels = true)
      : rules_(rules), track_levels_(track_levels) {
    // Checksums run over the venue's strings: keep them rather than format.
    if (rules_.checksum != nullptr && track_levels_) book_.keep_text(true);
  }

  ApplyResult apply(const BookUpdate& u);
  // Marks the book invalid until the next snapshot (the feed lost its line
  // and will resync).
  void invalidate() {
    state_ = BookState::invalid;
    suspended_ = false;
  }
  // Marks the book invalid because the feed upstream said it lost sync or
  // its line. Unlike a break the book saw itself, its own chain is intact up
  // to last_seq(): a delta that links to it (prev_seq == last, or
  // first_seq == last + 1; from another handler, in a merged stream) makes
  // it valid again, as a snapshot does.
  void suspend() {
    if (state_ == BookState::valid) state_ = BookState::invalid, suspended_ = true;
  }

  BookState state() const { return state_; }
  bool valid() const { return state_ == BookState::valid; }
  const L2Book& book() const { return book_; }
  std::optional<std::int64_t> last_seq() const { return last_seq_; }
  // The venue's time of the last update applied (or the snapshot's).
  std::optional<Nanos> last_ts() const { return last_ts_; }
  // Checksums verified so far (matches only).
  std::uint64_t checksums_verified() const { return checksums_ok_; }

 private:
  bool apply_levels(const BookUpdate& u);
  bool links(const BookUpdate& u) const;   // continues the chain at last_seq_
  bool behind(const BookUpdate& u) const;  // a stale view the book has passed
  ApplyResult verify_checksum(const BookUpdate& u);

  BookRules rules_;
  bool track_levels_;
  L2Book book_;
  BookState state_ = BookState::awaiting_snapshot;
  std::optional<std::int64_t> last_seq_;
  std::optional<Nanos> last_ts_;  // the venue's time of the last update
  bool just_snapshotted_ = false;
  bool suspended_ = false;  // invalid by an upstream status, chain intact
  std::uint64_t checksums_ok_ = 0;
  std::string arena_bids_, arena_asks_;
  std::vector<PriceLevel> top_bids_, top_asks_;
};

}  // namespace ot
