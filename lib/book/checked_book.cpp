#include "book/checked_book.h"

#include <string>

namespace ot {

bool CheckedBook::apply_levels(const BookUpdate& u) {
  if (!track_levels_) return true;
  for (const auto& l : u.bids) {
    if (!book_.apply(BookSide::bid, l)) return false;
  }
  for (const auto& l : u.asks) {
    if (!book_.apply(BookSide::ask, l)) return false;
  }
  return true;
}

ApplyResult CheckedBook::verify_checksum(const BookUpdate& u) {
  if (rules_.checksum == nullptr || !u.checksum || !track_levels_) return {};
  const auto depth = static_cast<std::size_t>(rules_.checksum_depth);
  book_.top_text(BookSide::bid, depth, arena_bids_, top_bids_);
  book_.top_text(BookSide::ask, depth, arena_asks_, top_asks_);
  const std::int64_t mine = rules_.checksum(top_bids_, top_asks_);
  if (mine == *u.checksum) {
    ++checksums_ok_;
    return {};
  }
  state_ = BookState::invalid;
  std::string detail = "checksum mismatch";
  if (u.seq) detail += " at seq " + std::to_string(*u.seq);
  detail += " (venue " + std::to_string(*u.checksum) + ", book " + std::to_string(mine) + ")";
  return {ApplyResult::checksum_mismatch, std::move(detail)};
}

bool CheckedBook::links(const BookUpdate& u) const {
  if (!last_seq_ || !u.seq) return false;
  if (u.prev_seq) return *u.prev_seq == *last_seq_;
  return u.first_seq && *u.first_seq == *last_seq_ + 1;
}

// A book whose chain is intact (valid, or suspended by an upstream status)
// never goes back: a snapshot behind it is a view of a moment it has passed
// (another feed handler's, in a merged stream), and so is one at its very
// position while it is valid; at that position a suspended book takes it, as
// a confirmation. Without sequence numbers (OKX before seqId) the venue's
// time orders them, and a valid book also drops a delta older than its last.
bool CheckedBook::behind(const BookUpdate& u) const {
  const bool valid = state_ == BookState::valid;
  if (!valid && !suspended_) return false;
  if (last_seq_ && u.seq) {
    return u.snapshot && (*u.seq < *last_seq_ || (valid && *u.seq == *last_seq_));
  }
  if (last_seq_ || u.seq || !u.ts || !last_ts_) return false;
  if (u.snapshot) return *u.ts < *last_ts_ || (valid && *u.ts == *last_ts_);
  return valid && *u.ts < *last_ts_;
}

ApplyResult CheckedBook::apply(const BookUpdate& u) {
  if (behind(u)) return {ApplyResult::stale, {}};
  if (u.snapshot) {
    suspended_ = false;
    book_.clear();
    last_seq_ = u.seq;
    last_ts_ = u.ts;
    just_snapshotted_ = true;
    if (!apply_levels(u)) {
      state_ = BookState::invalid;
      return {
          ApplyResult::bad_level,
          "snapshot has a bad level (not a decimal, a price not above 0, or a negative quantity)"};
    }
    state_ = BookState::valid;
    ApplyResult r = verify_checksum(u);
    return r;
  }
  if (state_ != BookState::valid) {
    if (!suspended_ || !links(u)) return {ApplyResult::ignored, {}};
    state_ = BookState::valid;  // the chain goes on unbroken
    suspended_ = false;
  }

  if (last_seq_ && u.seq) {
    const std::int64_t last = *last_seq_;
    bool continuous;
    if (*u.seq <= last && (!u.prev_seq || *u.prev_seq < *u.seq)) {
      // A forward step the book has already taken (a copy, or one a newer
      // snapshot covers). A delta numbered below its own prev_seq is the
      // venue restarting its sequence: that is a gap, below.
      return {ApplyResult::stale, {}};
    } else if (just_snapshotted_ && u.first_seq) {
      // Straddles the snapshot, or (futures) already links to it by prev_seq.
      continuous = *u.first_seq <= last + 1 || (u.prev_seq && *u.prev_seq == last);
    } else if (u.prev_seq) {
      continuous = *u.prev_seq == last;
    } else if (u.first_seq) {
      continuous = *u.first_seq == last + 1;
    } else {
      continuous = true;
    }
    if (!continuous) {
      state_ = BookState::invalid;
      std::string detail = "sequence gap: expected ";
      if (u.prev_seq) {
        detail += "prev_seq " + std::to_string(last) + ", got " + std::to_string(*u.prev_seq);
      } else {
        detail += "first_seq " + std::to_string(last + 1) + ", got " +
                  std::to_string(u.first_seq.value_or(-1));
      }
      return {ApplyResult::gap, std::move(detail)};
    }
  }
  if (!apply_levels(u)) {
    state_ = BookState::invalid;
    return {ApplyResult::bad_level,
            "bad level (not a decimal, a price not above 0, or a negative quantity)"};
  }
  if (u.seq) last_seq_ = u.seq;
  if (u.ts) last_ts_ = u.ts;
  just_snapshotted_ = false;
  return verify_checksum(u);
}

}  // namespace ot
