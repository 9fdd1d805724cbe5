// Writes a model of N chained Relu nodes (float[4]) for the huge-model robustness test: the file
// is tens of megabytes, so it is made at test time instead of being committed.
// Usage: tinyaot_make_chain_model OUT.onnx N
#include <onnx/onnx_pb.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

namespace {

void set_float4(onnx::ValueInfoProto* v, const std::string& name) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(4);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tinyaot_make_chain_model OUT.onnx N\n";
    return 2;
  }
  const long n = std::atol(argv[2]);
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("chain");
  set_float4(g->add_input(), "x");
  std::string prev = "x";
  for (long i = 0; i < n; ++i) {
    onnx::NodeProto* node = g->add_node();
    node->set_op_type("Relu");
    node->add_input(prev);
    prev = "t" + std::to_string(i);
    node->add_output(prev);
  }
  set_float4(g->add_output(), prev);
  std::ofstream f(argv[1], std::ios::binary);
  if (!m.SerializeToOstream(&f)) return 1;
  return 0;
}
