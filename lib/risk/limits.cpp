#include "risk/limits.h"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "venues/venue.h"

namespace ot {
namespace {

struct Bad {
  std::string what;
};

std::string where(const toml::node& n) {
  const auto& s = n.source();
  return s.begin ? "line " + std::to_string(s.begin.line) + ": " : std::string();
}

Decimal decimal_of(const toml::node& n, std::string_view key) {
  std::optional<Decimal> d;
  if (auto s = n.value<std::string>())
    d = Decimal::parse(*s);
  else if (auto i = n.value<std::int64_t>())
    d = Decimal{*i, 0};
  if (!d) {
    throw Bad{where(n) + std::string(key) +
              ": expected a decimal (write it as a string, \"0.5\", to keep it exact)"};
  }
  return *d;
}

double number_of(const toml::node& n, std::string_view key) {
  if (auto v = n.value<double>()) return *v;
  throw Bad{where(n) + std::string(key) + ": expected a number"};
}

long integer_of(const toml::node& n, std::string_view key) {
  if (auto v = n.value<std::int64_t>()) return static_cast<long>(*v);
  throw Bad{where(n) + std::string(key) + ": expected an integer"};
}

std::string text_of(const toml::node& n, std::string_view key) {
  if (auto v = n.value<std::string>()) return *v;
  throw Bad{where(n) + std::string(key) + ": expected a string"};
}

const toml::table& table_of(const toml::node& n, std::string_view key) {
  if (const auto* t = n.as_table()) return *t;
  throw Bad{where(n) + std::string(key) + ": expected a table"};
}

void unknown(const toml::node& n, std::string_view section, std::string_view key) {
  throw Bad{where(n) + "unknown key '" + std::string(key) + "' in [" + std::string(section) + "]"};
}

SymbolLimits symbol_limits(const toml::table& t, std::string_view section, SymbolLimits l) {
  for (const auto& [k, v] : t) {
    const std::string_view key = k.str();
    if (key == "max_order_qty")
      l.max_order_qty = decimal_of(v, key);
    else if (key == "max_notional")
      l.max_notional = decimal_of(v, key);
    else if (key == "max_position")
      l.max_position = decimal_of(v, key);
    else if (key == "price_collar_bps")
      l.price_collar_bps = number_of(v, key);
    else if (key == "max_open_orders")
      l.max_open_orders = integer_of(v, key);
    else if (key == "self_trade") {
      const std::string s = text_of(v, key);
      if (s != "reject" && s != "allow") throw Bad{where(v) + "self_trade: reject or allow"};
      l.self_trade_reject = s == "reject";
    } else {
      unknown(v, section, key);
    }
  }
  return l;
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
  std::string error;
  try {
    toml::table root = toml::parse(text);
    RiskLimits l;
    // Defaults first: per-symbol sections start from them.
    if (const auto* d = root.get("defaults")) {
      l.defaults = symbol_limits(table_of(*d, "defaults"), "defaults", SymbolLimits{});
    }
    for (const auto& [k, v] : root) {
      const std::string_view section = k.str();
      if (section == "defaults") continue;
      const toml::table& t = table_of(v, section);
      if (section == "account") {
        for (const auto& [kk, vv] : t) {
          const std::string_view key = kk.str();
          if (key == "max_open_orders")
            l.account.max_open_orders = integer_of(vv, key);
          else if (key == "order_rate")
            l.account.order_rate = number_of(vv, key);
          else if (key == "order_burst")
            l.account.order_burst = number_of(vv, key);
          else if (key == "daily_loss")
            l.account.daily_loss = decimal_of(vv, key);
          else if (key == "max_drawdown")
            l.account.max_drawdown = decimal_of(vv, key);
          else if (key == "kill_file")
            l.account.kill_file = text_of(vv, key);
          else
            unknown(vv, section, key);
        }
      } else if (section == "symbols") {
        for (const auto& [kk, vv] : t) {
          l.symbols[std::string(kk.str())] =
              symbol_limits(table_of(vv, kk.str()), kk.str(), l.defaults);
        }
      } else if (section == "greeks") {
        for (const auto& [kk, vv] : t) {
          GreekLimits g;
          for (const auto& [gk, gv] : table_of(vv, kk.str())) {
            const std::string_view key = gk.str();
            if (key == "delta_band")
              g.delta_band = number_of(gv, key);
            else if (key == "delta_target")
              g.delta_target = number_of(gv, key);
            else if (key == "hedge_symbol")
              g.hedge_symbol = text_of(gv, key);
            else if (key == "max_gamma")
              g.max_gamma = number_of(gv, key);
            else if (key == "max_vega")
              g.max_vega = number_of(gv, key);
            else if (key == "premium_adjusted")
              g.premium_adjusted = gv.value<bool>().value_or(true);
            else
              unknown(gv, kk.str(), key);
          }
          if (g.delta_band > 0 && g.hedge_symbol.empty()) {
            throw Bad{"[greeks.\"" + std::string(kk.str()) + "\"]: delta_band needs hedge_symbol"};
          }
          l.greeks[std::string(kk.str())] = g;
        }
      } else if (section == "contracts") {
        for (const auto& [kk, vv] : t) {
          const std::string_view key = kk.str();
          const std::size_t colon = key.find(':');
          if (colon == 0 || colon == std::string_view::npos || colon + 1 == key.size()) {
            throw Bad{where(vv) + "[contracts]: '" + std::string(key) +
                      "' is not \"venue:symbol\""};
          }
          const Decimal size = decimal_of(vv, key);
          if (size.mantissa <= 0) {
            throw Bad{where(vv) + "[contracts]: " + std::string(key) + ": size must be positive"};
          }
          l.contracts[std::string(key)] = size;
        }
      } else {
        throw Bad{where(v) + "unknown section [" + std::string(section) + "]"};
      }
    }
    if (l.account.order_rate > 0 && l.account.order_burst <= 0) {
      l.account.order_burst = l.account.order_rate;
    }
    return l;
  } catch (const toml::parse_error& e) {
    error = "line " + std::to_string(e.source().begin.line) + ": " + std::string(e.description());
  } catch (const Bad& b) {
    error = b.what;
  }
  return Error(ErrorCode::invalid_argument, error);
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
