#include "dash/reports.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json_out.h"

namespace ot::dash {

namespace {

namespace fs = std::filesystem;

bool read_file(const fs::path& p, std::string& out) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  out = s.str();
  return true;
}

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t at = line.find(sep);
    out.push_back(line.substr(0, at));
    if (at == std::string_view::npos) return out;
    line.remove_prefix(at + 1);
  }
}

double to_double(std::string_view s) {
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::int64_t to_seconds(std::string_view ns) {
  std::int64_t v = 0;
  std::from_chars(ns.data(), ns.data() + ns.size(), v);
  return v / 1'000'000'000;
}

// One run's directory as a report; false if it has no summary.
bool load_one(const fs::path& dir, const std::string& name, std::size_t max_points, Report& r) {
  if (!read_file(dir / "summary.json", r.summary)) return false;
  while (!r.summary.empty() && (r.summary.back() == '\n' || r.summary.back() == '\r')) {
    r.summary.pop_back();
  }
  r.name = name;
  std::string csv, fills;
  (void)read_file(dir / "equity.csv", csv);
  (void)read_file(dir / "fills.ndjson", fills);

  JsonOut j(r.data);
  j.begin_object();
  j.field("name", name);
  j.key("summary");
  j.raw(r.summary.empty() ? "null" : r.summary);
  // equity.csv: time,iso_time,equity,drawdown, then position and price of
  // each symbol.
  std::vector<std::string_view> lines = split(csv, '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::vector<std::string> symbols;
  if (!lines.empty()) {
    const auto head = split(lines.front(), ',');
    for (std::size_t i = 5; i < head.size(); i += 2) {
      std::string_view h = head[i];
      if (h.rfind("price ", 0) == 0) h.remove_prefix(6);
      symbols.emplace_back(h);
    }
  }
  const std::size_t rows = lines.empty() ? 0 : lines.size() - 1;
  const std::size_t step = rows > max_points ? (rows + max_points - 1) / max_points : 1;
  std::vector<std::vector<std::string_view>> kept;
  for (std::size_t i = 1; i <= rows; ++i) {
    if ((i - 1) % step != 0 && i != rows) continue;
    auto cells = split(lines[i], ',');
    if (cells.size() < 4) continue;
    // One point a second: the chart's time axis is in whole seconds.
    if (!kept.empty() && to_seconds(kept.back()[0]) == to_seconds(cells[0])) kept.pop_back();
    kept.push_back(std::move(cells));
  }
  j.key("equity");
  j.begin_array();
  for (const auto& c : kept) {
    j.begin_array();
    j.integer(to_seconds(c[0]));
    j.number(to_double(c[2]), 12);
    j.number(-to_double(c[3]), 12);
    j.end_array();
  }
  j.end_array();
  j.key("symbols");
  j.begin_array();
  for (const auto& s : symbols) j.string(s);
  j.end_array();
  j.key("prices");
  j.begin_array();
  for (std::size_t k = 0; k < symbols.size(); ++k) {
    j.begin_array();
    for (const auto& c : kept) {
      const std::size_t col = 5 + 2 * k;
      if (col >= c.size() || to_double(c[col]) == 0) continue;
      j.begin_array();
      j.integer(to_seconds(c[0]));
      j.number(to_double(c[col]), 12);
      j.end_array();
    }
    j.end_array();
  }
  j.end_array();
  // fills.ndjson: exec events with a fill.
  j.key("fills");
  j.begin_array();
  simdjson::dom::parser parser;
  for (std::string_view line : split(fills, '\n')) {
    simdjson::dom::object o;
    if (line.empty() || parser.parse(line.data(), line.size()).get(o)) continue;
    std::string_view venue, symbol, side, price, qty;
    std::int64_t ts = 0;
    if (o["venue"].get(venue) || o["symbol"].get(symbol) || o["side"].get(side) ||
        o["price"].get(price) || o["qty"].get(qty) || o["ts"].get(ts)) {
      continue;
    }
    j.begin_object();
    j.field("time", ts / 1'000'000'000);
    // As equity.csv names instruments: "venue symbol".
    j.field("instrument", std::string(venue) + " " + std::string(symbol));
    j.field("side", side);
    j.key("price");
    j.number(to_double(price), 12);
    j.key("qty");
    j.number(to_double(qty), 12);
    j.end_object();
  }
  j.end_array();
  j.end_object();
  return true;
}

}  // namespace

Result<std::vector<Report>> load_reports(const std::string& dir, std::size_t max_points) {
  std::vector<Report> out;
  const fs::path root(dir);
  Report one;
  if (load_one(root, dir, max_points, one)) {
    out.push_back(std::move(one));
    return out;
  }
  // A grid: run-1/, run-2/, ... in their order.
  std::vector<std::pair<int, fs::path>> runs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string n = e.path().filename().string();
    int k = 0;
    if (n.rfind("run-", 0) == 0 &&
        std::from_chars(n.data() + 4, n.data() + n.size(), k).ptr == n.data() + n.size()) {
      runs.emplace_back(k, e.path());
    }
  }
  std::sort(runs.begin(), runs.end());
  for (const auto& [k, p] : runs) {
    Report r;
    if (load_one(p, dir + "/run-" + std::to_string(k), max_points, r)) out.push_back(std::move(r));
  }
  if (out.empty()) {
    return Error(ErrorCode::io_error,
                 "--report " + dir + ": no summary.json there (ot-backtest --report DIR)");
  }
  return out;
}

}  // namespace ot::dash
