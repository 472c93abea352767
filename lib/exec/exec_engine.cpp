#include "exec/exec_engine.h"

#include <fmt/format.h>

#include <deque>

#include "core/event_tally.h"

namespace ot {

namespace {
constexpr EventTypes kMarket = {EventType::book,   EventType::trade, EventType::order,
                                EventType::cancel, EventType::amend, EventType::exec};
constexpr EventTypes kOrders = {EventType::order, EventType::cancel, EventType::amend,
                                EventType::exec};
}  // namespace

ExecEngine::ExecEngine(Gateway& gateway, LineSink& out, Diagnostics& diag)
    : gateway_(gateway),
      out_(out),
      diag_(diag),
      decoder_(gateway.takes_market_data() ? kMarket : kOrders),
      encoder_(capture_),
      journal_encoder_(capture_, false) {
  gateway_.set_listener(*this);
}

std::string ExecEngine::where(std::string_view source, std::uint64_t line_number) const {
  return line_number > 0 ? fmt::format("{}:{}", source, line_number) : std::string(source);
}

Result<> ExecEngine::open_journal(const std::string& path, bool sync) {
  // The last reports journaled: the ones that may not have reached a
  // deduplicating endpoint before a kill (at most the publisher's unacked
  // window) are sent again, and those that did are dropped there by id.
  std::deque<std::string> tail;
  Result<> opened = journal_.open(path, sync, [&](std::string_view line, std::uint64_t number) {
    if (auto decoded = decoder_.decode(line, ev_); !decoded) {
      diag_.warning(fmt::format("{}:{}", path, number), decoded.error().message());
      return;
    }
    if (ev_.kind == EventType::order) {
      if (used_.insert(ev_.order.id)) tracker_.add(ev_.order);
    } else if (ev_.kind == EventType::exec) {
      if (ev_.exec.seq && *ev_.exec.seq > seq_) seq_ = *ev_.exec.seq;
      if (tracker_.find(ev_.exec.id) != nullptr) tracker_.apply(ev_.exec);
      if (tail.size() == kRepublish) tail.pop_front();
      tail.emplace_back(line);
    }
  });
  if (!opened) return opened;
  for (LineSink* sink : {&out_, fills_}) {
    if (sink == nullptr || !sink->deduplicates()) continue;
    for (const std::string& line : tail) sink->write_line({}, line);
  }
  for (const TrackedOrder* o : tracker_.open_orders()) {
    gateway_.restore(*o);
    ++stats_.restored;
  }
  if (stats_.restored > 0 || used_.size() > 0) {
    diag_.warning(path, fmt::format("journal: {} orders known, {} open restored, last seq {}",
                                    used_.size(), stats_.restored, seq_));
  }
  return {};
}

void ExecEngine::journal(std::string_view line) {
  if (!journal_.is_open()) return;
  if (!journal_.append(line) && fatal_.empty()) fatal_ = journal_.error();
}

bool ExecEngine::process_line(std::string_view line, std::string_view source,
                              std::uint64_t line_number) {
  ++stats_.lines;
  if (is_blank(line)) return true;
  if (auto decoded = decoder_.decode(line, ev_); !decoded) {
    ++stats_.malformed;
    diag_.error(where(source, line_number), decoded.error().message());
    // An order, cancel or amend that could not be read is answered by id.
    if (auto request = request_in(ev_)) refuse(*request, decoded.error().message());
    return false;
  }
  switch (ev_.kind) {
    case EventType::book:
      last_ts_ = std::max(last_ts_, ev_.book.recv != 0 ? ev_.book.recv : ev_.book.ts.value_or(0));
      gateway_.on_book(ev_.book);
      break;
    case EventType::trade:
      last_ts_ =
          std::max(last_ts_, ev_.trade.recv != 0 ? ev_.trade.recv : ev_.trade.ts.value_or(0));
      gateway_.on_trade(ev_.trade);
      break;
    case EventType::order:
      do_submit(ev_.order, line, where(source, line_number));
      return true;
    case EventType::cancel:
      do_cancel(ev_.cancel, line, where(source, line_number));
      return true;
    case EventType::amend:
      do_amend(ev_.amend, line, where(source, line_number));
      return true;
    case EventType::exec:
      // A report from upstream (a risk reject): on to the strategy.
      publish(ev_.exec, true);
      return true;
    default:
      break;
  }
  pass_on(out_, ev_, line);
  return true;
}

void ExecEngine::submit(const Order& o, std::string_view w) { do_submit(o, {}, w); }
void ExecEngine::cancel(const Cancel& c, std::string_view w) { do_cancel(c, {}, w); }
void ExecEngine::amend(const Amend& a, std::string_view w) { do_amend(a, {}, w); }

void ExecEngine::journal_event(std::string_view line, const auto& event) {
  if (!journal_.is_open()) return;
  if (!line.empty()) return journal(line);
  journal_encoder_.write(event);
  journal(capture_.line_);
}

void ExecEngine::refuse(const Order& request, std::string_view reason) {
  ++stats_.refused;
  publish(refusal(tracker_, request, reason, last_ts_), true);
}

void ExecEngine::do_submit(Order o, std::string_view line, std::string_view w) {
  if (o.ts == 0) o.ts = last_ts_;
  last_ts_ = std::max(last_ts_, o.ts);
  if (auto problem = order_problem(o); !problem.empty()) {
    diag_.warning(w, fmt::format("order {}: {}; not sent", o.id.substr(0, 64), problem));
    return refuse(o, problem);
  }
  if (!used_.insert(o.id)) {
    ++stats_.duplicate_orders;
    const TrackedOrder* t = tracker_.find(o.id);
    const std::string why = fmt::format(
        "client order id already used ({}); not sent again",
        t != nullptr ? "state " + std::string(to_string(t->status)) : "an order final long ago");
    diag_.warning(w, fmt::format("order {}: {}", o.id, why));
    return refuse(o, why);
  }
  tracker_.add(o);
  ++stats_.orders;
  if (ack_latency_ != nullptr) {
    if (sent_at_.size() >= kKeepFinal) sent_at_.clear();  // reports that never came
    sent_at_.insert_or_assign(std::string(o.id), mono_ns());
  }
  journal_event(line, o);
  gateway_.submit(o);
}

std::string_view ExecEngine::unknown_id(std::string_view id) const {
  return used_.contains(id) ? "the order was final long ago" : "unknown client order id";
}

void ExecEngine::do_cancel(Cancel c, std::string_view line, std::string_view w) {
  ++stats_.cancels;
  if (tracker_.find(c.id) == nullptr) {
    diag_.warning(w, fmt::format("cancel {}: {}", c.id, unknown_id(c.id)));
    return refuse(request_of(c), fmt::format("cancel: {}", unknown_id(c.id)));
  }
  if (c.ts == 0) c.ts = last_ts_;
  journal_event(line, c);
  gateway_.cancel(c);
}

void ExecEngine::do_amend(Amend a, std::string_view line, std::string_view w) {
  ++stats_.amends;
  const TrackedOrder* t = tracker_.find(a.id);
  if (t == nullptr) {
    diag_.warning(w, fmt::format("amend {}: {}", a.id, unknown_id(a.id)));
    return refuse(request_of(a), fmt::format("amend: {}", unknown_id(a.id)));
  }
  // The order as it would be after the amend must be one that can be sent.
  if (auto problem = order_problem(amended(*t, a)); !problem.empty()) {
    const std::string why = fmt::format("amend rejected: {}", problem);
    diag_.warning(w, fmt::format("amend {}: {}", a.id, why));
    return refuse(request_of(a), why);
  }
  if (a.ts == 0) a.ts = last_ts_;
  journal_event(line, a);
  gateway_.amend(a);
}

void ExecEngine::finish() {
  if (const std::size_t n = gateway_.finish()) {
    diag_.warning("", fmt::format("end of input with requests still on their way to the venue: "
                                  "{} (orders among them expired)",
                                  n));
  }
}

void ExecEngine::publish(const Exec& e, bool to_journal) {
  Exec copy = e;
  copy.seq = ++seq_;
  const bool journaled = to_journal && journal_.is_open();
  if (!journaled && fills_ == nullptr && out_.discards() && !(report_listener_ && report_lines_)) {
    if (report_listener_) report_listener_(copy, {});
    return;
  }
  encoder_.write(copy);
  if (journaled) journal(capture_.line_);
  out_.write_line(capture_.topic_, capture_.line_);
  if (fills_ != nullptr) fills_->write_line(capture_.topic_, capture_.line_);
  if (report_listener_)
    report_listener_(copy, report_lines_ ? std::string_view(capture_.line_) : std::string_view());
}

void ExecEngine::on_exec(const Exec& e) {
  auto r = tracker_.apply(e);
  if (r.kind == OrderTracker::Applied::duplicate) return;
  if (r.kind == OrderTracker::Applied::refused) {
    ++stats_.refused_reports;
    diag_.warning(e.venue, fmt::format("report for {} ignored: {}", e.id, r.reason));
    return;
  }
  ++stats_.reports;
  if (ack_latency_ != nullptr) {
    if (auto it = sent_at_.find(std::string(e.id)); it != sent_at_.end()) {
      ack_latency_->observe_ns(mono_ns() - it->second);
      sent_at_.erase(it);
    }
  }
  if (e.qty && e.qty->mantissa > 0) ++stats_.fills;
  // The venue's terms after an amend.
  if (r.order != nullptr && r.order->open()) {
    tracker_.amend(e.id, add(e.filled, e.leaves), e.order_price);
  }
  publish(e, true);
}

void ExecEngine::on_venue_status(const Status& s) {
  encoder_.on_status(s);
  out_.write_line(capture_.topic_, capture_.line_);
  if (fills_ != nullptr) fills_->write_line(capture_.topic_, capture_.line_);
}

}  // namespace ot
