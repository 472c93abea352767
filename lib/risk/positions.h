// Positions and PnL from executions, exact to the last decimal.
//
// Linear instruments (spot, USD-M futures, options quoted in coin): PnL in
// the quote currency, average cost = Σ price·qty / Σ qty over the fills
// that opened the position. Inverse instruments (Deribit futures and
// perpetuals, Binance COIN-M, OKX -USD- swaps; valued in USD): PnL in the
// coin, the average price is the harmonic one, a closed USD amount Q
// realizes Q·(1/entry − 1/exit) for a long.
//
// Quantities stay in the venue's units (contracts where it counts
// contracts); values use the contract size (ot::contract_size: 100 USD per
// Binance COIN-M BTC contract, 0.01 BTC per OKX BTC-USDT-SWAP contract, …),
// so a quantity q is worth q·size·price (linear) or q·size USD (inverse).
// An instrument whose size is not known is valued at size 1 and says so
// (size_known).
//
// A fill that reduces the position realizes PnL on the closed part at the
// average cost; one that crosses zero closes the old position and opens the
// rest at its price. Fees accumulate separately (realized − fees is the
// net). Unrealized PnL is marked at the mid of the latest top of book.
//
// Thread-safety: none.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/amount.h"
#include "core/orders.h"
#include "core/string_map.h"
#include "venues/venue.h"

namespace ot {

struct PositionState {
  std::string venue, symbol;
  bool inverse = false;
  Decimal size{1, 0};  // one unit of qty in the value unit (coin or USD)
  bool size_known = true;
  Amount qty;   // signed, in the venue's units
  Amount cost;  // linear: Σ price·qty·size of the open part; inverse: Σ qty·size/price (coin)
  Amount realized;  // quote currency (linear) or coin (inverse)
  Amount fees;
  std::optional<Decimal> mark;
  Nanos ts = 0;

  // Average entry price (zero when flat).
  Amount avg_price() const;
  Amount unrealized() const;
  // As an event (views into this record); greeks are left empty.
  Position as_event(int decimals = 8) const;
};

class PositionBook {
 public:
  // Applies a fill; returns the changed position.
  const PositionState& fill(std::string_view venue, std::string_view symbol, Side side,
                            const Decimal& price, const Decimal& qty, const Decimal& fee, Nanos ts);
  // Marks a position (if there is one); returns it, or nullptr.
  PositionState* mark(std::string_view venue, std::string_view symbol, const Decimal& price);
  const PositionState* find(std::string_view venue, std::string_view symbol) const;
  std::vector<const PositionState*> all() const;
  // Σ realized + unrealized − fees over linear positions, by settlement
  // currency it is the caller's to keep them apart; this sums them all.
  Amount equity_pnl() const;

 private:
  PositionState& get(std::string_view venue, std::string_view symbol);
  // "venue\x1fsymbol" in a scratch buffer (no allocation per lookup).
  std::string_view key(std::string_view venue, std::string_view symbol) const;
  StringMap<PositionState> positions_;
  mutable RecentKeys<PositionState> recent_;
  mutable std::string key_;
  std::vector<std::string> order_;
};

}  // namespace ot
