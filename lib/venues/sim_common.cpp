#include "venues/sim_protocol.h"

namespace ot {

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
