#include "chain/fused_chain.h"

namespace ot {

FusedChain::FusedChain(Gateway& venue, FusedChainOptions options, Diagnostics& diag)
    : venue_(venue),
      venue_sees_market_(options.venue_sees_market),
      diag_(diag),
      rejects_([this](std::string_view l) { exec_->process_line(l, "risk", 0); }),
      book_out_([this](std::string_view l) {
        if (l.starts_with("{\"type\":\"status\"")) {
          for (auto& r : runners_) r->process_line(l, "book", 0);
        }
      }) {
  exec_ = std::make_unique<ExecEngine>(venue_, null_, diag_);
  venue_.set_listener(*exec_);
  exec_->set_report_listener([this](const Exec& e, std::string_view) { on_report(e); }, false);
  risk_ = std::make_unique<RiskEngine>(std::move(options.limits), rejects_, diag_);
  book_ = std::make_unique<BookEngine>(options.book, book_out_, diag_);
  book_->set_top_listener([this](const TopOfBookEvent& t) {
    if (warming_) return;
    if (hold_top_) {
      held_top_ = t;  // handed on once the venue has seen the same update
    } else {
      deliver_top(t);
    }
  });
}

FusedChain::~FusedChain() = default;

StrategyRunner& FusedChain::add_strategy(Strategy& strategy, const RunnerOptions& options) {
  runners_.push_back(std::make_unique<StrategyRunner>(strategy, null_, diag_, options));
  StrategyRunner& runner = *runners_.back();
  runner.set_order_sink(this);
  if (strategy.wants_depth()) {
    // The chain's own book, as of the event being handled.
    runner.set_depth_source([this](std::string_view venue, std::string_view symbol,
                                   std::size_t levels, std::vector<Level>& bids,
                                   std::vector<Level>& asks) {
      const BookEngine::Entry* e = book_->find(venue, symbol);
      if (e == nullptr || !e->book.valid()) return false;
      e->book.book().top(BookSide::bid, levels, bids);
      e->book.book().top(BookSide::ask, levels, asks);
      return true;
    });
  }
  return runner;
}

void FusedChain::start() {
  for (auto& r : runners_) r->start();
}

void FusedChain::stop() {
  for (auto& r : runners_) r->stop();
}

void FusedChain::on_book(const BookUpdate& u) {
  if (!venue_sees_market_ || !venue_.takes_market_data()) return book_->apply(u);
  hold_top_ = true;
  book_->apply(u);
  hold_top_ = false;
  venue_.on_book(u);
  if (held_top_) {
    const TopOfBookEvent t = *held_top_;
    held_top_.reset();
    deliver_top(t);
  }
}

void FusedChain::on_bar(const Candle& k) {
  for (auto& r : runners_) r->on_bar(k);
}

void FusedChain::warm_book(const BookUpdate& u) {
  warming_ = true;
  book_->apply(u);
  warming_ = false;
  if (venue_.takes_market_data()) venue_.on_book(u);
}

void FusedChain::on_trade(const Trade& t) {
  if (venue_sees_market_ && venue_.takes_market_data()) venue_.on_trade(t);
  for (auto& r : runners_) r->on_trade(t);
}

void FusedChain::on_status(const Status& s) {
  book_->apply_status(s);
  for (auto& r : runners_) r->on_status(s);
}

void FusedChain::on_top(const TopOfBookEvent& t) { deliver_top(t); }

void FusedChain::deliver_top(const TopOfBookEvent& t) {
  risk_->on_top_of_book(t);
  if (top_fn_) top_fn_(t);
  for (auto& r : runners_) r->on_top(t);
}

void FusedChain::run_timers(Nanos t, Nanos not_before) {
  for (;;) {
    StrategyRunner* due = nullptr;
    for (auto& r : runners_) {
      if (r->timer() && *r->timer() <= t && (!due || *r->timer() < *due->timer())) due = r.get();
    }
    if (!due) return;
    const Nanos at = std::max(*due->timer(), not_before);
    exec_->poll(at);
    due->advance(at);
  }
}

void FusedChain::on_order(const Order& o) {
  if (order_fn_) order_fn_(o);
  if (risk_->approve(o)) exec_->submit(o);
}

void FusedChain::on_cancel(const Cancel& c) { exec_->cancel(c); }

void FusedChain::on_amend(const Amend& a) { exec_->amend(a); }

void FusedChain::on_report(const Exec& e) {
  if (draining_) {
    reports_.emplace_back(e);
    return;
  }
  draining_ = true;
  handle_report(e);
  while (!reports_.empty()) {
    OwnedExec r = std::move(reports_.front());
    reports_.pop_front();
    r.bind();
    handle_report(r.exec);
  }
  draining_ = false;
}

void FusedChain::handle_report(const Exec& e) {
  for (auto& runner : runners_) runner->on_feedback(e);
  risk_->on_feedback(e);
  if (report_fn_) report_fn_(e);
}

}  // namespace ot
