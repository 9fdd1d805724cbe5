// Shared helpers of the op unit tests in tests/ops: building tensor values, a graph holding one
// node of the op under test with run-time, constant or omitted inputs and attributes, running its
// infer and eval, comparing results, and compiling its emitted kernel with the host C++ compiler.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "codegen/codegen.h"
#include "codegen/kernel_ctx.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/ops/registry.h"

namespace tinyaot::optest {

// A tensor value of type `t` and shape `s` whose elements are the bytes of `v` in order.
template <class T>
ir::Value make(ir::DType t, ir::Shape s, std::vector<T> v) {
  ir::Value r(t, std::move(s));
  REQUIRE(static_cast<int64_t>(v.size()) == r.numel());
  REQUIRE(v.size() * sizeof(T) == r.bytes.size());
  if (!v.empty()) std::memcpy(r.bytes.data(), v.data(), r.bytes.size());
  return r;
}

// Tensor values of the common element types.
inline ir::Value f32(ir::Shape s, std::vector<float> v) {
  return make(ir::DType::F32, std::move(s), std::move(v));
}
inline ir::Value i32(ir::Shape s, std::vector<int32_t> v) {
  return make(ir::DType::I32, std::move(s), std::move(v));
}
inline ir::Value i64(ir::Shape s, std::vector<int64_t> v) {
  return make(ir::DType::I64, std::move(s), std::move(v));
}
inline ir::Value boolv(ir::Shape s, std::vector<uint8_t> v) {
  return make(ir::DType::Bool, std::move(s), std::move(v));
}

// A tensor value of type `t` and shape `s` whose elements are converted from `v`.
inline ir::Value from_f64(ir::DType t, ir::Shape s, const std::vector<double>& v) {
  ir::Value r(t, std::move(s));
  REQUIRE(static_cast<size_t>(r.numel()) == v.size());
  for (size_t i = 0; i < v.size(); ++i) r.set_f64(static_cast<int64_t>(i), v[i]);
  return r;
}

// The elements of `v`, read as type T.
template <class T>
std::vector<T> elems(const ir::Value& v) {
  return std::vector<T>(v.data<T>(), v.data<T>() + v.numel());
}

// The elements of `v`, converted to double.
inline std::vector<double> values(const ir::Value& v) {
  std::vector<double> r;
  for (int64_t i = 0; i < v.numel(); ++i) r.push_back(v.get_f64(i));
  return r;
}

// Checks that `got` has the size of `want` and that each element is within `margin` of it.
inline void expect_close(const std::vector<double>& got, const std::vector<double>& want,
                         double margin = 1e-6) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(margin));
}

// Attributes of each kind.
inline ir::Attribute int_attr(int64_t v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Int;
  a.i = v;
  return a;
}
inline ir::Attribute ints_attr(std::vector<int64_t> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Ints;
  a.ints = std::move(v);
  return a;
}
inline ir::Attribute float_attr(float v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Float;
  a.f = v;
  return a;
}
inline ir::Attribute floats_attr(std::vector<float> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Floats;
  a.floats = std::move(v);
  return a;
}
inline ir::Attribute str_attr(const std::string& v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::String;
  a.s = v;
  return a;
}
inline ir::Attribute strs_attr(std::vector<std::string> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Strings;
  a.strings = std::move(v);
  return a;
}
inline ir::Attribute tensor_attr(ir::Value v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::Tensor;
  a.t = std::make_shared<ir::Value>(std::move(v));
  return a;
}

// A fresh graph holding one node of the op under test. Inputs are added in order: run-time
// tensors (graph inputs) with or without a value, constants, or omitted optional inputs. Input i
// is named "x<i>" and output i "y<i>".
class OpTest {
 public:
  ir::Graph g;
  ir::Node* n = nullptr;

