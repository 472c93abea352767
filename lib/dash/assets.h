// The page ot-dash serves, compiled into the program from web/dash/ (the
// build embeds the files: cmake/EmbedAssets.cmake): index.html, app.js,
// style.css and the vendored lightweight-charts (web/dash/vendor/, its
// LICENSE and NOTICE there). No file is read at run time.
#pragma once

#include <cstddef>
#include <string_view>

namespace ot::dash {

struct Asset {
  std::string_view path;  // "/", "/app.js"
  std::string_view type;  // Content-Type
  std::string_view body;
};

// The asset served at `path` ("/" is the page), null if none.
const Asset* find_asset(std::string_view path);

namespace detail {
struct EmbeddedFile {
  std::string_view name, body;
};
extern const EmbeddedFile kEmbedded[];
extern const std::size_t kEmbeddedCount;
}  // namespace detail

}  // namespace ot::dash
