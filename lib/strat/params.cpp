#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "strat/strategy.h"

namespace ot {

void Params::add(std::string name, double& v, std::string help) {
  entries_.push_back({std::move(name), std::move(help), Kind::real, &v});
}
void Params::add(std::string name, std::int64_t& v, std::string help) {
  entries_.push_back({std::move(name), std::move(help), Kind::integer, &v});
}
void Params::add(std::string name, std::string& v, std::string help) {
  entries_.push_back({std::move(name), std::move(help), Kind::text, &v});
}
void Params::add(std::string name, Decimal& v, std::string help) {
  entries_.push_back({std::move(name), std::move(help), Kind::decimal, &v});
}
void Params::add(std::string name, bool& v, std::string help) {
  entries_.push_back({std::move(name), std::move(help), Kind::flag, &v});
}

Result<> Params::set(std::string_view name, std::string_view value) {
  for (const auto& e : entries_) {
    if (e.name != name) continue;
    const char* b = value.data();
    const char* end = b + value.size();
    switch (e.kind) {
      case Kind::real: {
        double v = 0;
        auto r = std::from_chars(b, end, v);
        if (r.ec != std::errc() || r.ptr != end || !std::isfinite(v)) break;
        *static_cast<double*>(e.target) = v;
        return {};
      }
      case Kind::integer: {
        std::int64_t v = 0;
        auto r = std::from_chars(b, end, v);
        if (r.ec != std::errc() || r.ptr != end) break;
        *static_cast<std::int64_t*>(e.target) = v;
        return {};
      }
      case Kind::text:
        *static_cast<std::string*>(e.target) = std::string(value);
        return {};
      case Kind::decimal: {
        auto d = Decimal::parse(value);
        if (!d) break;
        *static_cast<Decimal*>(e.target) = *d;
        return {};
      }
      case Kind::flag:
        if (value == "true" || value == "1" || value.empty()) {
          *static_cast<bool*>(e.target) = true;
          return {};
        }
        if (value == "false" || value == "0") {
          *static_cast<bool*>(e.target) = false;
          return {};
        }
        break;
    }
    static constexpr const char* kWant[] = {"a number", "an integer", "text", "a decimal",
                                            "true or false"};
    return Error(ErrorCode::invalid_argument, "parameter " + std::string(name) + ": expected " +
                                                  kWant[static_cast<int>(e.kind)] + ", got '" +
                                                  std::string(value) + "'");
  }
  return Error(ErrorCode::invalid_argument, "unknown parameter '" + std::string(name) + "'");
}

std::string Params::get(const Entry& e) const {
  switch (e.kind) {
    case Kind::real: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, *static_cast<const double*>(e.target));
      return std::string(buf, r.ptr);
    }
    case Kind::integer:
      return std::to_string(*static_cast<const std::int64_t*>(e.target));
    case Kind::text:
      return *static_cast<const std::string*>(e.target);
    case Kind::decimal:
      return static_cast<const Decimal*>(e.target)->to_string();
    case Kind::flag:
      return *static_cast<const bool*>(e.target) ? "true" : "false";
  }
  return {};
}

Result<> load_strategy_config(const std::string& path, std::string_view section, Params& params) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Error(ErrorCode::invalid_argument,
                 fmt::format("{}:{}: {}", path, e.source().begin.line, e.description()));
  }
  const toml::table* s = t[section].as_table();
  if (!s) return {};
  for (const auto& [key, node] : *s) {
    std::string name(key.str());
    std::replace(name.begin(), name.end(), '-', '_');
    std::string value;
    if (auto v = node.value<std::string>()) {
      value = *v;
    } else if (node.is_integer()) {
      value = std::to_string(*node.value<std::int64_t>());
    } else if (node.is_floating_point()) {
      value = fmt::format("{}", *node.value<double>());
    } else if (node.is_boolean()) {
      value = *node.value<bool>() ? "true" : "false";
    } else {
      return Error(ErrorCode::invalid_argument,
                   fmt::format("{}: [{}] {}: unsupported value", path, section, name));
    }
    if (auto set = params.set(name, value); !set) {
      return Error(set.error().code(),
                   fmt::format("{}: [{}] {}", path, section, set.error().message()));
    }
  }
  return {};
}
}  // namespace ot
