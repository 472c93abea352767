#include "train/torch_dqn.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "strat/common.h"
#include "strat/learned.h"
#include "train/torch_net.h"

namespace ot::train {

namespace {
constexpr int kActions = 3;  // short, flat, long
constexpr int kTarget[kActions] = {-1, 0, 1};
}  // namespace

struct DqnTrainer::Impl {
  Impl(const DatasetOptions& d, const FeatureStats& s, const FitOptions& f, const RlOptions& r,
       Decimal max_pos, std::size_t total)
      : data(d),
        stats(s),
        fit(f),
        rl(r),
        total_steps(std::max<std::size_t>(total, 1)),
        rng(f.seed),
        max_position(max_pos) {
    torch::manual_seed(f.seed);
    torch::set_num_threads(std::max(1, f.threads));
    inputs = s.mean.size();
    net = make_net(inputs, f.hidden, kActions);
    target = make_net(inputs, f.hidden, kActions);
    sync_target();
    opt = std::make_unique<torch::optim::Adam>(net->parameters(),
                                               torch::optim::AdamOptions(f.lr).weight_decay(f.l2));
  }

  void sync_target() {
    torch::NoGradGuard no_grad;
    auto from = net->parameters();
    auto to = target->parameters();
    for (std::size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
  }

  double epsilon() const {
    const double span = rl.explore * static_cast<double>(total_steps);
    const double f = span > 0 ? std::min(1.0, static_cast<double>(steps) / span) : 1.0;
    return 1.0 - (1.0 - rl.eps_end) * f;
  }

  int choose(const std::vector<float>& s) {
    std::uniform_real_distribution<double> u(0, 1);
    if (u(rng) < epsilon()) return static_cast<int>(rng() % kActions);
    torch::NoGradGuard no_grad;
    const torch::Tensor q = net->forward(as_tensor(s, inputs));
    return static_cast<int>(q.argmax(1).item<std::int64_t>());
  }

  void remember(const std::vector<float>& s, int a, double r, const std::vector<float>& next) {
    if (size < rl.replay) {
      states.resize((size + 1) * inputs);
      nexts.resize((size + 1) * inputs);
      actions.push_back(0);
      rewards.push_back(0);
      ++size;
    }
    const std::size_t at = head;
    std::copy(s.begin(), s.end(), states.begin() + static_cast<std::ptrdiff_t>(at * inputs));
    std::copy(next.begin(), next.end(), nexts.begin() + static_cast<std::ptrdiff_t>(at * inputs));
    actions[at] = a;
    rewards[at] = static_cast<float>(r);
    head = (head + 1) % rl.replay;
  }

  // One learning step on a sampled batch; its loss (0 before warmup).
  double learn() {
    ++steps;
    if (steps % static_cast<std::size_t>(std::max(1, rl.target_every)) == 0) sync_target();
    if (size < std::max(rl.warmup, fit.batch)) return 0;
    const std::size_t n = fit.batch;
    std::vector<float> s(n * inputs), s2(n * inputs), r(n);
    std::vector<std::int64_t> a(n);
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = rng() % size;
      std::copy_n(states.begin() + static_cast<std::ptrdiff_t>(i * inputs), inputs,
                  s.begin() + static_cast<std::ptrdiff_t>(k * inputs));
      std::copy_n(nexts.begin() + static_cast<std::ptrdiff_t>(i * inputs), inputs,
                  s2.begin() + static_cast<std::ptrdiff_t>(k * inputs));
      a[k] = actions[i];
      r[k] = rewards[i];
    }
    const torch::Tensor ts = as_tensor(s, inputs), ts2 = as_tensor(s2, inputs);
    const torch::Tensor ta =
        torch::from_blob(a.data(), {static_cast<std::int64_t>(n), 1}, torch::kInt64).clone();
    const torch::Tensor tr = as_tensor(r, 1);
    torch::Tensor y;
    {
      torch::NoGradGuard no_grad;
      const torch::Tensor next_a = net->forward(ts2).argmax(1, true);
      y = tr + rl.gamma * target->forward(ts2).gather(1, next_a);
    }
    opt->zero_grad();
    torch::Tensor loss = torch::smooth_l1_loss(net->forward(ts).gather(1, ta), y);
    loss.backward();
    opt->step();
    return loss.item<double>();
  }

