// Memory benchmark: for each model, the arena tinyaot plans against baselines measured in the
// same run: no reuse at all, reuse without aliasing (views copied, nothing in place), each
// strategy, and the live-bytes lower bound. Prints a table and the ratios; not a test.
// Usage: tinyaot_bench_memory MODEL.onnx|CASE_DIR ...
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "codegen/codegen.h"
#include "compiler/driver.h"

using namespace tinyaot;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: tinyaot_bench_memory MODEL.onnx|CASE_DIR ...\n";
    return 2;
  }
  fmt::print("{:<28} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>7} {}\n", "model", "no-reuse",
             "no-alias", "by-size", "breadth", "by-start", "exact", "lower-bd", "arena/lb", "proven",
             "arena vs no-reuse");
  std::vector<std::string> tflm_rows;
  for (int i = 1; i < argc; ++i) {
    fs::path p = argv[i];
    if (fs::is_directory(p)) p /= "model.onnx";
    std::string name = fs::is_directory(argv[i]) ? fs::path(argv[i]).filename().string() : p.stem().string();
    try {
      CompileOptions co;
      co.model_path = p.string();
      // Free input dimensions come from the case's first data set, as in `tinyaot verify`.
      for (size_t k = 0;; ++k) {
        fs::path in = p.parent_path() / "test_data_set_0" / fmt::format("input_{}.pb", k);
        if (!fs::exists(in)) break;
        co.import.fallback_input_shapes.push_back(frontend::load_tensor_file(in.string()).shape);
      }
      std::ostringstream dump;
      CompileResult with = compile_model(co, dump);
      // Baseline: the same graph and planner, but every tensor in its own buffer (no aliasing).
      codegen::Options plain;
      plain.aliasing = false;
      codegen::Output without = codegen::generate(*with.graph, plain);
      const codegen::Output& o = with.output;
      auto strat = [&](const char* s) -> size_t {
        for (auto& [n, b] : o.strategies)
          if (n == s) return b;
        return 0;
      };
      // TensorFlow Lite Micro's arena for the same int8 MLPerf Tiny graphs (figures from the
      // memory-planning issue; TFLM's arena also holds the input and output tensors).
      size_t tflm = 0;
      if (name.find("kws") != std::string::npos && name.find("alibaba") == std::string::npos) tflm = 23992;
      if (name.find("resnet8") != std::string::npos) tflm = 55704;
      if ((name.find("ad01") != std::string::npos || name.find("tiny_ad_int8") != std::string::npos))
        tflm = 4080;
      const bool int8_model = name.find("int8") != std::string::npos ||
                              name.find("qdq") != std::string::npos ||
                              name.find("qlinear") != std::string::npos;
      if (!int8_model) tflm = 0;
      if (tflm) {
        size_t io = 0;
        for (auto* t : with.graph->inputs) io += t->bytes();
        for (auto* t : with.graph->outputs) io += t->bytes();
        tflm_rows.push_back(fmt::format(
            "{:<28} tinyaot arena {:>7} B + I/O {:>5} B = {:>7} B   TFLM arena {:>7} B   ratio {:.2f}", name,
            o.arena_bytes, io, o.arena_bytes + io, tflm, static_cast<double>(o.arena_bytes + io) / tflm));
      }
      double ratio = o.lower_bound ? static_cast<double>(o.arena_bytes) / o.lower_bound : 1.0;
      fmt::print("{:<28} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8.3f} {:>7} {:.2f}x smaller\n",
                 name, without.naive_bytes, without.arena_bytes, strat("greedy-by-size"),
                 strat("greedy-by-breadth"), strat("greedy-by-start"), strat("exact"), o.lower_bound, ratio,
                 o.proven_optimal ? "yes" : "no",
                 o.arena_bytes ? static_cast<double>(without.naive_bytes) / o.arena_bytes : 0.0);
    } catch (const std::exception& e) {
      fmt::print("{:<28} error: {}\n", name, e.what());
    }
  }
  if (!tflm_rows.empty()) {
    fmt::print(
        "\nagainst TensorFlow Lite Micro (int8 MLPerf Tiny graphs; tinyaot RAM = arena + input/output "
        "buffers):\n");
    for (auto& r : tflm_rows) fmt::print("{}\n", r);
  }
  return 0;
}
