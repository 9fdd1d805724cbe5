// Structure-aware libFuzzer target: inputs are serialized ModelProtos, and the custom mutator
// parses one, changes a dim, a dtype, an attribute, an edge, an op or an initializer payload,
// and serializes it again, so mutants get past the protobuf parser and the ONNX checker far
// more often than byte-level mutation does. The test body is the same compile path.
#include <onnx/onnx_pb.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>

#include "tests/fuzz/fuzz_common.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using Rng = std::mt19937;

template <class T>
T pick(Rng& rng, T lo, T hi) {  // inclusive
  return std::uniform_int_distribution<T>(lo, hi)(rng);
}

int64_t interesting_dim(Rng& rng) {
  static const int64_t kDims[] = {0,
                                  1,
                                  2,
                                  3,
                                  4,
                                  7,
                                  8,
                                  16,
                                  64,
                                  -1,
                                  -2,
                                  255,
                                  65536,
                                  int64_t(1) << 31,
                                  (int64_t(1) << 62) + 1,
                                  INT64_MAX,
                                  INT64_MIN};
  return kDims[pick<size_t>(rng, 0, sizeof(kDims) / sizeof(kDims[0]) - 1)];
}

// All tensor names in the graph (inputs, initializers, node outputs), for rewiring edges.
std::vector<std::string> tensor_names(const onnx::GraphProto& g) {
  std::vector<std::string> names;
  for (auto& i : g.input()) names.push_back(i.name());
  for (auto& i : g.initializer()) names.push_back(i.name());
  for (auto& n : g.node())
    for (auto& o : n.output()) names.push_back(o);
  return names;
}

void mutate_model(onnx::ModelProto& m, Rng& rng) {
  onnx::GraphProto* g = m.mutable_graph();
  switch (pick(rng, 0, 9)) {
    case 0:  // a graph input dim
      if (g->input_size()) {
        auto* shape = g->mutable_input(pick(rng, 0, g->input_size() - 1))
                          ->mutable_type()
                          ->mutable_tensor_type()
                          ->mutable_shape();
        if (shape->dim_size())
          shape->mutable_dim(pick(rng, 0, shape->dim_size() - 1))->set_dim_value(interesting_dim(rng));
        else
          shape->add_dim()->set_dim_value(interesting_dim(rng));
      }
      break;
    case 1:  // an initializer dim (payload unchanged: sizes must be re-validated)
      if (g->initializer_size()) {
        auto* t = g->mutable_initializer(pick(rng, 0, g->initializer_size() - 1));
        if (t->dims_size())
          t->set_dims(pick(rng, 0, t->dims_size() - 1), interesting_dim(rng));
        else
          t->add_dims(interesting_dim(rng));
      }
      break;
    case 2:  // a dtype
      if (g->initializer_size() && pick(rng, 0, 1)) {
        g->mutable_initializer(pick(rng, 0, g->initializer_size() - 1))->set_data_type(pick(rng, 0, 17));
      } else if (g->input_size()) {
        g->mutable_input(pick(rng, 0, g->input_size() - 1))
            ->mutable_type()
            ->mutable_tensor_type()
            ->set_elem_type(pick(rng, 0, 17));
      }
      break;
    case 3:  // an integer attribute or one element of an ints attribute
    case 4:
      if (g->node_size()) {
        auto* n = g->mutable_node(pick(rng, 0, g->node_size() - 1));
        if (n->attribute_size()) {
          auto* a = n->mutable_attribute(pick(rng, 0, n->attribute_size() - 1));
          if (a->ints_size())
            a->set_ints(pick(rng, 0, a->ints_size() - 1), interesting_dim(rng));
          else if (a->type() == onnx::AttributeProto::FLOAT)
            a->set_f(a->f() * -3.0f + 1e30f * pick(rng, 0, 1));
          else
            a->set_i(interesting_dim(rng));
        }
      }
      break;
    case 5: {  // rewire an edge
      auto names = tensor_names(*g);
      if (g->node_size() && !names.empty()) {
        auto* n = g->mutable_node(pick(rng, 0, g->node_size() - 1));
        const std::string& to = names[pick<size_t>(rng, 0, names.size() - 1)];
        if (n->input_size() && pick(rng, 0, 3))
          n->set_input(pick(rng, 0, n->input_size() - 1), to);
        else
          n->add_input(to);
      }
      break;
    }
    case 6:  // an initializer payload: resize or flip bytes
      if (g->initializer_size()) {
        auto* t = g->mutable_initializer(pick(rng, 0, g->initializer_size() - 1));
        std::string* raw = t->mutable_raw_data();
        if (raw->empty() || pick(rng, 0, 2) == 0)
          raw->resize(pick<size_t>(rng, 0, raw->size() + 8), '\x7f');
        else
          (*raw)[pick<size_t>(rng, 0, raw->size() - 1)] ^= static_cast<char>(1 << pick(rng, 0, 7));
      }
      break;
    case 7:  // swap op types between two nodes (same arity rarely; exercises op checks)
      if (g->node_size() > 1) {
        int a = pick(rng, 0, g->node_size() - 1), b = pick(rng, 0, g->node_size() - 1);
        std::string t = g->node(a).op_type();
        g->mutable_node(a)->set_op_type(g->node(b).op_type());
        g->mutable_node(b)->set_op_type(t);
      }
      break;
    case 8:  // drop a node or an input of a node
      if (g->node_size()) {
        auto* n = g->mutable_node(pick(rng, 0, g->node_size() - 1));
        if (n->input_size() && pick(rng, 0, 1))
          n->mutable_input()->RemoveLast();
        else if (g->node_size() > 1)
          g->mutable_node()->DeleteSubrange(pick(rng, 0, g->node_size() - 1), 1);
      }
      break;
    default:  // the default-domain opset version
      if (m.opset_import_size()) m.mutable_opset_import(0)->set_version(pick(rng, 1, 20));
      break;
  }
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  onnx::ModelProto m;
  Rng rng(seed);
  if (!m.ParseFromArray(data, static_cast<int>(size)) || !m.has_graph())
    return LLVMFuzzerMutate(data, size, max_size);
  const int rounds = pick(rng, 1, 3);
  for (int i = 0; i < rounds; ++i) mutate_model(m, rng);
  std::string out = m.SerializeAsString();
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tinyaot::fuzz::compile_bytes(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
