// Calibration: evaluation of the float graph on samples with per-tensor statistics, and the
// minmax / percentile / MSE range choices (docs/quantization.md explains each).
#include "compiler/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "compiler/evaluator.h"

namespace tinyaot::calib {

namespace {

constexpr int kBins = 2048;

// Runs the graph on one sample and hands every float run-time tensor's value to `visit`.
void run_sample(const ir::Graph& g, const Sample& s,
                const std::function<void(const ir::Tensor*, const ir::Value&)>& visit) {
  std::map<const ir::Tensor*, ir::Value> env;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    env[g.inputs[i]] = s[i];
    if (g.inputs[i]->dtype == ir::DType::F32) visit(g.inputs[i], s[i]);
  }
  for (auto& n : g.nodes()) {
    std::vector<const ir::Value*> in;
    for (ir::Tensor* t : n->inputs) {
      if (!t) {
        in.push_back(nullptr);
      } else if (t->is_constant()) {
        in.push_back(t->value.get());
      } else {
        auto it = env.find(t);
        if (it == env.end())
          throw CompileError(fmt::format("tensor '{}' used before it is computed", t->name));
        in.push_back(&it->second);
      }
    }
    auto out = evaluate_node(*n, in);
    for (size_t i = 0; i < out.size(); ++i) {
      ir::Tensor* t = n->outputs[i];
      if (!t) continue;
      if (t->dtype == ir::DType::F32) visit(t, out[i]);
      env[t] = std::move(out[i]);
    }
  }
}

struct Progress {
  std::ostream* os;
  size_t total;
  const char* what;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), last = start;
  bool printed = false;
  void step(size_t done) {
    if (!os) return;
    auto now = std::chrono::steady_clock::now();
    if (now - start < std::chrono::seconds(1) || (now - last < std::chrono::seconds(1) && done < total))
      return;
    last = now;
    printed = true;
    *os << fmt::format("tinyaot: calibrating ({}): {}/{} samples\n", what, done, total) << std::flush;
  }
};

}  // namespace

Method parse_method(const std::string& s) {
  if (s == "minmax") return Method::MinMax;
  if (s == "percentile") return Method::Percentile;
  if (s == "mse") return Method::Mse;
  throw UsageError(fmt::format("--calibrate '{}': expected minmax, percentile or mse", s));
}

std::vector<Sample> split_samples(const ir::Graph& g, const std::vector<ir::Value>& arrays,
                                  const std::vector<std::string>& sources) {
  if (arrays.size() != g.inputs.size())
    throw CompileError(
        fmt::format("--calibration: the model has {} graph input(s) and needs one .npy per input "
                    "(in graph input order), got {}",
                    g.inputs.size(), arrays.size()));
  int64_t count = -1;
  for (size_t i = 0; i < arrays.size(); ++i) {
    const ir::Tensor* in = g.inputs[i];
    const ir::Value& a = arrays[i];
    const std::string src = i < sources.size() ? sources[i] : fmt::format("array {}", i);
    if (a.dtype != in->dtype)
      throw CompileError(fmt::format("--calibration {}: input '{}' is {}, the file holds {}", src, in->name,
                                     ir::dtype_name(in->dtype), ir::dtype_name(a.dtype)));
    ir::Shape rest = a.shape.empty() ? ir::Shape{} : ir::Shape(a.shape.begin() + 1, a.shape.end());
    const bool full = rest == in->shape;
    const bool folded =
        !in->shape.empty() && in->shape[0] == 1 && rest == ir::Shape(in->shape.begin() + 1, in->shape.end());
    if (a.shape.empty() || (!full && !folded))
      throw CompileError(fmt::format(
          "--calibration {}: input '{}' has shape {}; expected [N, {}] (first axis = "
          "samples), got [{}]",
          src, in->name, ir::shape_str(in->shape), fmt::join(in->shape, ", "), fmt::join(a.shape, ", ")));
    if (a.shape[0] < 1) throw CompileError(fmt::format("--calibration {}: no samples", src));
    if (count >= 0 && a.shape[0] != count)
      throw CompileError(
          fmt::format("--calibration {}: {} samples, but the first file has {}", src, a.shape[0], count));
    count = a.shape[0];
  }
  std::vector<Sample> out(static_cast<size_t>(count));
  for (size_t i = 0; i < arrays.size(); ++i) {
    const size_t bytes = g.inputs[i]->bytes();
    for (int64_t k = 0; k < count; ++k) {
      ir::Value v(g.inputs[i]->dtype, g.inputs[i]->shape);
      std::memcpy(v.bytes.data(), arrays[i].bytes.data() + static_cast<size_t>(k) * bytes, bytes);
      out[static_cast<size_t>(k)].push_back(std::move(v));
    }
  }
  return out;
}

