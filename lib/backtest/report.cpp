#include "backtest/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "store/store.h"

namespace ot {
namespace {

const char* const kMetricNames[] = {"pnl",          "return",   "sharpe",        "sortino",
                                    "max_drawdown", "fills",    "orders",        "volume",
                                    "fees",         "funding",  "realized",      "unrealized",
                                    "turnover",     "win_rate", "avg_holding_s", "events"};

const char* const kColors[] = {"#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// At most ~2 points per pixel column: min and max of each bucket, in order.
std::vector<std::pair<Nanos, double>> thin(const std::vector<std::pair<Nanos, double>>& pts,
                                           std::size_t buckets) {
  if (pts.size() <= 2 * buckets) return pts;
  std::vector<std::pair<Nanos, double>> out;
  const std::size_t per = (pts.size() + buckets - 1) / buckets;
  for (std::size_t i = 0; i < pts.size(); i += per) {
    const std::size_t end = std::min(pts.size(), i + per);
    auto lo = i, hi = i;
    for (std::size_t j = i; j < end; ++j) {
      if (pts[j].second < pts[lo].second) lo = j;
      if (pts[j].second > pts[hi].second) hi = j;
    }
    out.push_back(pts[std::min(lo, hi)]);
    if (lo != hi) out.push_back(pts[std::max(lo, hi)]);
  }
  return out;
}

std::string time_label(Nanos t, Nanos span) {
  const std::string iso = format_time(t);  // 2022-05-13T16:27:05.507000000Z
  if (span > 2 * 86'400'000'000'000LL) return iso.substr(0, 10);
  if (span > 600'000'000'000LL) return iso.substr(11, 5);
  return iso.substr(11, 8);
}

Result<> write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) return Error(ErrorCode::io_error, "cannot write " + path);
  return {};
}

}  // namespace

AxisTicks axis_ticks(double lo, double hi) {
  AxisTicks out;
  if (!(hi > lo) || !std::isfinite(hi - lo)) return out;
  const double raw = (hi - lo) / 4;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
  out.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  for (double k = std::ceil(lo / step); k * step <= hi; k += 1) out.values.push_back(k * step);
  return out;
}

std::string tick_label(double v, int decimals) {
  const std::string text = fmt::format("{:.{}f}", v, decimals);
  // A tick at zero reads "0", never "-0.00".
  return text.find_first_not_of("-0.") == std::string::npos ? text.substr(text[0] == '-') : text;
}

std::string svg_chart(const std::string& title, const std::vector<ChartSeries>& series,
                      const std::vector<ChartMarker>& markers, bool percent, TimeSpan span) {
  // The chart's size and margins, and its axes, in the usual letters.
  // NOLINTNEXTLINE(readability-identifier-naming)
  const int W = 900, H = 280, L = 80, R = 20, T = 30, B = 40;
  Nanos t0 = 0, t1 = 0;
  double y0 = 0, y1 = 0;
  bool any = false;
  auto extend = [&](Nanos t, double y) {
    if (!std::isfinite(y)) return;
    if (!any) {
      t0 = t1 = t;
      y0 = y1 = y;
      any = true;
    }
    t0 = std::min(t0, t), t1 = std::max(t1, t);
    y0 = std::min(y0, y), y1 = std::max(y1, y);
  };
  for (const auto& s : series) {
    for (const auto& [t, y] : s.points) extend(t, y);
  }
  for (const auto& m : markers) extend(m.t, m.y);
  if (span.to > span.from) t0 = span.from, t1 = span.to;
  if (t1 == t0) t1 = t0 + 1;
  if (y1 == y0) {
    const double pad = y0 == 0 ? 1 : std::abs(y0) * 0.01;
    y0 -= pad;
    y1 += pad;
  }
  const double pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  // NOLINTNEXTLINE(readability-identifier-naming)
  auto X = [&](Nanos t) {
    return L + (W - L - R) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
  };
  // NOLINTNEXTLINE(readability-identifier-naming)
  auto Y = [&](double y) { return T + (H - T - B) * (1 - (y - y0) / (y1 - y0)); };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n<text x=\"{}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
      W, H, W, H, L, esc(title));
  // Percent axes step in percent points.
  const double unit = percent ? 100 : 1;
  AxisTicks ticks = axis_ticks(y0 * unit, y1 * unit);
  for (double v : ticks.values) {
    const double y = Y(v / unit);
    s += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/><text x=\"{}\" "
        "y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
        L, W - R, y, y, L - 6, y + 4, esc(tick_label(v, ticks.decimals) + (percent ? "%" : "")));
  }
  for (int i = 0; i <= 5; ++i) {
    const Nanos t = t0 + (t1 - t0) * i / 5;
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", X(t),
                     H - B + 16, esc(time_label(t, t1 - t0)));
  }
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n", L, T,
      W - L - R, H - T - B);
  int legend_x = L + 10;
  for (const auto& se : series) {
    if (se.points.empty()) continue;
    std::string path;
    for (const auto& [t, y] : thin(se.points, W - L - R)) {
      if (!std::isfinite(y)) continue;
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", X(t), Y(y));
    }
    s += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\"/>\n", path,
                     se.color);
    s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>\n", legend_x, T + 14, se.color,
                     esc(se.name));
    legend_x += 12 + 7 * static_cast<int>(se.name.size());
  }
  const std::size_t step = std::max<std::size_t>(1, markers.size() / 2000);
  for (std::size_t i = 0; i < markers.size(); i += step) {
    const auto& m = markers[i];
    const double x = X(m.t), y = Y(m.y);
    if (m.up) {
      s += fmt::format("<path d=\"M{:.1f},{:.1f} l4,7 l-8,0 z\" fill=\"#2ca02c\"/>\n", x, y - 3);
    } else {
      s += fmt::format("<path d=\"M{:.1f},{:.1f} l4,-7 l-8,0 z\" fill=\"#d62728\"/>\n", x, y + 3);
    }
  }
  s += "</svg>\n";
  return s;
}

