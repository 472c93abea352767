// A learned model as ot-train writes it and `ot-strat learned` serves it:
// a small multilayer perceptron over the online features of
// features/features.h, with everything needed to use it safely kept beside
// the weights: the feature set and its version, the normalisation, the
// ranges seen in training, the training data's time range and hash, the
// seed, an expiry, and a content hash.
//
// The file is text, one field per line, so that `diff` and `grep` work on
// it, and exact: every number is written in hexadecimal floating point
// (std::to_chars' hex format), so a model read back is the model written,
// bit for bit, and the same model always gives the same bytes.
//
//   optitrade-model 1
//   kind supervised                 (supervised: a prediction; rl: action values)
//   target move_bps                 (what the outputs mean)
//   features v1 depths=1,5,10 ...   (features::describe())
//   names spread_bps micro_mid_bps ...
//   horizon_ns 10000000000
//   step_ns 1000000000              (the sampling clock; rl policies act on it)
//   train_from_ns ... / train_to_ns ...
//   data_sha256 <64 hex digits>     (of the training data's bytes)
//   seed 1
//   expires_ns 0                    (0: never)
//   info KEY VALUE                  (trainer settings and metrics, any number)
//   mean / scale / lo / hi          (one value per feature)
//   actions A B C                   (rl: the actions' names, one per output)
//   layer IN OUT ACTIVATION         (then `w` with OUT×IN values, row by row,
//   w ... / b ...                    and `b` with OUT values)
//   sha256 <64 hex digits>          (of every byte before this line)
//
// The network: x = (features − mean) / scale, then each layer
// y = act(W x + b), in single precision as libtorch trains it.
//
// Threading: a Model is a value; Forward is for one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace ot::learn {

enum class Activation { linear, relu, tanh };

struct Layer {
  std::size_t in = 0, out = 0;
  Activation activation = Activation::linear;
  std::vector<float> w;  // out × in, row by row
  std::vector<float> b;  // out
};

struct Model {
  std::string kind = "supervised";  // or "rl"
  std::string target = "move_bps";
  std::string features;  // features::describe() of the set it was trained on
  std::vector<std::string> names;
  std::vector<double> mean, scale;   // normalisation, per feature
  std::vector<double> lo, hi;        // the range each feature had in training
  std::vector<std::string> actions;  // rl: one name per output
  Nanos horizon = 0;
  Nanos step = 0;  // the clock it was sampled on (0: unknown)
  Nanos train_from = 0, train_to = 0;
  std::string data_sha256;
  std::uint64_t seed = 0;
  Nanos expires = 0;  // 0: never
  std::vector<std::pair<std::string, std::string>> info;
  std::vector<Layer> layers;

  std::size_t inputs() const { return names.size(); }
  std::size_t outputs() const { return layers.empty() ? 0 : layers.back().out; }
};

// The model's file text, ending with its sha256 line. The same model gives
// the same bytes.
std::string serialize(const Model& m);
// The model's content hash: the value of its file's sha256 line.
std::string model_hash(const Model& m);
// The content hash of a file text (the value its sha256 line carries).
std::string content_hash(std::string_view text);
// A model from file text. corrupt, with the line, for text that does not
// parse, shapes that do not fit, or a hash that does not match (the file
// was altered or cut short).
Result<Model> parse_model(std::string_view text);

// Writes serialize(m) to `path` (through a temporary file and a rename, so
// a reader never sees half a model); the content hash on success.
Result<std::string> save_model(const std::string& path, const Model& m);
// Reads and parses a model file; not_found / io_error / corrupt.
Result<Model> load_model(const std::string& path);

// The network's forward pass, with its buffers allocated once: no
// allocation per call.
class Forward {
 public:
  explicit Forward(const Model& m);
  // Normalises `features` (inputs() values) and runs the layers; the
  // outputs (outputs() values) are valid until the next call.
  std::span<const float> run(std::span<const double> features);
  // The network alone on already normalised inputs.
  std::span<const float> run_normalised(std::span<const float> x);

 private:
  const Model& m_;
  // Each layer's weights by input (in × out): the inner loop runs over the
  // outputs, which the compiler vectorises, and each output still sums its
  // inputs in order.
  std::vector<std::vector<float>> by_input_;
  std::vector<float> a_, b_;
};

}  // namespace ot::learn
