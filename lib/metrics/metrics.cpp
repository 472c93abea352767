#include "metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace ot::metrics {

namespace {

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

// Nanoseconds as exact decimal seconds ("2.0030018", "0").
void append_seconds(std::string& out, std::uint64_t ns) {
  out.append(std::to_string(ns / 1'000'000'000));
  std::uint64_t frac = ns % 1'000'000'000;
  if (frac == 0) return;
  char digits[10] = "000000000";
  for (int i = 8; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
  int n = 9;
  while (digits[n - 1] == '0') --n;
  out.push_back('.');
  out.append(digits, static_cast<std::size_t>(n));
}

void append_labels(std::string& out, const Labels& labels, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  auto one = [&](std::string_view n, std::string_view v) {
    if (!first) out.push_back(',');
    first = false;
    out.append(n).append("=\"");
    append_label_value(out, v);
    out.push_back('"');
  };
  for (const auto& [n, v] : labels) one(n, v);
  if (!extra_name.empty()) one(extra_name, extra_value);
  out.push_back('}');
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

std::uint64_t Histogram::count() const noexcept {
  std::uint64_t n = 0;
  for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
  return n;
}

Registry::Series& Registry::series(std::string_view name, std::string_view help, Type type,
                                   const Labels& labels) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{type, std::string(help), {}}).first;
  } else if (it->second.type != type) {
    throw std::logic_error("metric " + std::string(name) + " registered with another type");
  }
  Series& s = it->second.series[sorted];
  switch (type) {
    case Type::counter:
      if (!s.counter) s.counter = std::make_unique<Counter>();
      break;
    case Type::gauge:
      if (!s.gauge) s.gauge = std::make_unique<Gauge>();
      break;
    case Type::histogram:
      if (!s.histogram) s.histogram = std::make_unique<Histogram>();
      break;
  }
  return s;
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  return *series(name, help, Type::counter, labels).counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  return *series(name, help, Type::gauge, labels).gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, const Labels& labels) {
  return *series(name, help, Type::histogram, labels).histogram;
}

void Registry::on_scrape(const void* owner, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  hooks_.push_back(Hook{owner, false, std::move(fn)});
}

void Registry::on_tick(const void* owner, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  hooks_.push_back(Hook{owner, true, std::move(fn)});
}

void Registry::forget(const void* owner) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(hooks_, [owner](const Hook& h) { return h.owner == owner; });
}

void Registry::run_hooks(bool tick) {
  std::vector<std::function<void()>> run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& h : hooks_) {
      if (h.tick == tick) run.push_back(h.fn);
    }
  }
  for (auto& fn : run) fn();  // outside the lock: a hook sets gauges
}

void Registry::tick() { run_hooks(true); }

std::string Registry::render() {
  run_hooks(false);
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, f] : families_) {
    out.append("# HELP ").append(name).push_back(' ');
    append_help(out, f.help);
    out.append("\n# TYPE ").append(name).push_back(' ');
    out.append(f.type == Type::counter ? "counter" : f.type == Type::gauge ? "gauge" : "histogram");
    out.push_back('\n');
    for (const auto& [labels, s] : f.series) {
      if (f.type == Type::counter) {
        out.append(name);
        append_labels(out, labels);
        out.append(" ").append(std::to_string(s.counter->value())).push_back('\n');
      } else if (f.type == Type::gauge) {
        out.append(name);
        append_labels(out, labels);
        out.push_back(' ');
        append_number(out, s.gauge->value());
        out.push_back('\n');
      } else {
        const Histogram& h = *s.histogram;
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= Histogram::kBoundsNs.size(); ++i) {
          cumulative += h.bucket(i);
          const std::string_view le =
              i < Histogram::kBoundsText.size() ? Histogram::kBoundsText[i] : "+Inf";
          out.append(name).append("_bucket");
          append_labels(out, labels, "le", le);
          out.append(" ").append(std::to_string(cumulative)).push_back('\n');
        }
        out.append(name).append("_sum");
        append_labels(out, labels);
        out.push_back(' ');
        append_seconds(out, h.sum_ns());
        out.append("\n").append(name).append("_count");
        append_labels(out, labels);
        out.append(" ").append(std::to_string(cumulative)).push_back('\n');
      }
    }
  }
  return out;
}

Registry& registry() {
  static Registry r;
  return r;
}

std::string_view LabelCap::operator()(std::string_view value) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& s : seen_) {
    if (s == value) return s;
  }
  if (seen_.size() >= cap_) return "other";
  seen_.emplace_back(value);
  return seen_.back();
}

}  // namespace ot::metrics
