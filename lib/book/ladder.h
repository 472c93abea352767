// Renders a book as a price ladder for a terminal: asks above, bids below,
// with sizes, spread and mid. Pure formatting; the caller writes the text.
#pragma once

#include <string>

#include "book/book_engine.h"

namespace ot {

// `levels` per side; `width` is the terminal width in columns. The text
// starts with ANSI "home + clear" so successive frames redraw in place.
std::string render_ladder(const BookEngine::Entry& e, int levels, int width);

}  // namespace ot
