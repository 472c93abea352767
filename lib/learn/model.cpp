#include "learn/model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "net/crypto.h"

namespace ot::learn {
namespace {

constexpr std::string_view kMagic = "optitrade-model 1";

std::string_view activation_name(Activation a) {
  switch (a) {
    case Activation::relu:
      return "relu";
    case Activation::tanh:
      return "tanh";
    case Activation::linear:
      break;
  }
  return "linear";
}

template <class T>
void append_hex(std::string& out, T v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::hex);
  out.append(buf, end);
}

template <class T>
void append_values(std::string& out, std::string_view key, const std::vector<T>& values) {
  out += key;
  for (T v : values) {
    out += ' ';
    append_hex(out, v);
  }
  out += '\n';
}

void append_words(std::string& out, std::string_view key, const std::vector<std::string>& words) {
  out += key;
  for (const auto& w : words) {
    out += ' ';
    out += w;
  }
  out += '\n';
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += ' ';
  out += value;
  out += '\n';
}

// A line's words after its key.
std::vector<std::string_view> words(std::string_view rest) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    const std::size_t j = std::min(rest.find(' ', i), rest.size());
    if (j > i) out.push_back(rest.substr(i, j - i));
    i = j;
  }
  return out;
}

template <class T>
bool parse_number(std::string_view s, T& v) {
  const char* end = s.data() + s.size();
  std::from_chars_result r;
  if constexpr (std::is_floating_point_v<T>) {
    r = std::from_chars(s.data(), end, v, std::chars_format::hex);
    if (r.ec == std::errc() && r.ptr == end && !std::isfinite(v)) return false;
  } else {
    r = std::from_chars(s.data(), end, v);
  }
  return r.ec == std::errc() && r.ptr == end;
}

template <class T>
bool parse_values(std::string_view rest, std::vector<T>& out) {
  out.clear();
  for (std::string_view w : words(rest)) {
    T v{};
    if (!parse_number(w, v)) return false;
    out.push_back(v);
  }
  return true;
}

}  // namespace

std::string content_hash(std::string_view text) { return net::sha256_hex(text); }

std::string model_hash(const Model& m) {
  const std::string text = serialize(m);
  return text.substr(text.size() - 65, 64);
}

std::string serialize(const Model& m) {
  std::string out;
  out += kMagic;
  out += '\n';
  append_field(out, "kind", m.kind);
  append_field(out, "target", m.target);
  append_field(out, "features", m.features);
  append_words(out, "names", m.names);
  append_field(out, "horizon_ns", std::to_string(m.horizon));
  append_field(out, "step_ns", std::to_string(m.step));
  append_field(out, "train_from_ns", std::to_string(m.train_from));
  append_field(out, "train_to_ns", std::to_string(m.train_to));
  append_field(out, "data_sha256", m.data_sha256);
  append_field(out, "seed", std::to_string(m.seed));
  append_field(out, "expires_ns", std::to_string(m.expires));
  for (const auto& [k, v] : m.info) append_field(out, "info", k + " " + v);
  append_values(out, "mean", m.mean);
  append_values(out, "scale", m.scale);
  append_values(out, "lo", m.lo);
  append_values(out, "hi", m.hi);
  if (!m.actions.empty()) append_words(out, "actions", m.actions);
  for (const Layer& l : m.layers) {
    std::string head = std::to_string(l.in);
    head += ' ';
    head += std::to_string(l.out);
    head += ' ';
    head += activation_name(l.activation);
    append_field(out, "layer", head);
    append_values(out, "w", l.w);
    append_values(out, "b", l.b);
  }
  const std::string hash = content_hash(out);
  append_field(out, "sha256", hash);
  return out;
}

