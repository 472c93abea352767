#include "backtest/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/json_out.h"

namespace ot {

namespace {

constexpr double kYear = 365.0 * 86400 * 1e9;

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == 0) return "0";
  return fmt::format("{:.10g}", v);
}

void append_string(std::string& s, std::string_view v) {
  s += '"';
  append_escaped(s, v);
  s += '"';
}

}  // namespace

void summarize(const BacktestConfig& c, const Params& params, const Ledger& ledger,
               const PositionBook& positions, Nanos end, BacktestResult& r) {
  std::vector<double> rets;
  for (std::size_t i = 1; i < r.equity.size(); ++i) {
    rets.push_back((r.equity[i].equity - r.equity[i - 1].equity) / c.capital);
  }
  double mean = 0, var = 0, down = 0;
  for (double x : rets) mean += x;
  if (!rets.empty()) mean /= static_cast<double>(rets.size());
  for (double x : rets) {
    var += (x - mean) * (x - mean);
    down += std::min(x, 0.0) * std::min(x, 0.0);
  }
  const double n = static_cast<double>(rets.size());
  const double sd = n > 1 ? std::sqrt(var / (n - 1)) : 0;
  const double dd = n > 0 ? std::sqrt(down / n) : 0;
  const Nanos bar = ledger.bar();
  const double per_year = bar > 0 ? kYear / static_cast<double>(bar) : 0;
  const double sharpe = sd > 0 ? mean / sd * std::sqrt(per_year) : 0;
  const double sortino = dd > 0 ? mean / dd * std::sqrt(per_year) : 0;
  double max_dd = 0;
  for (const auto& p : r.equity) max_dd = std::max(max_dd, p.drawdown);
  const double total = ledger.pnl();
  double realized = 0, unrealized = 0;
  for (const PositionState* p : positions.all()) {
    realized += p->realized.to_double();
    unrealized += p->unrealized().to_double();
  }
  const LedgerTotals& t = ledger.totals();
  r.metrics = {{"pnl", total},
               {"return", total / c.capital},
               {"sharpe", sharpe},
               {"sortino", sortino},
               {"max_drawdown", max_dd},
               {"fills", static_cast<double>(t.fills)},
               {"orders", static_cast<double>(t.orders)},
               {"volume", t.volume},
               {"fees", t.fees.to_double()},
               {"funding", t.funding},
               {"realized", realized},
               {"unrealized", unrealized},
               {"turnover", t.volume / c.capital},
               {"win_rate", t.closing_fills > 0
                                ? static_cast<double>(t.wins) / static_cast<double>(t.closing_fills)
                                : 0},
               {"avg_holding_s", t.holding_qty > 0 ? t.holding_sum / t.holding_qty / 1e9 : 0},
               {"events", static_cast<double>(r.events)}};

  std::string s = "{\"strategy\":";
  append_string(s, c.strategy);
  s += ",\"params\":{";
  bool first = true;
  for (const auto& e : params.entries()) {
    if (!c.symbols.empty() && e.name == "symbol") continue;
    if (!first) s += ',';
    append_string(s, e.name);
    s += ':';
    append_string(s, params.get(e));
    first = false;
  }
  s += "}";
  if (!c.symbols.empty()) {
    s += ",\"symbols\":[";
    for (std::size_t i = 0; i < c.symbols.size(); ++i) {
      if (i) s += ',';
      append_string(s, c.symbols[i]);
    }
    s += "]";
  }
  s += fmt::format(",\"start\":{},\"end\":{}", ledger.start(), end);
  for (const auto& [k, v] : r.metrics) s += ",\"" + k + "\":" + json_number(v);
  s += ",\"positions\":{";
  first = true;
  for (const auto& [name, qty] : ledger.positions()) {
    if (!first) s += ',';
    append_string(s, name);
    s += ':';
    append_string(s, qty);
    first = false;
  }
  s += "}}";
  r.summary = std::move(s);
}

}  // namespace ot
