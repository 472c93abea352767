#include "store/record_key.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "core/json_in.h"
#include "io/capture_line.h"
#include "venues/venue.h"

namespace ot {

struct EventKeyReader::Impl {
  simdjson::ondemand::parser parser;
  std::string venue, symbol, type;
};

EventKeyReader::EventKeyReader() : impl_(std::make_unique<Impl>()) {}
EventKeyReader::~EventKeyReader() = default;

Result<> EventKeyReader::key(std::string_view line, Nanos fallback, RecordKey& out) {
  using namespace simdjson;
  auto& m = *impl_;
  m.venue.clear();
  m.symbol.clear();
  m.type.clear();
  std::optional<Nanos> ts, recv;
  auto why = [](std::string_view at) -> std::string {
    if (at.empty()) return "not a JSON object";
    if (at == "ts" || at == "recv")
      return fmt::format("\"{}\" is not an integer (nanoseconds)", at);
    if (at == "type" || at == "venue" || at == "symbol") {
      return fmt::format("\"{}\" is not a string", at);
    }
    return fmt::format("malformed JSON after \"{}\"", at);
  };
  std::string_view at;  // the field being read
  ondemand::document doc;
  ondemand::object obj;
  if (m.parser.iterate(padded_string_view(line, line.size() + 64)).get(doc) ||
      doc.get_object().get(obj)) {
    return Error(ErrorCode::corrupt, why(at));
  }
  for (auto field : obj) {
    std::string_view k, text;
    if (field.unescaped_key().get(k)) return Error(ErrorCode::corrupt, why(at));
    at = k;
    error_code e = SUCCESS;
    if (k == "type" || k == "venue" || k == "symbol") {
      e = string_text(field.value(), text);
      (k == "type" ? m.type : k == "venue" ? m.venue : m.symbol).assign(text);
    } else if (k == "recv") {
      e = read(field.value(), recv);
    } else if (k == "ts") {
      e = read(field.value(), ts);
    }
    if (e) return Error(ErrorCode::corrupt, why(at));
  }
  if (m.type.empty()) return Error(ErrorCode::corrupt, "event without a string \"type\"");
  out.venue = m.venue;
  out.symbol = m.symbol;
  out.type = m.type;
  out.time = recv ? *recv : ts ? *ts : fallback;
  return {};
}

namespace {

// Remembers the first event's venue and symbol.
class FirstSymbol final : public EventListener {
 public:
  void reset() { found = false; }
  void on_book(const BookUpdate& u) override { take(u.venue, u.symbol); }
  void on_trade(const Trade& t) override { take(t.venue, t.symbol); }
  void on_quote(const Quote& q) override { take(q.venue, q.symbol); }
  void on_ticker(const Ticker& t) override { take(t.venue, t.symbol); }
  void on_status(const Status&) override {}
  bool found = false;
  std::string venue, symbol;

 private:
  void take(std::string_view v, std::string_view s) {
    if (found || s.empty()) return;
    found = true;
    venue.assign(v);
    symbol.assign(s);
  }
};

}  // namespace

struct RawKeyReader::Impl {
  std::string venue;
  std::unique_ptr<FrameParser> parser;
  FirstSymbol first;
  Nanos last = 0;
};

RawKeyReader::RawKeyReader(std::string venue) : impl_(std::make_unique<Impl>()) {
  impl_->venue = std::move(venue);
}
RawKeyReader::~RawKeyReader() = default;

Result<> RawKeyReader::key(std::string_view line, RecordKey& out) {
  auto& m = *impl_;
  out.type = "raw";
  out.symbol = {};
  if (line.empty()) {
    out.venue = m.parser ? m.parser->venue() : std::string_view(m.venue);
    out.time = m.last;
    return {};
  }
  Nanos recv = 0;
  std::string_view frame;
  if (!split_capture_line(line, recv, frame)) {
    return Error(ErrorCode::corrupt,
                 "not a capture line (expected 'YYYY-MM-DDTHH:MM:SS.fffffffZ <frame>')");
  }
  if (!m.parser) {
    if (m.venue.empty()) {
      m.parser = make_detected_parser(frame);
    } else if (const Venue* v = find_venue(m.venue)) {
      m.parser = v->make_parser();
    }
    if (!m.parser) {
      return Error(ErrorCode::invalid_argument,
                   m.venue.empty() ? "cannot tell the venue from the first frame (use --venue)"
                                   : "unknown venue '" + m.venue + "'");
    }
  }
  m.last = recv;
  m.first.reset();
  m.parser->parse(frame, recv, m.first);
  out.time = recv;
  out.venue = m.first.found ? std::string_view(m.first.venue) : m.parser->venue();
  if (m.first.found) out.symbol = m.first.symbol;
  return {};
}

}  // namespace ot
