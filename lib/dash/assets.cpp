#include "dash/assets.h"

#include <array>

namespace ot::dash {

namespace {

std::string_view embedded(std::string_view name) {
  for (std::size_t i = 0; i < detail::kEmbeddedCount; ++i) {
    if (detail::kEmbedded[i].name == name) return detail::kEmbedded[i].body;
  }
  return {};
}

}  // namespace

const Asset* find_asset(std::string_view path) {
  static const std::array<Asset, 5> assets = {{
      {"/", "text/html; charset=utf-8", embedded("index.html")},
      {"/index.html", "text/html; charset=utf-8", embedded("index.html")},
      {"/app.js", "text/javascript; charset=utf-8", embedded("app.js")},
      {"/style.css", "text/css; charset=utf-8", embedded("style.css")},
      {"/lightweight-charts.js", "text/javascript; charset=utf-8",
       embedded("lightweight-charts.standalone.production.js")},
  }};
  for (const Asset& a : assets) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

}  // namespace ot::dash