  DatasetOptions data;
  FeatureStats stats;
  FitOptions fit;
  RlOptions rl;
  std::size_t total_steps, inputs = 0, steps = 0;
  std::mt19937_64 rng;
  torch::nn::Sequential net{nullptr}, target{nullptr};
  std::unique_ptr<torch::optim::Adam> opt;
  Decimal max_position;
  // The replay memory: a ring of transitions.
  std::vector<float> states, nexts, rewards;
  std::vector<int> actions;
  std::size_t size = 0, head = 0;
};

namespace {

// The agent in the backtest: acts every step of the clock.
class Agent final : public Strategy {
 public:
  Agent(DqnTrainer::Impl& t, EpisodeStats& out)
      : t_(t), out_(out), tap_(t.data.features), x_(t.inputs), s_(t.inputs), prev_s_(t.inputs) {
    warmup_ = t.data.warmup >= 0 ? t.data.warmup : features::longest_window(t.data.features);
  }

  std::string_view name() const override { return "rl"; }
  void params(Params& p) override {
    p.add("venue", venue_, "venue of the instrument");
    p.add("symbol", symbol_, "instrument to trade");
  }
  bool wants_depth() const override { return tap_.wants_depth(); }

  void on_top(const TopOfBookEvent& e, StrategyContext& ctx) override {
    if (!strat::is_for(e.venue, e.symbol, venue_, symbol_)) return;
    if (venue_.empty()) venue_ = e.venue;
    top_.update(e);
    tap_.on_top(e, ctx);
    if (!start_) {
      start_ = ctx.now();
      ctx.set_timer(strat::next_tick(ctx.now(), t_.data.step));
    }
  }
  void on_trade(const Trade& tr, StrategyContext&) override {
    if (strat::is_for(tr.venue, tr.symbol, venue_, symbol_)) tap_.on_trade(tr);
  }
  void on_bar(const Candle& k, StrategyContext&) override {
    if (strat::is_for(k.venue, k.symbol, venue_, symbol_)) tap_.on_bar(k);
  }
  void on_exec(const Exec& e, StrategyContext&) override {
    tap_.on_exec(e);
    if ((e.status != ExecStatus::partial && e.status != ExecStatus::filled) || !e.qty || !e.price) {
      return;
    }
    const double notional = e.qty->to_double() * e.price->to_double();
    cash_ += e.side == Side::buy ? -notional : notional;
    if (e.fee) cash_ -= e.fee->to_double();
  }

  void on_timer(Nanos now, StrategyContext& ctx) override {
    ctx.set_timer(strat::next_tick(now, t_.data.step));
    if (!top_.valid || !tap_.features().ready() || now - *start_ < warmup_) return;
    tap_.features().compute(now, x_);
    for (std::size_t j = 0; j < x_.size(); ++j) {
      // As learn::Forward normalises when the model is served.
      s_[j] = static_cast<float>((x_[j] - t_.stats.mean[j]) / t_.stats.scale[j]);
    }
    const double mid = top_.mid(), max_pos = t_.max_position.to_double();
    const double pos = ctx.position(venue_, symbol_).to_double();
    const double equity = cash_ + pos * mid;
    if (acted_) {
      const double r = (equity - prev_equity_) / (mid * max_pos) * 1e4 -
                       t_.rl.inventory_penalty * (pos / max_pos) * (pos / max_pos);
      t_.remember(prev_s_, prev_a_, r, s_);
      out_.reward += r;
      out_.loss += t_.learn();
      ++out_.steps;
    }
    const int a = t_.choose(s_);
    const Decimal target = kTarget[a] == 0  ? Decimal{0, t_.max_position.scale}
                           : kTarget[a] > 0 ? t_.max_position
                                            : negate(t_.max_position);
    trader_.trade_to(ctx, venue_, symbol_, target, top_);
    prev_s_ = s_;
    prev_a_ = a;
    prev_equity_ = equity;
    acted_ = true;
  }

 private:
  DqnTrainer::Impl& t_;
  EpisodeStats& out_;
  strat::FeatureTap tap_;
  strat::Top top_;
  strat::TargetTrader trader_;
  std::string venue_, symbol_;
  std::vector<double> x_;
  std::vector<float> s_, prev_s_;
  int prev_a_ = 1;
  double cash_ = 0, prev_equity_ = 0;
  bool acted_ = false;
  std::optional<Nanos> start_;  // the first event of its instrument
  Nanos warmup_ = 0;
};

}  // namespace

DqnTrainer::DqnTrainer(const DatasetOptions& data, const FeatureStats& stats, const FitOptions& fit,
                       const RlOptions& rl, Decimal max_position, std::size_t total_steps)
    : impl_(std::make_unique<Impl>(data, stats, fit, rl, max_position, total_steps)) {}

DqnTrainer::~DqnTrainer() = default;

std::unique_ptr<Strategy> DqnTrainer::make_agent(EpisodeStats& out) {
  return std::make_unique<Agent>(*impl_, out);
}

std::vector<learn::Layer> DqnTrainer::layers() const { return export_layers(impl_->net); }

}  // namespace ot::train