  // A node with `outputs` outputs and no inputs yet.
  OpTest(const std::string& op, int opset, size_t outputs = 1, const std::string& name = "node_under_test") {
    n = g.add_node(op, name);
    n->info = find_op("", op);
    REQUIRE(n->info != nullptr);
    n->opset = opset;
    add_outputs(outputs);
  }
  // A node whose inputs are `inputs` in order: constants where `konst` is true, run-time tensors
  // otherwise, and omitted where a value has the Undefined type.
  OpTest(const std::string& op, std::vector<ir::Value> inputs, int opset, std::vector<bool> konst = {},
         size_t outputs = 1, const std::string& name = "node_under_test")
      : OpTest(op, opset, outputs, name) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].dtype == ir::DType::Undefined)
        omitted();
      else if (i < konst.size() && konst[i])
        constant(inputs[i]);
      else
        input(inputs[i]);
    }
  }

  // Adds `count` outputs.
  void add_outputs(size_t count) {
    for (size_t i = 0; i < count; ++i) {
      ir::Tensor* y = g.add_tensor("y" + std::to_string(n->outputs.size()));
      y->producer = n;
      n->outputs.push_back(y);
    }
  }
  // Adds an omitted output, as for an unused optional one.
  void add_missing_output() { n->outputs.push_back(nullptr); }

  // A run-time input holding `v` when the node is run.
  OpTest& input(const ir::Value& v) {
    add(v.dtype, v.shape)->is_graph_input = true;
    vals_.emplace_back(std::make_unique<ir::Value>(v));
    return *this;
  }
  // A run-time input of type `t` and shape `s` whose value is given to run() or run_generated().
  OpTest& input(ir::DType t, ir::Shape s) {
    add(t, std::move(s))->is_graph_input = true;
    vals_.emplace_back();
    return *this;
  }
  // An input of type `t` and shape `s` with the elements `v`, constant when `konst` is true.
  OpTest& input(ir::DType t, ir::Shape s, const std::vector<double>& v, bool konst = false) {
    ir::Value val = from_f64(t, std::move(s), v);
    return konst ? constant(val) : input(val);
  }
  // A constant input.
  OpTest& constant(const ir::Value& v) {
    add(v.dtype, v.shape)->value = std::make_shared<ir::Value>(v);
    vals_.emplace_back(std::make_unique<ir::Value>(v));
    return *this;
  }
  // An omitted optional input.
  OpTest& omitted() {
    n->inputs.push_back(nullptr);
    vals_.emplace_back();
    return *this;
  }

  OpTest& attr(const std::string& k, ir::Attribute a) {
    n->attrs.set(k, std::move(a));
    return *this;
  }
  OpTest& attr_int(const std::string& k, int64_t v) { return attr(k, int_attr(v)); }
  OpTest& attr_ints(const std::string& k, std::vector<int64_t> v) { return attr(k, ints_attr(std::move(v))); }
  OpTest& attr_float(const std::string& k, float v) { return attr(k, float_attr(v)); }
  OpTest& attr_floats(const std::string& k, std::vector<float> v) {
    return attr(k, floats_attr(std::move(v)));
  }
  OpTest& attr_str(const std::string& k, const std::string& v) { return attr(k, str_attr(v)); }
  OpTest& attr_strs(const std::string& k, std::vector<std::string> v) {
    return attr(k, strs_attr(std::move(v)));
  }
  OpTest& attr_tensor(const std::string& k, ir::Value v) { return attr(k, tensor_attr(std::move(v))); }

  ir::Tensor& out(size_t i = 0) const { return *n->outputs.at(i); }

  // Runs the op's infer and returns the shape of output 0 (empty when it is omitted).
  ir::Shape infer() {
    n->info->infer(*n);
    return !n->outputs.empty() && n->outputs[0] ? n->outputs[0]->shape : ir::Shape{};
  }
  // The message of the CompileError infer raises, or "" when it raises none.
  std::string infer_error() {
    try {
      n->info->infer(*n);
    } catch (const CompileError& e) {
      return e.what();
    }
    return "";
  }
  // The values passed for the inputs: stored ones first, then `runtime` in order for run-time
  // inputs added without a value, and null for omitted inputs.
  std::vector<const ir::Value*> input_values(const std::vector<ir::Value>& runtime = {}) const {
    std::vector<const ir::Value*> in;
    size_t k = 0;
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      if (!n->inputs[i])
        in.push_back(nullptr);
      else if (vals_[i])
        in.push_back(vals_[i].get());
      else
        in.push_back(&runtime.at(k++));
    }
    return in;
  }
  // Infers, then evaluates the node and returns its outputs.
  std::vector<ir::Value> run(const std::vector<ir::Value>& runtime = {}) {
    infer();
    return evaluate_node(*n, input_values(runtime));
  }
  // Infers, then emits the kernel and returns its name and body.
  std::string emit() {
    infer();
    codegen::KernelCtx ctx(*n, codegen::Target::Generic);
    n->info->emit(*n, ctx);
    return ctx.name() + "\n" + ctx.body();
  }

 private:
  ir::Tensor* add(ir::DType t, ir::Shape s) {
    ir::Tensor* x = g.add_tensor("x" + std::to_string(n->inputs.size()));
    x->dtype = t;
    x->shape = std::move(s);
    x->shaped = true;
    n->inputs.push_back(x);
    return x;
  }
  std::vector<std::unique_ptr<ir::Value>> vals_;  // by input index; null when given at run time
};

