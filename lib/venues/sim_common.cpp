#include "venues/sim_protocol.h"

namespace ot {

std::string sim_query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view kv = rest.substr(0, amp);
    const auto eq = kv.find('=');
    if (eq != std::string_view::npos && kv.substr(0, eq) == name) {
      return std::string(kv.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

std::string sim_levels_json(const L2Book& book, BookSide side, std::size_t limit,
                            std::string_view prefix, std::string_view suffix, bool quoted) {
  std::string out = "[";
  std::vector<Level> levels;
  book.top(side, limit, levels);
  char tmp[Decimal::kMaxChars];
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(prefix);
    if (quoted) out.push_back('"');
    out.append(tmp, levels[i].price.to_chars(tmp));
    out.append(quoted ? "\",\"" : ",");
    out.append(tmp, levels[i].qty.to_chars(tmp));
    if (quoted) out.push_back('"');
    out.append(suffix);
  }
  out.push_back(']');
  return out;
}

}  // namespace ot
