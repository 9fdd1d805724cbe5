// Shared checks for pass tests: golden IR text and numeric equivalence through the evaluator.
#pragma once

#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "passes/pass.h"

namespace tinyaot::testing {

// Random inputs for every graph input (floats in [-2, 2), ints in [-5, 5)).
inline std::vector<ir::Value> random_inputs(const ir::Graph& g, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::vector<ir::Value> r;
  for (auto* t : g.inputs) {
    ir::Value v(t->dtype, t->shape);
    for (int64_t i = 0; i < v.numel(); ++i)
      v.set_f64(i, ir::dtype_is_float(t->dtype) ? u(rng) : std::floor(u(rng) * 2.5));
    r.push_back(v);
  }
  return r;
}

// Runs `pass` on the graph parsed from `in`; checks the printed result equals `expected` and that
// the reference evaluator gives the same outputs before and after (within `tol`, relative).
// Returns the counts the pass reported, for tests of its change reporting.
inline passes::PassStats check_pass(const std::string& pass, const std::string& in,
                                    const std::string& expected, double tol = 1e-6) {
  auto before = ir::parse(in);
  auto after = ir::parse(in);
  const passes::PassInfo* p = passes::find_pass(pass);
  REQUIRE(p != nullptr);
  Diagnostics diag;
  passes::PassStats stats;
  p->run(*after, passes::PassContext{&diag, &stats});
  after->verify();
  CHECK(ir::print(*after) == ir::print(*ir::parse(expected)));
  for (unsigned seed = 1; seed <= 3; ++seed) {
    auto inputs = random_inputs(*before, seed);
    auto a = evaluate_graph(*before, inputs);
    auto b = evaluate_graph(*after, inputs);
    REQUIRE(a.size() == b.size());
    for (size_t o = 0; o < a.size(); ++o) {
      REQUIRE(a[o].shape == b[o].shape);
      for (int64_t i = 0; i < a[o].numel(); ++i)
        CHECK(b[o].get_f64(i) == Approx(a[o].get_f64(i)).epsilon(tol).margin(tol));
    }
  }
  return stats;
}

}  // namespace tinyaot::testing
