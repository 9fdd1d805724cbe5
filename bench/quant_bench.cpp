// Quantization figures (not a timed test): `accuracy` quantizes the Fashion-MNIST zoo CNN with
// --quantize int8 on training images and prints float and int8 top-1 accuracy on the test set
// side by side, with weight bytes; `sqnr` quantizes ONNX test-case models on their own test
// inputs plus seeded noise and prints each output's SQNR against the float model.
// Both evaluate the final optimised graphs (the ones code is generated from) with the reference
// evaluator; the generated int8 kernels are bit-exact with it (tests/ops, verify).
// Usage:
//   tinyaot_bench_quant accuracy [--model M.onnx] [--data DIR] [--calib N] [--test N]
//                                [--calibrate minmax|percentile|mse] [--max-drop PP]
//   tinyaot_bench_quant sqnr [--min-sqnr DB] CASE_DIR...
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/driver.h"
#include "compiler/evaluator.h"

using namespace tinyaot;
namespace fs = std::filesystem;

namespace {

// Reads a gzip-compressed IDX file through `gzip -dc` (the dataset ships compressed).
std::string read_gz(const std::string& path) {
  if (!fs::exists(path))
    throw UsageError(fmt::format("{} not found (Debian package dataset-fashion-mnist)", path));
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(("gzip -dc '" + path + "'").c_str(), "r"), pclose);
  if (!p) throw UsageError("cannot run gzip");
  std::string out;
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p.get())) > 0;) out.append(buf, n);
  return out;
}

uint32_t be32(const std::string& s, size_t o) {
  return static_cast<uint32_t>(static_cast<unsigned char>(s[o])) << 24 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[o + 1])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[o + 2])) << 8 |
         static_cast<unsigned char>(s[o + 3]);
}

// IDX3 images as the model's input: float32 [N, 1, 28, 28], pixel / 255 (models/fashion_mnist).
ir::Value load_images(const std::string& path, int64_t limit) {
  const std::string d = read_gz(path);
  if (d.size() < 16 || be32(d, 0) != 2051) throw UsageError(path + ": not an IDX3 image file");
  const int64_t n = std::min<int64_t>(be32(d, 4), limit), rows = be32(d, 8), cols = be32(d, 12);
  if (d.size() < 16 + static_cast<size_t>(n * rows * cols)) throw UsageError(path + ": truncated");
  ir::Value v(ir::DType::F32, {n, 1, rows, cols});
  for (int64_t i = 0; i < n * rows * cols; ++i)
    v.data<float>()[i] =
        static_cast<float>(static_cast<unsigned char>(d[16 + static_cast<size_t>(i)])) / 255.0f;
  return v;
}

std::vector<int> load_labels(const std::string& path, int64_t limit) {
  const std::string d = read_gz(path);
  if (d.size() < 8 || be32(d, 0) != 2049) throw UsageError(path + ": not an IDX1 label file");
  const int64_t n = std::min<int64_t>(be32(d, 4), limit);
  std::vector<int> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(static_cast<unsigned char>(d[8 + static_cast<size_t>(i)]));
  return out;
}

ir::Value slice(const ir::Value& all, int64_t i, const ir::Shape& shape) {
  ir::Value v(all.dtype, shape);
  std::memcpy(v.bytes.data(), all.bytes.data() + static_cast<size_t>(i) * v.bytes.size(), v.bytes.size());
  return v;
}

int argmax(const ir::Value& v) {
  int best = 0;
  for (int64_t i = 1; i < v.numel(); ++i)
    if (v.get_f64(i) > v.get_f64(best)) best = static_cast<int>(i);
  return best;
}

CompileResult compile_quiet(const CompileOptions& co) {
  std::ostringstream dump;
  return compile_model(co, dump);
}

int accuracy(int argc, char** argv) {
  std::string model = std::string(TINYAOT_SOURCE_DIR) + "/models/fashion_mnist/model.onnx";
  std::string data = "/usr/share/datasets/fashion-mnist", method = "minmax";
  int64_t ncal = 500, ntest = 10000;
  double max_drop = -1;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--model")
      model = v;
    else if (a == "--data")
      data = v;
    else if (a == "--calib")
      ncal = std::stoll(v);
    else if (a == "--test")
      ntest = std::stoll(v);
    else if (a == "--calibrate")
      method = v;
    else if (a == "--max-drop")
      max_drop = std::stod(v);
    else
      throw UsageError("unknown option " + a);
  }
  if (!fs::exists(data + "/t10k-images-idx3-ubyte.gz")) {
    std::cerr << data << ": Fashion-MNIST not installed (apt-get install dataset-fashion-mnist); skipping\n";
    return 77;
  }
  CompileOptions fo;
  fo.model_path = model;
  CompileOptions qo = fo;
  qo.quantize.int8 = true;
  qo.quantize.method = calib::parse_method(method);
  // The first N training images, as [N, 1, 28, 28] (the model input is [1, 1, 28, 28]).
  qo.quantize.calibration_arrays = {load_images(data + "/train-images-idx3-ubyte.gz", ncal)};
  CompileResult f = compile_quiet(fo), q = compile_quiet(qo);
  const ir::Value images = load_images(data + "/t10k-images-idx3-ubyte.gz", ntest);
  const std::vector<int> labels = load_labels(data + "/t10k-labels-idx1-ubyte.gz", ntest);
  const ir::Shape in_shape = f.graph->inputs[0]->shape;
  int64_t ok_f = 0, ok_q = 0, agree = 0;
  const int64_t n = static_cast<int64_t>(labels.size());
  for (int64_t i = 0; i < n; ++i) {
    const ir::Value x = slice(images, i, in_shape);
    const int pf = argmax(evaluate_graph(*f.graph, {x})[0]);
    const int pq = argmax(evaluate_graph(*q.graph, {x})[0]);
    ok_f += pf == labels[static_cast<size_t>(i)];
    ok_q += pq == labels[static_cast<size_t>(i)];
    agree += pf == pq;
  }
  const double af = 100.0 * static_cast<double>(ok_f) / static_cast<double>(n);
  const double aq = 100.0 * static_cast<double>(ok_q) / static_cast<double>(n);
  fmt::print("Fashion-MNIST CNN, {} calibration images (train), {} test images, --calibrate {}\n", ncal, n,
             method);
  fmt::print("{:<8} {:>10} {:>14} {:>10}\n", "model", "top-1 %", "weight bytes", "arena");
  fmt::print("{:<8} {:>10.2f} {:>14} {:>10}\n", "float", af, f.output.weight_bytes, f.output.arena_bytes);
  fmt::print("{:<8} {:>10.2f} {:>14} {:>10}\n", "int8", aq, q.output.weight_bytes, q.output.arena_bytes);
  fmt::print(
      "int8 - float: {:+.2f} percentage points; weights {:.1f}% of float; same top-1 on {:.2f}% of images\n",
      aq - af,
      100.0 * static_cast<double>(q.output.weight_bytes) / static_cast<double>(f.output.weight_bytes),
      100.0 * static_cast<double>(agree) / static_cast<double>(n));
  if (max_drop >= 0 && af - aq > max_drop) {
    fmt::print("FAIL: int8 accuracy is {:.2f} points below float (bound {:.2f})\n", af - aq, max_drop);
    return 1;
  }
  return 0;
}