// Checks that infer raises a CompileError whose message contains each of `needles`.
inline void require_infer_error(OpTest& t, const std::vector<std::string>& needles) {
  try {
    t.n->info->infer(*t.n);
    FAIL("expected a CompileError");
  } catch (const CompileError& e) {
    std::string msg = e.what();
    INFO(msg);
    for (const auto& s : needles) CHECK(msg.find(s) != std::string::npos);
  }
}

// Infers, emits the node's kernel, wraps it in a program that feeds it the input values (see
// OpTest::input_values) and prints output 0, builds that with the host C++ compiler under the
// generated-code warning flags, runs it and returns output 0.
// `sparse` lets the kernel use the sparse weight encoding (codegen/kernels/sparse.h); the emitted
// kernel's name is stored in `kernel_name` when given.
inline ir::Value run_generated(OpTest& t, const std::vector<ir::Value>& runtime = {},
                               codegen::SparseWeights sparse = codegen::SparseWeights::Off,
                               std::string* kernel_name = nullptr) {
  t.infer();
  ir::Node& n = *t.n;
  codegen::KernelCtx ctx(n, codegen::Target::Generic);
  ctx.set_sparse_weights(sparse);
  n.info->emit(n, ctx);
  if (kernel_name) *kernel_name = ctx.name();
  std::vector<const ir::Value*> in = t.input_values(runtime);
  std::string src = "#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n" +
                    codegen::kernel_prelude_macros();
  for (auto& h : ctx.helpers()) src += h.second;
  for (auto& tb : ctx.tables()) src += tb.second;
  std::string params, call, data;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    ir::Tensor* x = n.inputs[i];
    params += std::string(x ? ir::dtype_ctype(x->dtype) : "void") + " const* x" + std::to_string(i) + ", ";
    if (!x) {
      call += "0, ";
      continue;
    }
    data += "static const unsigned char d" + std::to_string(i) + "[] = {";
    for (uint8_t b : in[i]->bytes) data += std::to_string(b) + ",";
    data += "0};\n";
    call +=
        "(const " + std::string(ir::dtype_ctype(x->dtype)) + "*)(const void*)d" + std::to_string(i) + ", ";
  }
  const ir::Tensor& o = t.out();
  const std::string oct = ir::dtype_ctype(o.dtype);
  src += "static void kernel(" + params + oct + "* y0, uint8_t* scratch) {\n  (void)scratch;\n" + ctx.body() +
         "}\n" + data;
  src += "static unsigned char scratch_buf[" + std::to_string(ctx.scratch_bytes() + 16) + "];\n";
  src += "static " + oct + " out[" + std::to_string(o.numel() + 1) + "];\n";
  src += "int main(void) {\n  kernel(" + call + "out, scratch_buf);\n  fwrite(out, 1, " +
         std::to_string(o.bytes()) + ", stdout);\n  return 0;\n}\n";
  const std::string dir = "/tmp/tinyaot_op_test_" + std::to_string(::getpid()) + "_" +
                          std::to_string(reinterpret_cast<uintptr_t>(&t));
  REQUIRE(std::system(("mkdir -p " + dir).c_str()) == 0);
  std::ofstream(dir + "/k.cpp") << src;
  // The wrapper names every xi (the driver leaves unread ones unnamed), hence -Wno-unused-parameter.
  const std::string cmd = "c++ -std=c++11 -O1 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter " + dir +
                          "/k.cpp -o " + dir + "/k -lm > " + dir + "/log 2>&1";
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::ifstream lf(dir + "/log");
    std::stringstream ss;
    ss << lf.rdbuf();
    INFO(src);
    INFO(ss.str());
    REQUIRE(rc == 0);
  }
  ir::Value r(o.dtype, o.shape);
  FILE* f = popen((dir + "/k").c_str(), "r");
  REQUIRE(f != nullptr);
  size_t got = std::fread(r.bytes.data(), 1, r.bytes.size(), f);
  pclose(f);
  CHECK(std::system(("rm -rf " + dir).c_str()) == 0);
  REQUIRE(got == r.bytes.size());
  return r;
}

}  // namespace tinyaot::optest