Result<> write_report(const std::string& dir, const BacktestResult& r) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(ErrorCode::io_error, "cannot create " + dir + ": " + ec.message());
  if (auto w = write_file(dir + "/summary.json", r.summary + "\n"); !w) return w;
  std::string fills;
  for (const auto& l : r.fill_lines) fills += l + "\n";
  if (auto w = write_file(dir + "/fills.ndjson", fills); !w) return w;
  std::string csv = "time,iso_time,equity,drawdown";
  for (const auto& s : r.symbols) csv += ",position " + s + ",price " + s;
  csv += "\n";
  for (const auto& p : r.equity) {
    csv += fmt::format("{},{},{:.8f},{:.10g}", p.t, format_time(p.t), p.equity, p.drawdown);
    for (std::size_t i = 0; i < r.symbols.size(); ++i) {
      const double pos = i < p.position.size() ? p.position[i] : 0;
      const double px = i < p.price.size() ? p.price[i] : 0;
      csv += fmt::format(",{:.10g},{:.10g}", pos, px);
    }
    csv += "\n";
  }
  if (auto w = write_file(dir + "/equity.csv", csv); !w) return w;

  ChartSeries eq{"equity", kColors[0], {}}, dd{"drawdown", "#d62728", {}};
  for (const auto& p : r.equity) {
    eq.points.emplace_back(p.t, p.equity);
    dd.points.emplace_back(p.t, -p.drawdown);
  }
  std::vector<ChartSeries> inv, price;
  std::vector<ChartMarker> marks;
  for (std::size_t i = 0; i < r.symbols.size(); ++i) {
    ChartSeries a{r.symbols[i], kColors[i % 6], {}}, b{r.symbols[i], kColors[i % 6], {}};
    for (const auto& p : r.equity) {
      if (i < p.position.size()) a.points.emplace_back(p.t, p.position[i]);
      if (i < p.price.size() && p.price[i] > 0) b.points.emplace_back(p.t, p.price[i]);
    }
    inv.push_back(std::move(a));
    if (i == 0) price.push_back(std::move(b));
  }
  for (const auto& f : r.fills) {
    if (f.symbol == 0) marks.push_back(ChartMarker{f.t, f.price, f.buy});
  }
  // One time axis for all four: the run's.
  const TimeSpan span =
      r.equity.empty() ? TimeSpan{} : TimeSpan{r.equity.front().t, r.equity.back().t};
  const std::string svg_equity = svg_chart("Equity", {eq}, {}, false, span);
  const std::string svg_dd = svg_chart("Drawdown", {dd}, {}, true, span);
  const std::string svg_inv = svg_chart("Inventory", inv, {}, false, span);
  const std::string svg_price =
      svg_chart("Price and fills" + (r.symbols.empty() ? "" : " (" + r.symbols[0] + ")"), price,
                marks, false, span);
  for (const auto& [name, svg] :
       {std::pair{"equity.svg", &svg_equity}, std::pair{"drawdown.svg", &svg_dd},
        std::pair{"inventory.svg", &svg_inv}, std::pair{"price.svg", &svg_price}}) {
    if (auto w = write_file(dir + "/" + name, *svg); !w) return w;
  }
  std::string rows;
  for (const auto& [k, v] : r.metrics) {
    rows += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", esc(k),
                        std::isfinite(v) ? fmt::format("{:.6g}", v) : "-");
  }
  const std::string html = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Backtest report</title>\n"
      "<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}"
      "th,td{{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}}"
      "code{{background:#f5f5f5;padding:2px 4px;word-break:break-all}}</style></head><body>\n"
      "<h1>Backtest report</h1>\n<p><code>{}</code></p>\n<table>\n{}</table>\n{}{}{}{}"
      "<p>Files: summary.json, fills.ndjson, equity.csv and the plots as "
      "SVG.</p>\n</body></html>\n",
      esc(r.summary), rows, svg_equity, svg_dd, svg_inv, svg_price);
  return write_file(dir + "/report.html", html);
}

