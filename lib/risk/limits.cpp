#include "risk/limits.h"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "venues/venue.h"

namespace ot {
namespace {

// The reads of one value: into `out`, or an error naming the line and key.
Error bad(const toml::node& n, std::string_view what) {
  const auto& src = n.source();
  return Error(ErrorCode::invalid_argument,
               (src.begin ? "line " + std::to_string(src.begin.line) + ": " : std::string()) +
                   std::string(what));
}

Result<> decimal_of(const toml::node& n, std::string_view key, Decimal& out) {
  std::optional<Decimal> d;
  if (auto s = n.value<std::string>())
    d = Decimal::parse(*s);
  else if (const auto* i = n.as_integer())  // not value<>(): it converts floats, out of range too
    d = Decimal{i->get(), 0};
  if (!d) {
    return bad(n, std::string(key) +
                      ": expected a decimal (write it as a string, \"0.5\", to keep it exact)");
  }
  out = *d;
  return {};
}
Result<> decimal_of(const toml::node& n, std::string_view key, std::optional<Decimal>& out) {
  Decimal d;
  auto r = decimal_of(n, key, d);
  if (r) out = d;
  return r;
}

template <class Num>
Result<> number_of(const toml::node& n, std::string_view key, Num& out) {
  auto v = n.value<double>();
  if (!v) return bad(n, std::string(key) + ": expected a number");
  out = *v;
  return {};
}

template <class Int>
Result<> integer_of(const toml::node& n, std::string_view key, Int& out) {
  const auto* v = n.as_integer();  // a float, even a whole one, is refused
  if (v == nullptr) return bad(n, std::string(key) + ": expected an integer");
  out = static_cast<Int>(v->get());
  return {};
}

Result<> text_of(const toml::node& n, std::string_view key, std::string& out) {
  auto v = n.value<std::string>();
  if (!v) return bad(n, std::string(key) + ": expected a string");
  out = *v;
  return {};
}

Result<const toml::table*> table_of(const toml::node& n, std::string_view key) {
  if (const auto* t = n.as_table()) return t;
  return bad(n, std::string(key) + ": expected a table");
}

Error unknown(const toml::node& n, std::string_view section, std::string_view key) {
  return bad(n, "unknown key '" + std::string(key) + "' in [" + std::string(section) + "]");
}

Result<> symbol_limits(const toml::table& t, std::string_view section, SymbolLimits& l) {
  for (const auto& [k, v] : t) {
    const std::string_view key = k.str();
    Result<> r;
    if (key == "max_order_qty") {
      r = decimal_of(v, key, l.max_order_qty);
    } else if (key == "max_notional") {
      r = decimal_of(v, key, l.max_notional);
    } else if (key == "max_position") {
      r = decimal_of(v, key, l.max_position);
    } else if (key == "price_collar_bps") {
      r = number_of(v, key, l.price_collar_bps);
    } else if (key == "max_open_orders") {
      r = integer_of(v, key, l.max_open_orders);
    } else if (key == "self_trade") {
      std::string s;
      r = text_of(v, key, s);
      if (r && s != "reject" && s != "allow") return bad(v, "self_trade: reject or allow");
      l.self_trade_reject = s == "reject";
    } else {
      return unknown(v, section, key);
    }
    if (!r) return r;
  }
  return {};
}

Result<> account_limits(const toml::table& t, AccountLimits& a) {
  for (const auto& [k, v] : t) {
    const std::string_view key = k.str();
    Result<> r;
    if (key == "max_open_orders")
      r = integer_of(v, key, a.max_open_orders);
    else if (key == "order_rate")
      r = number_of(v, key, a.order_rate);
    else if (key == "order_burst")
      r = number_of(v, key, a.order_burst);
    else if (key == "daily_loss")
      r = decimal_of(v, key, a.daily_loss);
    else if (key == "max_drawdown")
      r = decimal_of(v, key, a.max_drawdown);
    else if (key == "kill_file")
      r = text_of(v, key, a.kill_file);
    else
      return unknown(v, "account", key);
    if (!r) return r;
  }
  return {};
}

Result<> greek_limits(const toml::table& t, std::string_view underlying, GreekLimits& g) {
  for (const auto& [k, v] : t) {
    const std::string_view key = k.str();
    Result<> r;
    if (key == "delta_band")
      r = number_of(v, key, g.delta_band);
    else if (key == "delta_target")
      r = number_of(v, key, g.delta_target);
    else if (key == "hedge_symbol")
      r = text_of(v, key, g.hedge_symbol);
    else if (key == "max_gamma")
      r = number_of(v, key, g.max_gamma);
    else if (key == "max_vega")
      r = number_of(v, key, g.max_vega);
    else if (key == "premium_adjusted")
      g.premium_adjusted = v.value<bool>().value_or(true);
    else
      return unknown(v, underlying, key);
    if (!r) return r;
  }
  if (g.delta_band > 0 && g.hedge_symbol.empty()) {
    return Error(ErrorCode::invalid_argument,
                 "[greeks.\"" + std::string(underlying) + "\"]: delta_band needs hedge_symbol");
  }
  return {};
}

}  // namespace

const SymbolLimits& RiskLimits::for_symbol(std::string_view venue, std::string_view symbol) const {
  std::string key(venue);
  key.push_back(':');
  key.append(symbol);
  if (auto it = symbols.find(key); it != symbols.end()) return it->second;
  if (auto it = symbols.find(std::string(symbol)); it != symbols.end()) return it->second;
  return defaults;
}

const GreekLimits* RiskLimits::for_underlying(std::string_view venue,
                                              std::string_view currency) const {
  std::string key(venue);
  key.push_back(':');
  key.append(currency);
  auto it = greeks.find(key);
  return it == greeks.end() ? nullptr : &it->second;
}

Result<RiskLimits> parse_limits(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text);  // toml++ reports a syntax error by exception only
  } catch (const toml::parse_error& e) {
    return Error(ErrorCode::invalid_argument, "line " + std::to_string(e.source().begin.line) +
                                                  ": " + std::string(e.description()));
  }
  RiskLimits l;
  // Defaults first: per-symbol sections start from them.
  if (const auto* d = root.get("defaults")) {
    auto t = table_of(*d, "defaults");
    if (!t) return t.error();
    if (auto r = symbol_limits(**t, "defaults", l.defaults); !r) return r.error();
  }
  for (const auto& [k, v] : root) {
    const std::string_view section = k.str();
    if (section == "defaults") continue;
    auto t = table_of(v, section);
    if (!t) return t.error();
    Result<> r;
    if (section == "account") {
      r = account_limits(**t, l.account);
    } else if (section == "symbols") {
      for (const auto& [kk, vv] : **t) {
        auto st = table_of(vv, kk.str());
        if (!st) return st.error();
        SymbolLimits s = l.defaults;
        if (r = symbol_limits(**st, kk.str(), s); !r) break;
        l.symbols[std::string(kk.str())] = s;
      }
    } else if (section == "greeks") {
      for (const auto& [kk, vv] : **t) {
        auto gt = table_of(vv, kk.str());
        if (!gt) return gt.error();
        GreekLimits g;
        if (r = greek_limits(**gt, kk.str(), g); !r) break;
        l.greeks[std::string(kk.str())] = g;
      }
    } else if (section == "contracts") {
      for (const auto& [kk, vv] : **t) {
        const std::string_view key = kk.str();
        const std::size_t colon = key.find(':');
        if (colon == 0 || colon == std::string_view::npos || colon + 1 == key.size()) {
          return bad(vv, "[contracts]: '" + std::string(key) + "' is not \"venue:symbol\"");
        }
        Decimal size;
        if (r = decimal_of(vv, key, size); !r) break;
        if (size.mantissa <= 0) {
          return bad(vv, "[contracts]: " + std::string(key) + ": size must be positive");
        }
        l.contracts[std::string(key)] = size;
      }
    } else {
      return bad(v, "unknown section [" + std::string(section) + "]");
    }
    if (!r) return r.error();
  }
  if (l.account.order_rate > 0 && l.account.order_burst <= 0) {
    l.account.order_burst = l.account.order_rate;
  }
  return l;
}

void RiskLimits::apply_contract_sizes() const {
  for (const auto& [k, size] : contracts) {
    const std::size_t colon = k.find(':');
    // Sizes were checked positive when the file was read.
    (void)set_contract_size(std::string_view(k).substr(0, colon),
                            std::string_view(k).substr(colon + 1), size);
  }
}

Result<RiskLimits> load_limits(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Error(ErrorCode::invalid_argument, path + ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  auto limits = parse_limits(ss.str());
  if (!limits) return limits.error().within(path);
  return limits;
}

}  // namespace ot