std::map<const ir::Tensor*, Range> calibrate(const ir::Graph& g, const std::vector<Sample>& samples, Method m,
                                             std::ostream* progress) {
  std::map<const ir::Tensor*, Range> mm;
  Progress p{progress, samples.size(), "min/max"};
  for (size_t k = 0; k < samples.size(); ++k) {
    run_sample(g, samples[k], [&](const ir::Tensor* t, const ir::Value& v) {
      auto [it, fresh] = mm.try_emplace(t, Range{INFINITY, -INFINITY});
      (void)fresh;
      const float* d = v.data<float>();
      for (int64_t i = 0; i < v.numel(); ++i)
        if (std::isfinite(d[i]))
          it->second.lo = std::min(it->second.lo, d[i]), it->second.hi = std::max(it->second.hi, d[i]);
    });
    p.step(k + 1);
  }
  // Zero must be representable (padding, Relu, zero points); empty/non-finite ranges become [0, 0].
  for (auto& [t, r] : mm) {
    if (!(r.lo <= r.hi)) r = Range{0, 0};
    r.lo = std::min(r.lo, 0.0f), r.hi = std::max(r.hi, 0.0f);
  }
  if (m == Method::MinMax) return mm;

  std::map<const ir::Tensor*, std::vector<double>> hist;
  Progress p2{progress, samples.size(), m == Method::Percentile ? "percentile histograms" : "mse histograms"};
  for (size_t k = 0; k < samples.size(); ++k) {
    run_sample(g, samples[k], [&](const ir::Tensor* t, const ir::Value& v) {
      const Range r = mm.at(t);
      if (r.hi <= r.lo) return;
      auto& h = hist[t];
      h.resize(kBins);
      const float* d = v.data<float>();
      const double w = (static_cast<double>(r.hi) - r.lo) / kBins;
      for (int64_t i = 0; i < v.numel(); ++i) {
        if (!std::isfinite(d[i])) continue;
        const int b = std::clamp(static_cast<int>((d[i] - static_cast<double>(r.lo)) / w), 0, kBins - 1);
        h[static_cast<size_t>(b)] += 1;
      }
    });
    p2.step(k + 1);
  }
  for (auto& [t, h] : hist) {
    Range& r = mm.at(t);
    r = m == Method::Percentile ? percentile_range(h, r.lo, r.hi, 99.99) : mse_range(h, r.lo, r.hi);
    r.lo = std::min(r.lo, 0.0f), r.hi = std::max(r.hi, 0.0f);
  }
  return mm;
}

Range percentile_range(const std::vector<double>& counts, float lo, float hi, double pct) {
  double total = 0;
  for (double c : counts) total += c;
  const size_t n = counts.size();
  if (total <= 0 || n == 0) return {lo, hi};
  const double w = (static_cast<double>(hi) - lo) / static_cast<double>(n);
  const double cut = total * (100.0 - pct) / 100.0;  // mass allowed beyond each end
  size_t a = 0, b = n - 1;
  for (double acc = 0; a < n; ++a) {
    if (acc + counts[a] > cut) break;
    acc += counts[a];
  }
  for (double acc = 0; b > a; --b) {
    if (acc + counts[b] > cut) break;
    acc += counts[b];
  }
  return {static_cast<float>(lo + w * static_cast<double>(a)),
          static_cast<float>(lo + w * static_cast<double>(b + 1))};
}

namespace {

// Expected squared error of quantizing the histogram (bin centres) with the range r.
double histogram_mse(const std::vector<double>& counts, float lo, float hi, Range r) {
  float s;
  int32_t z;
  asymmetric_params(r, s, z);
  const double w = (static_cast<double>(hi) - lo) / static_cast<double>(counts.size());
  double err = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const double c = lo + w * (static_cast<double>(i) + 0.5);
    const double q = std::clamp(std::nearbyint(c / s) + z, -128.0, 127.0);
    const double d = c - (q - z) * s;
    err += counts[i] * d * d;
  }
  return err;
}

}  // namespace

Range mse_range(const std::vector<double>& counts, float lo, float hi) {
  // Shrinks each end independently towards zero in steps of 2% of its extent and keeps the
  // pair with the lowest expected error: clipping rare outliers buys a finer step for the rest.
  Range best{lo, hi};
  double best_err = histogram_mse(counts, lo, hi, best);
  for (int i = 0; i <= 40; ++i)
    for (int j = 0; j <= 40; ++j) {
      const Range r{lo * (1.0f - 0.02f * static_cast<float>(i)), hi * (1.0f - 0.02f * static_cast<float>(j))};
      if (!(r.hi > r.lo)) continue;
      const double e = histogram_mse(counts, lo, hi, r);
      if (e < best_err) best_err = e, best = r;
    }
  return best;
}

void asymmetric_params(Range r, float& scale, int32_t& zero_point) {
  const double lo = std::min(0.0f, r.lo), hi = std::max(0.0f, r.hi);
  double s = (hi - lo) / 255.0;
  // A constant-zero tensor still needs a usable scale; tiny ranges are widened so that the
  // integer requantization multipliers stay in range.
  if (!(s >= 1e-8)) s = s > 0 ? 1e-8 : 1.0;
  scale = static_cast<float>(s);
  const double z = std::nearbyint(-128.0 - lo / static_cast<double>(scale));
  zero_point = static_cast<int32_t>(std::clamp(z, -128.0, 127.0));
}

}  // namespace tinyaot::calib
