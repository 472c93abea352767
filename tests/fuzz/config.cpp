// What users and venues hand over as files: the risk limits TOML, a
// strategy's TOML section, the venues' instruments lists (OKX, Binance
// COIN-M), contract-size specs, nats:// endpoints and learned models'
// files. Each is taken or refused with a reason; a NATS subject token reads
// back as its text; a model taken writes out as text that reads back to the
// same model, and runs.
#include <unistd.h>

#include <cstdio>

#include "fuzz.h"
#include "io/nats.h"
#include "learn/model.h"
#include "risk/limits.h"
#include "strat/strategy.h"
#include "venues/venue.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const unsigned what = ot::fuzz::pick(data, size, 7);
  const std::string text(reinterpret_cast<const char*>(data), size);
  switch (what) {
    case 0: {
      const auto limits = ot::parse_limits(text);
      if (!limits && limits.error().message().empty()) {
        ot::fuzz::fail("limits refused without a reason");
      }
      break;
    }
    case 1: {
      static const std::string path = [] {
        char t[] = "/tmp/ot-fuzz-config-XXXXXX";
        const int fd = ::mkstemp(t);
        if (fd >= 0) ::close(fd);
        return std::string(t);
      }();
      if (FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(text.data(), 1, text.size(), f);
        std::fclose(f);
      }
      double gamma = 0.1;
      std::int64_t levels = 1;
      std::string symbol;
      ot::Decimal qty{1, 0};
      bool post_only = false;
      ot::Params params;
      params.add("gamma", gamma, "");
      params.add("levels", levels, "");
      params.add("symbol", symbol, "");
      params.add("qty", qty, "");
      params.add("post_only", post_only, "");
      const auto loaded = ot::load_strategy_config(path, "mm", params);
      if (!loaded && loaded.error().message().empty()) {
        ot::fuzz::fail("strategy config refused without a reason");
      }
      break;
    }
    case 2:
    case 3: {
      const ot::Venue* v = ot::find_venue(what == 2 ? "okx" : "binance-delivery");
      std::size_t sizes = 0;
      const auto read = v->read_contract_sizes(text, [&](std::string_view, const ot::Decimal& s) {
        if (s.mantissa <= 0) ot::fuzz::fail("a contract size that is not positive");
        ++sizes;
      });
      if (!read && read.error().message().empty()) {
        ot::fuzz::fail("an instruments list refused without a reason");
      }
      break;
    }
    case 4: {
      const auto e = ot::parse_nats_uri(text);
      if (!e && e.error().message().empty()) ot::fuzz::fail("an endpoint refused without a reason");
      const std::string token = ot::nats_token(text);
      if (token.find_first_of(".*> \t\r\n") != std::string::npos) {
        ot::fuzz::fail("a subject token with a reserved byte");
      }
      if (ot::nats_untoken(token) != text)
        ot::fuzz::fail("a subject token that does not read back");
      (void)ot::nats_message_id(text);
      break;
    }
    case 6: {
      const auto m = ot::learn::parse_model(text);
      if (!m) {
        if (m.error().message().empty()) ot::fuzz::fail("a model refused without a reason");
        break;
      }
      const std::string again = ot::learn::serialize(*m);
      const auto back = ot::learn::parse_model(again);
      if (!back || ot::learn::serialize(*back) != again) {
        ot::fuzz::fail("a model that does not read back as written");
      }
      ot::learn::Forward f(*m);
      const std::vector<double> zeros(m->inputs(), 0.0);
      if (f.run(zeros).size() != m->outputs()) ot::fuzz::fail("a forward pass of the wrong size");
      break;
    }
    default:
      // "VENUE:SYMBOL=SIZE": taken only with a positive size.
      if (ot::set_contract_size(text)) {
        const auto eq = text.rfind('=');
        const auto s = ot::Decimal::parse(std::string_view(text).substr(eq + 1));
        if (!s || s->mantissa <= 0) ot::fuzz::fail("a contract size spec taken with a bad size");
      }
      break;
  }
  return 0;
}
