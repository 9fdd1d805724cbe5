// The `tinyaot` command line: compile, verify, list-ops, list-passes.
// Exit codes: 0 ok, 1 bad model or failed verification, 2 bad usage.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "compiler/driver.h"
#include "compiler/ops/registry.h"
#include "compiler/verify.h"
#include "passes/pass.h"
#include "passes/prune_magnitude.h"

using namespace tinyaot;

namespace {

// Options shared by compile and verify, so verify applies every compile option to each case.
struct SharedOpts {
  std::string name, target = "generic";
  std::vector<std::string> input_shapes, print_ir_after, const_inputs;
  std::string passes;
  int opt_level = 2;
  bool print_ir_all = false, print_plan = false, io_in_arena = false, print_pass_stats = false;
  std::string quantize, calibrate = "minmax", io = "float";
  std::vector<std::string> calibration;
  std::string rounding = "onnx";
  std::string prune;
  bool no_sparse_weights = false;
  // Limits (0 = unlimited); defaults suit microcontrollers (docs/robustness.md).
  uint64_t max_weights_bytes = uint64_t(16) << 20, max_arena_bytes = uint64_t(4) << 20, max_nodes = 10000;
};

void add_compile_options(CLI::App* app, SharedOpts& s) {
  app->add_option("--target", s.target, "generic|cortex-m4|cortex-m7|cortex-m33|cortex-m55|x86-64");
  app->add_option("--input-shape", s.input_shapes, "Fix a free input shape: NAME=1x3x32x32 (repeatable)");
  app->add_option("--const-input", s.const_inputs,
                  "Specialise graph input NAME to the tensor in FILE.pb: NAME=FILE.pb (repeatable)");
  app->add_option("-O", s.opt_level, "Optimisation level: -O0 (no passes) or -O2 (default)")
      ->check(CLI::IsMember({0, 2}));
  app->add_option("--passes", s.passes, "Comma-separated pass list replacing the -O pipeline");
  app->add_option("--prune", s.prune,
                  "Unstructured pruning (lossy, opt-in): magnitude:<sparsity> zeroes that fraction of each "
                  "layer's smallest weights");
  app->add_flag(
      "--no-sparse-weights", s.no_sparse_weights,
      "Store all weights densely (default: int8 layers, and float layers under --prune, use a "
      "bitmap + non-zero values encoding where it is smaller; on a Cortex-M --target only under --prune)");
  app->add_flag("--print-ir-after-all", s.print_ir_all, "Print the IR after import and after every pass");
  app->add_option("--print-ir-after", s.print_ir_after, "Print the IR after the named pass (repeatable)");
  app->add_flag("--print-pass-stats", s.print_pass_stats,
                "Print one line per pass: node count after it and what it changed");
  app->add_flag("--print-memory-plan", s.print_plan,
                "Print the arena plan: one line per buffer and a timeline");
  app->add_flag("--io-in-arena", s.io_in_arena,
                "Place inputs and outputs inside the arena (NAME_input/NAME_output)");
  app->add_option("--max-weights-bytes", s.max_weights_bytes,
                  "Reject models with more weight bytes than this (default 16 MiB; 0 = unlimited)");
  app->add_option("--max-arena-bytes", s.max_arena_bytes,
                  "Reject models whose planned arena exceeds this (default 4 MiB; 0 = unlimited)");
  app->add_option("--max-nodes", s.max_nodes,
                  "Reject models with more nodes, subgraphs included (default 10000; 0 = unlimited)");
  app->add_option("--quantize", s.quantize, "Post-training quantization of a float model: int8")
      ->check(CLI::IsMember({"int8"}));
  app->add_option("--calibration", s.calibration,
                  "Calibration samples for --quantize: one .npy per graph input, first axis = samples "
                  "(repeatable, in graph input order)");
  app->add_option("--calibrate", s.calibrate, "Activation range choice: minmax (default), percentile, mse");
  app->add_option("--io", s.io,
                  "With --quantize: float (default: quantize on entry, dequantize on exit) or "
                  "int8 (int8 input/output buffers; scale/zero point macros in the header)")
      ->check(CLI::IsMember({"float", "int8"}));
  app->add_option(
         "--rounding", s.rounding,
         "int8 requantization: onnx (default, exact half-to-even) or tflite (TFLite Micro bit-exact)")
      ->check(CLI::IsMember({"onnx", "tflite"}));
}

CompileOptions to_compile_options(const SharedOpts& s, const std::string& cmdline) {
  CompileOptions co;
  co.name = s.name;
  co.rounding = s.rounding;
  if (!codegen::parse_target(s.target, &co.target))
    throw UsageError(fmt::format("unknown --target '{}'", s.target));
  for (auto& spec : s.input_shapes) co.import.input_shapes.insert(parse_input_shape(spec));
  for (auto& spec : s.const_inputs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError(fmt::format("--const-input '{}': expected NAME=FILE.pb", spec));
    try {
      co.import.const_inputs[spec.substr(0, eq)] = frontend::load_tensor_file(spec.substr(eq + 1));
    } catch (const CompileError& e) {
      throw UsageError(fmt::format("--const-input '{}': {}", spec, e.what()));
    }
  }
  co.opt_level = s.opt_level;
  if (!s.passes.empty()) {
    co.passes_given = true;
    std::stringstream ss(s.passes);
    std::string p;
    while (std::getline(ss, p, ','))
      if (!p.empty()) {
        if (!passes::find_pass(p)) throw UsageError(fmt::format("unknown pass '{}' (see --list-passes)", p));
        co.passes.push_back(p);
      }
  }
  co.print_ir_after_all = s.print_ir_all;
  co.print_ir_after = s.print_ir_after;
  co.print_memory_plan = s.print_plan;
  co.print_pass_stats = s.print_pass_stats;
  co.io_in_arena = s.io_in_arena;
  if (!s.prune.empty()) co.prune_sparsity = passes::parse_prune_spec(s.prune);
  co.sparse_weights = !s.no_sparse_weights;
  co.import.max_weights_bytes = s.max_weights_bytes;
  co.import.max_nodes = s.max_nodes;
  co.max_arena_bytes = s.max_arena_bytes;
  co.command_line = cmdline;
  co.quantize.int8 = s.quantize == "int8";
  co.quantize.method = calib::parse_method(s.calibrate);
  co.quantize.calibration_files = s.calibration;
  co.quantize.io_int8 = s.io == "int8";
  if (!co.quantize.int8 && (!s.calibration.empty() || s.io != "float" || s.calibrate != "minmax"))
    throw UsageError("--calibration, --calibrate and --io need --quantize int8");
  return co;
}

void print_compile_error(const CompileError& e) {
  std::cerr << "tinyaot: error: " << e.what() << "\n";
  for (auto& d : e.details()) std::cerr << "  " << d << "\n";
}

void list_passes() {
  for (auto& p : passes::all_passes()) std::cout << fmt::format("{:<22} {}\n", p.name, p.summary);
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmdline = "tinyaot";
  for (int i = 1; i < argc; ++i) cmdline += std::string(" ") + argv[i];

  CLI::App app{"tinyaot: ahead-of-time compiler from ONNX to allocation-free C++ for microcontrollers"};
  app.set_version_flag("--version", std::string("tinyaot ") + TINYAOT_VERSION);
  app.require_subcommand(1);
  bool list_passes_flag = false;
  app.add_flag("--list-passes", list_passes_flag, "List the optimisation passes");

  SharedOpts cs;
  std::string model, outdir;
  auto* compile = app.add_subcommand("compile", "Compile MODEL.onnx into OUTDIR/NAME.h and NAME.cpp");
  compile->add_option("model", model, "The .onnx model")->required();
  compile->add_option("-o,--output", outdir, "Output directory")->required();
  compile->add_option("--name", cs.name,
                      "C identifier prefix of the generated API (default: model file stem)");
  bool compile_list_passes = false;
  compile->add_flag("--list-passes", compile_list_passes, "List the optimisation passes and exit");
  std::string report_path;
  compile->add_option("--report", report_path,
                      "Write a JSON report (per pass: changes; per layer: op, shapes, MACs, bytes; totals)");
  add_compile_options(compile, cs);

  SharedOpts vs;
  VerifyOptions vo;
  auto* verify =
      app.add_subcommand("verify", "Compile, build and run ONNX backend test cases and compare outputs");
  verify->add_option("cases", vo.case_dirs, "Case folders (model.onnx + test_data_set_*) or folders of them")
      ->required();
  verify->add_option("-j,--jobs", vo.jobs, "Parallel cases")->check(CLI::Range(1, 64));
  verify->add_option("--rtol", vo.rtol, "Relative tolerance for float outputs");
  verify->add_option("--atol", vo.atol, "Absolute tolerance for float outputs");
  verify->add_flag("--reference", vo.reference,
                   "Check the compiler's reference evaluator instead of generated code");
  verify->add_flag("--keep", vo.keep, "Keep build folders");
  verify->add_flag(
      "--exact", vo.exact,
      "Quantized models: compare integer outputs bit for bit (default: int8 rules, docs/rounding.md)");
  verify->add_option("--work-dir", vo.work_dir, "Where to build cases (default: a temporary folder)");
  verify->add_option("--skip-list", vo.skip_list, "File of case names to skip, each with a reason after '#'");
  verify->add_option(
      "--known-failures", vo.known_failures,
      "File of in-scope cases known to fail (still run and reported; they do not fail the run)");
  bool no_specialize = false;
  verify->add_flag("--no-specialize", no_specialize,
                   "Do not turn shape-deciding graph inputs into constants from the test data");
  verify->add_option("--std", vo.cxx_std, "C++ standard for building generated code (default c++11)");
  verify->add_option("--cxx", vo.cxx, "Host C++ compiler");
  verify->add_option("--cc", vo.cc, "Host C compiler for the harness");
  verify->add_option("--cxxflags", vo.extra_cflags,
                     "Extra flags for building generated code, e.g. \"-O3 -march=native\" (host kernels)");
  verify->add_flag("--sanitize", vo.sanitize,
                   "Build harness and generated code with ASan + UBSan; any sanitizer report fails the case");
  add_compile_options(verify, vs);

  auto* list_ops = app.add_subcommand("list-ops", "List supported ONNX ops with opset ranges and families");
  auto* list_passes_cmd = app.add_subcommand("list-passes", "List the optimisation passes");

  // --list-passes alone is a complete command too.
  if (argc == 2 && std::string(argv[1]) == "--list-passes") {
    list_passes();
    return kExitOk;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  try {
    if (list_ops->parsed()) {
      for (auto& o : all_ops())
        std::cout << fmt::format(
            "{:<28} opset {:>2}-{:<2} {}\n",
            std::string(o.domain).empty() ? o.name : std::string(o.domain) + "." + o.name, o.since_opset,
            o.max_opset, o.family);
      return kExitOk;
    }
    if (list_passes_cmd->parsed() || list_passes_flag || compile_list_passes) {
      list_passes();
      return kExitOk;
    }
    if (compile->parsed()) {
      CompileOptions co = to_compile_options(cs, cmdline);
      co.model_path = model;
      if (co.quantize.int8 && co.quantize.calibration_files.empty())
        throw UsageError("--quantize int8 needs calibration data: --calibration FILE.npy per graph input");
      CompileResult r = compile_model(co, std::cout);
      for (auto& w : r.warnings) std::cerr << "tinyaot: warning: " << w << "\n";
      if (co.print_memory_plan) std::cout << r.output.memory_plan;
      write_files(outdir, r.output.files);
      if (!report_path.empty()) {
        std::ofstream rep(report_path, std::ios::binary | std::ios::trunc);
        rep << codegen::report_json(r.output, model, passes::pass_stats_json(r.pass_records, 2), r.warnings);
        if (!rep) throw UsageError(fmt::format("cannot write report '{}'", report_path));
      }
      std::cout << fmt::format("wrote {} files to {}: arena {} bytes, weights {} bytes\n",
                               r.output.files.size(), outdir, r.output.arena_bytes, r.output.weight_bytes);
      return kExitOk;
    }
    if (verify->parsed()) {
      vo.compile = to_compile_options(vs, cmdline);
      // Without files, verify calibrates each case on its own test inputs plus seeded noise.
      vo.compile.quantize.from_test_data =
          vo.compile.quantize.int8 && vo.compile.quantize.calibration_files.empty();
      vo.specialize = !no_specialize;
      return run_verify(vo, std::cout);
    }
  } catch (const CompileError& e) {
    print_compile_error(e);
    return kExitBadModel;
  } catch (const UsageError& e) {
    std::cerr << "tinyaot: error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "tinyaot: internal error: " << e.what() << "\n";
    return kExitBadModel;
  }
  return kExitUsage;
}
