// Systematic sweep behind fuzz:extreme_ints: every integer a model carries (int and ints
// attributes, small integer initializers and Constant tensors, graph input dims) is set in turn to
// each extreme value and the mutant is compiled in a forked child of this sanitized binary.
//
// Random fuzzing reaches an INT64_MAX pad or an INT64_MIN step only by luck, so a time-boxed run
// can pass or fail on the same code; this sweep visits every such site on every run. A child that
// dies (sanitizer report, signal, uncaught exception) is reported with the model, the site and
// the value, and the sweep goes on, so one run lists every overflow at once.
// Usage: tinyaot_extreme_ints MODEL.onnx... (exit 0: every mutant compiled or was rejected cleanly)
#include <onnx/onnx_pb.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_common.h"

namespace {

// Values that overflow naive window, padding, slicing and size arithmetic. Small values (-1, 0,
// 1) are left to the random fuzzers, which draw them often.
const std::vector<int64_t> kExtremes = {INT64_MAX, INT64_MIN, (int64_t(1) << 62) + 1, int64_t(1) << 31,
                                        -(int64_t(1) << 31)};
// Graph input dims above 2^31 are rejected on import before anything else, so dims only get the
// largest accepted value and the empty dim.
const std::vector<int64_t> kDimExtremes = {int64_t(1) << 31, 0};
// Longer lists are mostly data (lookup tables, weights) rather than geometry; their first
// elements stand for the rest.
const int kMaxElements = 8;

// One place in the model that holds an integer: `set` overwrites it in a fresh copy.
struct Site {
  std::string where;
  const std::vector<int64_t>* values;
  std::function<void(onnx::ModelProto&, int64_t)> set;
};

bool int_tensor(const onnx::TensorProto& t) {
  return t.data_type() == onnx::TensorProto::INT64 || t.data_type() == onnx::TensorProto::INT32;
}

int64_t tensor_elements(const onnx::TensorProto& t) {
  int64_t n = 1;
  for (int64_t d : t.dims()) n *= d;
  return n;
}

// Sets element i of an integer tensor, whichever field holds its payload.
void set_tensor_element(onnx::TensorProto& t, int i, int64_t v) {
  const bool i64 = t.data_type() == onnx::TensorProto::INT64;
  if (t.has_raw_data()) {
    std::string raw = t.raw_data();
    if (i64) {
      std::memcpy(&raw[static_cast<size_t>(i) * 8], &v, 8);
    } else {
      const int32_t w = static_cast<int32_t>(v);
      std::memcpy(&raw[static_cast<size_t>(i) * 4], &w, 4);
    }
    t.set_raw_data(raw);
  } else if (i64 && i < t.int64_data_size()) {
    t.set_int64_data(i, v);
  } else if (!i64 && i < t.int32_data_size()) {
    t.set_int32_data(i, static_cast<int32_t>(v));
  }
}

// The number of elements of a small integer tensor that set_tensor_element can reach (0 if none).
int tensor_sites(const onnx::TensorProto& t) {
  if (!int_tensor(t) || t.data_location() == onnx::TensorProto::EXTERNAL) return 0;
  const int64_t n = tensor_elements(t);
  if (n < 1 || n > kMaxElements) return 0;
  const size_t width = t.data_type() == onnx::TensorProto::INT64 ? 8 : 4;
  if (t.has_raw_data())
    return t.raw_data().size() == static_cast<size_t>(n) * width ? static_cast<int>(n) : 0;
  const int stored = t.data_type() == onnx::TensorProto::INT64 ? t.int64_data_size() : t.int32_data_size();
  return stored == n ? static_cast<int>(n) : 0;
}

std::vector<Site> collect_sites(const onnx::ModelProto& m) {
  std::vector<Site> sites;
  const onnx::GraphProto& g = m.graph();
  for (int ni = 0; ni < g.node_size(); ++ni) {
    const onnx::NodeProto& n = g.node(ni);
    const std::string node = n.op_type() + " node " + std::to_string(ni);
    for (int ai = 0; ai < n.attribute_size(); ++ai) {
      const onnx::AttributeProto& a = n.attribute(ai);
      if (a.type() == onnx::AttributeProto::INT) {
        sites.push_back(
            {node + " attribute " + a.name(), &kExtremes, [ni, ai](onnx::ModelProto& mm, int64_t v) {
               mm.mutable_graph()->mutable_node(ni)->mutable_attribute(ai)->set_i(v);
             }});
      } else if (a.type() == onnx::AttributeProto::INTS) {
        for (int k = 0; k < a.ints_size() && k < kMaxElements; ++k)
          sites.push_back({node + " attribute " + a.name() + "[" + std::to_string(k) + "]", &kExtremes,
                           [ni, ai, k](onnx::ModelProto& mm, int64_t v) {
                             mm.mutable_graph()->mutable_node(ni)->mutable_attribute(ai)->set_ints(k, v);
                           }});
      } else if (a.type() == onnx::AttributeProto::TENSOR) {
        for (int k = 0; k < tensor_sites(a.t()); ++k)
          sites.push_back({node + " tensor " + a.name() + "[" + std::to_string(k) + "]", &kExtremes,
                           [ni, ai, k](onnx::ModelProto& mm, int64_t v) {
                             set_tensor_element(
                                 *mm.mutable_graph()->mutable_node(ni)->mutable_attribute(ai)->mutable_t(), k,
                                 v);
                           }});
      }
    }
  }
  for (int ii = 0; ii < g.initializer_size(); ++ii)
    for (int k = 0; k < tensor_sites(g.initializer(ii)); ++k)
      sites.push_back({"initializer " + g.initializer(ii).name() + "[" + std::to_string(k) + "]", &kExtremes,
                       [ii, k](onnx::ModelProto& mm, int64_t v) {
                         set_tensor_element(*mm.mutable_graph()->mutable_initializer(ii), k, v);
                       }});
  for (int ii = 0; ii < g.input_size(); ++ii) {
    const onnx::ValueInfoProto& in = g.input(ii);
    if (!in.type().has_tensor_type() || !in.type().tensor_type().has_shape()) continue;
    for (int d = 0; d < in.type().tensor_type().shape().dim_size(); ++d)
      sites.push_back({"input " + in.name() + " dim " + std::to_string(d), &kDimExtremes,
                       [ii, d](onnx::ModelProto& mm, int64_t v) {
                         mm.mutable_graph()
                             ->mutable_input(ii)
                             ->mutable_type()
                             ->mutable_tensor_type()
                             ->mutable_shape()
                             ->mutable_dim(d)
                             ->set_dim_value(v);
                       }});
  }
  return sites;
}

// Loads a model and makes its small integer graph inputs constant, with the values of the first
// test data set beside it (ONNX node tests pass Pad's pads, Slice's starts and Reshape's shape as
// inputs), so those operands become sites too. Returns false for files that are not models.
bool load_model(const std::string& path, onnx::ModelProto& m) {
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (!m.ParseFromString(bytes)) return false;
  const std::string dir = path.substr(0, path.find_last_of('/') + 1) + "test_data_set_0/";
  onnx::GraphProto* g = m.mutable_graph();
  for (int i = g->input_size() - 1; i >= 0; --i) {
    std::ifstream in(dir + "input_" + std::to_string(i) + ".pb", std::ios::binary);
    if (!in) continue;
    std::string tb((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    onnx::TensorProto t;
    if (!t.ParseFromString(tb) || tensor_sites(t) == 0) continue;
    t.set_name(g->input(i).name());
    *g->add_initializer() = t;
    g->mutable_input()->DeleteSubrange(i, 1);
  }
  return true;
}

// Calls visit(index, description, bytes) for every mutant of `files` from index `from` on; the
// numbering is the same on every call, so a child can resume where a dead one stopped.
template <class Visit>
void for_each_mutant(const std::vector<std::string>& files, size_t from, Visit visit) {
  size_t index = 0;
  for (const std::string& file : files) {
    onnx::ModelProto base;
    if (!load_model(file, base)) continue;
    for (const Site& s : collect_sites(base)) {
      for (int64_t v : *s.values) {
        if (index++ < from) continue;
        onnx::ModelProto m = base;
        s.set(m, v);
        std::string bytes;
        m.SerializeToString(&bytes);
        if (!visit(index - 1, file + ": " + s.where + " = " + std::to_string(v), bytes)) return;
      }
    }
  }
}

// Compiles every mutant from `from` on in one forked child, so a clean run costs one fork. The
// child records the index it is on in shared memory and truncates its stderr file before each
// mutant; when it dies, the parent learns which mutant killed it and what the sanitizer said,
// and the caller starts a new child after it. Returns true if the child reached the end.
bool run_from(const std::vector<std::string>& files, size_t from, size_t& failed, std::string& err) {
  static int64_t* current = static_cast<int64_t*>(
      mmap(nullptr, sizeof(int64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  static FILE* log = std::tmpfile();
  *current = -1;
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(2);
  }
  if (pid == 0) {
    dup2(fileno(log), 2);
    for_each_mutant(files, from, [](size_t i, const std::string&, const std::string& bytes) {
      *current = static_cast<int64_t>(i);
      if (ftruncate(2, 0) != 0 || lseek(2, 0, SEEK_SET) != 0) _exit(4);
      try {
        tinyaot::fuzz::compile_bytes(bytes);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "uncaught exception: %s\n", e.what());
        _exit(3);
      }
      return true;
    });
    *current = -2;  // the end was reached
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && *current == -2) return true;
  err.clear();
  std::rewind(log);
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, log)) > 0) err.append(buf, got);
  if (err.empty()) err = "child died with status " + std::to_string(status);
  failed = *current < 0 ? from : static_cast<size_t>(*current);
  return false;
}

// The first line naming the fault (a sanitizer's "runtime error" or "ERROR:" line), for the summary.
std::string headline(const std::string& err) {
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line))
    if (line.find("runtime error") != std::string::npos || line.find("ERROR:") != std::string::npos ||
        line.find("uncaught exception") != std::string::npos)
      return line;
  return err.substr(0, err.find('\n'));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: tinyaot_extreme_ints MODEL.onnx...\n";
    return 2;
  }
  const std::vector<std::string> files(argv + 1, argv + argc);
  long failures = 0;
  size_t from = 0, failed = 0;
  std::string err;
  while (!run_from(files, from, failed, err)) {
    ++failures;
    for_each_mutant(files, failed, [&](size_t, const std::string& what, const std::string&) {
      std::cout << "FAIL " << what << "\n  " << headline(err) << "\n" << std::flush;
      return false;
    });
    from = failed + 1;
  }
  size_t mutants = 0;
  for_each_mutant(files, 0, [&](size_t, const std::string&, const std::string&) { return ++mutants, true; });
  std::cout << mutants << " mutants of " << files.size() << " models, " << failures << " failures\n";
  return failures ? 1 : 0;
}
