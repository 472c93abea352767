#include "backtest/latency.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <random>

namespace ot {

std::optional<Nanos> parse_duration(std::string_view text) {
  double v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || v < 0) return std::nullopt;
  const std::string_view unit(r.ptr, static_cast<std::size_t>(text.data() + text.size() - r.ptr));
  double scale;
  if (unit.empty() || unit == "ns") {
    scale = 1;
  } else if (unit == "us") {
    scale = 1e3;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "s") {
    scale = 1e9;
  } else if (unit == "m") {
    scale = 60e9;
  } else if (unit == "h") {
    scale = 3600e9;
  } else if (unit == "d") {
    scale = 86400e9;
  } else {
    return std::nullopt;
  }
  return static_cast<Nanos>(std::llround(v * scale));
}

Result<LatencyModel> LatencyModel::parse(std::string_view spec) {
  LatencyModel m;
  m.spec_ = spec;
  const std::size_t colon = spec.find(':');
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::invalid_argument, "latency '" + std::string(spec) + "': " + why);
  };
  if (colon == std::string_view::npos) {
    auto d = parse_duration(spec);
    if (!d) return bad("expected a duration such as 250us, or kind:args");
    m.a_ = *d;
    return m;
  }
  const std::string_view kind = spec.substr(0, colon);
  const std::string_view args = spec.substr(colon + 1);
  if (kind == "file") {
    std::ifstream in{std::string(args)};
    if (!in) return bad("cannot read " + std::string(args));
    auto v = std::make_shared<std::vector<Nanos>>();
    Nanos x;
    while (in >> x) {
      if (x >= 0) v->push_back(x);
    }
    if (v->empty()) return bad("no samples in " + std::string(args));
    m.kind_ = Kind::samples;
    m.samples_ = v;
    return m;
  }
  const std::size_t comma = args.find(',');
  if (comma == std::string_view::npos) return bad("expected two arguments");
  const auto first = parse_duration(args.substr(0, comma));
  const std::string_view second = args.substr(comma + 1);
  if (!first) return bad("bad first argument");
  m.a_ = *first;
  if (kind == "uniform" || kind == "normal") {
    auto s = parse_duration(second);
    if (!s) return bad("bad second argument");
    m.b_ = static_cast<double>(*s);
    if (kind == "uniform" && m.b_ < static_cast<double>(m.a_)) return bad("high below low");
    m.kind_ = kind == "uniform" ? Kind::uniform : Kind::normal;
    return m;
  }
  if (kind == "lognormal") {
    auto r = std::from_chars(second.data(), second.data() + second.size(), m.b_);
    if (r.ec != std::errc() || m.b_ < 0) return bad("bad sigma");
    m.kind_ = Kind::lognormal;
    return m;
  }
  return bad("unknown kind (fixed, uniform, normal, lognormal, file)");
}

std::function<Nanos()> LatencyModel::sampler(std::uint64_t seed) const {
  if (kind_ == Kind::fixed) return {};
  auto gen = std::make_shared<std::mt19937_64>(seed);
  const double a = static_cast<double>(a_), b = b_;
  switch (kind_) {
    case Kind::uniform:
      return [gen, a, b] {
        return static_cast<Nanos>(std::uniform_real_distribution<double>(a, b)(*gen));
      };
    case Kind::normal:
      return [gen, a, b] {
        return static_cast<Nanos>(std::max(0.0, std::normal_distribution<double>(a, b)(*gen)));
      };
    case Kind::lognormal:
      return [gen, a, b] {
        return static_cast<Nanos>(
            std::lognormal_distribution<double>(std::log(std::max(a, 1.0)), b)(*gen));
      };
    case Kind::samples: {
      auto s = samples_;
      return [gen, s] {
        return (*s)[std::uniform_int_distribution<std::size_t>(0, s->size() - 1)(*gen)];
      };
    }
    case Kind::fixed:
      break;
  }
  return {};
}

}  // namespace ot