Result<Model> parse_model(std::string_view text) {
  Model m;
  std::size_t pos = 0, line_no = 0;
  bool magic = false, hashed = false;
  auto fail = [&](const std::string& what) {
    return Error(ErrorCode::corrupt, "line " + std::to_string(line_no) + ": " + what);
  };
  while (pos < text.size()) {
    const std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) {
      ++line_no;
      return fail("no newline at the end (file cut short?)");
    }
    const std::string_view line = text.substr(pos, eol - pos);
    const std::size_t line_start = pos;
    pos = eol + 1;
    ++line_no;
    if (hashed) return fail("text after the sha256 line");
    if (!magic) {
      if (line != kMagic)
        return fail("not an optitrade model file (expected '" + std::string(kMagic) + "')");
      magic = true;
      continue;
    }
    const std::size_t sp = line.find(' ');
    const std::string_view key = line.substr(0, sp);
    const std::string_view rest = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    bool ok = true;
    if (key == "kind") {
      m.kind = rest;
      ok = m.kind == "supervised" || m.kind == "rl";
    } else if (key == "target") {
      m.target = rest;
    } else if (key == "features") {
      m.features = rest;
    } else if (key == "names") {
      for (auto w : words(rest)) m.names.emplace_back(w);
    } else if (key == "actions") {
      for (auto w : words(rest)) m.actions.emplace_back(w);
    } else if (key == "horizon_ns") {
      ok = parse_number(rest, m.horizon);
    } else if (key == "step_ns") {
      ok = parse_number(rest, m.step) && m.step >= 0;
    } else if (key == "train_from_ns") {
      ok = parse_number(rest, m.train_from);
    } else if (key == "train_to_ns") {
      ok = parse_number(rest, m.train_to);
    } else if (key == "data_sha256") {
      m.data_sha256 = rest;
    } else if (key == "seed") {
      ok = parse_number(rest, m.seed);
    } else if (key == "expires_ns") {
      ok = parse_number(rest, m.expires);
    } else if (key == "info") {
      const std::size_t s = rest.find(' ');
      ok = s != std::string_view::npos;
      if (ok) m.info.emplace_back(std::string(rest.substr(0, s)), std::string(rest.substr(s + 1)));
    } else if (key == "mean" || key == "scale" || key == "lo" || key == "hi") {
      auto& v = key == "mean" ? m.mean : key == "scale" ? m.scale : key == "lo" ? m.lo : m.hi;
      ok = parse_values(rest, v) && v.size() == m.names.size();
    } else if (key == "layer") {
      const auto w = words(rest);
      Layer l;
      ok = w.size() == 3 && parse_number(w[0], l.in) && parse_number(w[1], l.out) && l.in > 0 &&
           l.out > 0 && l.in <= 65536 && l.out <= 65536;
      if (ok && w[2] == "relu")
        l.activation = Activation::relu;
      else if (ok && w[2] == "tanh")
        l.activation = Activation::tanh;
      else if (ok && w[2] != "linear")
        ok = false;
      const std::size_t want_in = m.layers.empty() ? m.names.size() : m.layers.back().out;
      if (ok && l.in != want_in) {
        return fail("layer takes " + std::to_string(l.in) + " inputs, " + std::to_string(want_in) +
                    " come in");
      }
      if (ok) m.layers.push_back(std::move(l));
    } else if (key == "w" || key == "b") {
      ok = !m.layers.empty();
      if (ok) {
        Layer& l = m.layers.back();
        auto& v = key == "w" ? l.w : l.b;
        ok = parse_values(rest, v) && v.size() == (key == "w" ? l.in * l.out : l.out);
      }
    } else if (key == "sha256") {
      const std::string want = content_hash(text.substr(0, line_start));
      if (rest != want) return fail("content hash mismatch (the file was altered)");
      hashed = true;
    } else {
      return fail("unknown field '" + std::string(key) + "'");
    }
    if (!ok) return fail("bad " + std::string(key));
  }
  if (!magic) return Error(ErrorCode::corrupt, "empty model file");
  if (!hashed) return Error(ErrorCode::corrupt, "no sha256 line (file cut short?)");
  if (m.names.empty() || m.mean.size() != m.names.size() || m.scale.size() != m.names.size() ||
      m.lo.size() != m.names.size() || m.hi.size() != m.names.size()) {
    return Error(ErrorCode::corrupt, "feature names and statistics missing or of different sizes");
  }
  for (double s : m.scale) {
    if (!(s > 0)) return Error(ErrorCode::corrupt, "a feature scale that is not positive");
  }
  if (m.layers.empty() || m.layers.back().w.size() != m.layers.back().in * m.layers.back().out ||
      m.layers.back().b.size() != m.layers.back().out) {
    return Error(ErrorCode::corrupt, "no complete layer");
  }
  for (const Layer& l : m.layers) {
    if (l.w.size() != l.in * l.out || l.b.size() != l.out) {
      return Error(ErrorCode::corrupt, "a layer without its weights");
    }
  }
  if (!m.actions.empty() && m.actions.size() != m.outputs()) {
    return Error(ErrorCode::corrupt, "actions and outputs differ in number");
  }
  return m;
}

Result<std::string> save_model(const std::string& path, const Model& m) {
  const std::string text = serialize(m);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return os_error(tmp, errno);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.flush();
    if (!f) return os_error(tmp, errno);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return os_error(path, errno);
  return text.substr(text.size() - 65, 64);
}

Result<Model> load_model(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return os_error(path, errno);
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) return os_error(path, errno);
  auto m = parse_model(s.str());
  if (!m) return m.error().within(path);
  return m;
}

Forward::Forward(const Model& m) : m_(m) {
  std::size_t widest = m.inputs();
  for (const Layer& l : m.layers) {
    widest = std::max(widest, l.out);
    std::vector<float> t(l.in * l.out);
    for (std::size_t o = 0; o < l.out; ++o) {
      for (std::size_t i = 0; i < l.in; ++i) t[i * l.out + o] = l.w[o * l.in + i];
    }
    by_input_.push_back(std::move(t));
  }
  a_.resize(widest);
  b_.resize(widest);
}

std::span<const float> Forward::run(std::span<const double> features) {
  const std::size_t n = m_.inputs();
  for (std::size_t i = 0; i < n; ++i) {
    a_[i] = static_cast<float>((features[i] - m_.mean[i]) / m_.scale[i]);
  }
  return run_normalised(std::span<const float>(a_.data(), n));
}

std::span<const float> Forward::run_normalised(std::span<const float> x) {
  const float* in = x.data();
  float* out = in == a_.data() ? b_.data() : a_.data();
  for (std::size_t k = 0; k < m_.layers.size(); ++k) {
    const Layer& l = m_.layers[k];
    const float* w = by_input_[k].data();
    std::copy(l.b.begin(), l.b.end(), out);
    for (std::size_t i = 0; i < l.in; ++i, w += l.out) {
      const float xi = in[i];
      for (std::size_t o = 0; o < l.out; ++o) out[o] += w[o] * xi;
    }
    switch (l.activation) {
      case Activation::relu:
        for (std::size_t o = 0; o < l.out; ++o) out[o] = out[o] > 0 ? out[o] : 0;
        break;
      case Activation::tanh:
        for (std::size_t o = 0; o < l.out; ++o) out[o] = std::tanh(out[o]);
        break;
      case Activation::linear:
        break;
    }
    in = out;
    out = out == a_.data() ? b_.data() : a_.data();
  }
  return {in, m_.outputs()};
}

}  // namespace ot::learn