std::vector<std::vector<std::pair<std::string, std::string>>> expand_grid(
    const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<std::vector<std::pair<std::string, std::string>>> out(1);
  for (const auto& [k, v] : params) {
    std::vector<std::string> choices;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t c = v.find(',', pos);
      choices.push_back(v.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
      if (c == std::string::npos) break;
      pos = c + 1;
    }
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& combo : out) {
      for (const auto& ch : choices) {
        auto c = combo;
        c.emplace_back(k, ch);
        next.push_back(std::move(c));
      }
    }
    out = std::move(next);
  }
  return out;
}

bool known_metric(const std::string& name) {
  return std::find_if(std::begin(kMetricNames), std::end(kMetricNames),
                      [&](const char* m) { return name == m; }) != std::end(kMetricNames);
}

Result<Threshold> parse_threshold(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::invalid_argument, "--fail-if '" + text + "': " + why);
  };
  Threshold out;
  const std::size_t p = text.find_first_of("<>=!");
  if (p == std::string::npos || p == 0) {
    return bad("expected METRIC<VALUE (operators < <= > >= == !=)");
  }
  out.text = text;
  out.metric = text.substr(0, p);
  std::size_t q = p + 1;
  if (q < text.size() && text[q] == '=') ++q;
  out.op = text.substr(p, q - p);
  while (!out.metric.empty() && out.metric.back() == ' ') out.metric.pop_back();
  if (out.op != "<" && out.op != "<=" && out.op != ">" && out.op != ">=" && out.op != "==" &&
      out.op != "!=") {
    return bad("unknown operator '" + out.op + "'");
  }
  if (!known_metric(out.metric)) {
    return bad("unknown metric '" + out.metric + "'");
  }
  char* end = nullptr;
  const std::string num = text.substr(q);
  out.value = std::strtod(num.c_str(), &end);
  if (num.empty() || end == num.c_str() || *end != '\0') {
    return bad("not a number '" + num + "'");
  }
  return out;
}

bool crossed(const Threshold& t, const BacktestResult& r) {
  const double v = r.metric(t.metric);
  if (t.op == "<") return v < t.value;
  if (t.op == "<=") return v <= t.value;
  if (t.op == ">") return v > t.value;
  if (t.op == ">=") return v >= t.value;
  if (t.op == "==") return v == t.value;
  return v != t.value;
}

std::string grid_csv(const std::vector<std::vector<std::pair<std::string, std::string>>>& combos,
                     const std::vector<BacktestResult>& results) {
  std::string out = "run";
  if (!combos.empty()) {
    for (const auto& [k, v] : combos.front()) out += "," + k;
  }
  for (const char* m : kMetricNames) out += std::string(",") + m;
  out += "\n";
  for (std::size_t i = 0; i < combos.size() && i < results.size(); ++i) {
    out += std::to_string(i + 1);
    for (const auto& [k, v] : combos[i]) out += "," + v;
    for (const char* m : kMetricNames) out += fmt::format(",{:.10g}", results[i].metric(m));
    out += "\n";
  }
  return out;
}

}  // namespace ot