int sqnr(int argc, char** argv) {
  double min_sqnr = -1e9;
  std::vector<std::string> dirs;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--min-sqnr" && i + 1 < argc)
      min_sqnr = std::stod(argv[++i]);
    else
      dirs.push_back(a);
  }
  int failures = 0;
  fmt::print("{:<26} {:>8} {:>8} {:>10} {:>10} {:>12} {:>12} {}\n", "model", "SQNR dB", "QDQ dB", "float W",
             "int8 W", "float arena", "int8 arena", "int8 ops left float");
  for (const std::string& d : dirs) {
    const std::string name = fs::path(d).filename().string();
    try {
      CompileOptions fo;
      fo.model_path = (fs::path(d) / "model.onnx").string();
      std::vector<std::vector<ir::Value>> inputs;
      for (int s = 0;; ++s) {
        const fs::path set = fs::path(d) / fmt::format("test_data_set_{}", s);
        if (!fs::exists(set)) break;
        inputs.emplace_back();
        for (int k = 0; fs::exists(set / fmt::format("input_{}.pb", k)); ++k)
          inputs.back().push_back(frontend::load_tensor_file((set / fmt::format("input_{}.pb", k)).string()));
      }
      for (auto& v : inputs.empty() ? std::vector<ir::Value>{} : inputs[0])
        fo.import.fallback_input_shapes.push_back(v.shape);
      CompileOptions qo = fo;
      qo.quantize.int8 = true;
      qo.quantize.from_test_data = true;
      CompileResult f = compile_quiet(fo), q = compile_quiet(qo);
      // The same quantization without lower-qdq: the QDQ graph emulated in float, which separates
      // the error of quantization itself from that of the integer lowering.
      CompileOptions eo = qo;
      eo.passes_given = true;
      eo.passes = {"remove-identity", "fold-batchnorm"};
      CompileResult e = compile_quiet(eo);
      double sig = 0, noise = 0, noise_e = 0;
      for (auto& in : inputs) {
        for (size_t k = 0; k < in.size() && k < f.graph->inputs.size(); ++k)
          in[k].shape = f.graph->inputs[k]->shape;
        auto yf = evaluate_graph(*f.graph, in), yq = evaluate_graph(*q.graph, in),
             ye = evaluate_graph(*e.graph, in);
        for (size_t o = 0; o < yf.size(); ++o)
          for (int64_t i = 0; i < yf[o].numel(); ++i) {
            const double a = yf[o].get_f64(i), b = yq[o].get_f64(i), c = ye[o].get_f64(i);
            sig += a * a, noise += (a - b) * (a - b), noise_e += (a - c) * (a - c);
          }
      }
      int float_ops = 0;
      std::string which;
      for (auto& nd : q.graph->nodes()) {
        bool fl = false;
        for (auto* t : nd->outputs) fl = fl || (t && t->dtype == ir::DType::F32);
        if (fl && nd->op != "DequantizeLinear") {
          ++float_ops;
          if (which.find(nd->op) == std::string::npos) which += (which.empty() ? "" : ",") + nd->op;
        }
      }
      const double db = noise > 0 ? 10.0 * std::log10(sig / noise) : INFINITY;
      const double db_e = noise_e > 0 ? 10.0 * std::log10(sig / noise_e) : INFINITY;
      fmt::print("{:<26} {:>8.1f} {:>8.1f} {:>10} {:>10} {:>12} {:>12} {} {}\n", name, db, db_e,
                 f.output.weight_bytes, q.output.weight_bytes, f.output.arena_bytes, q.output.arena_bytes,
                 float_ops, which);
      if (db < min_sqnr) ++failures;
    } catch (const std::exception& e) {
      fmt::print("{:<26} ERROR {}\n", name, e.what());
      ++failures;
    }
  }
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "accuracy") return accuracy(argc, argv);
    if (mode == "sqnr") return sqnr(argc, argv);
    std::cerr << "usage: tinyaot_bench_quant accuracy [options] | sqnr [--min-sqnr DB] CASE_DIR...\n";
    return 2;
  } catch (const CompileError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}
