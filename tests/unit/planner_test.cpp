// Memory planner strategies on hand-written lifetimes.
#include <catch2/catch.hpp>

#include "compiler/memory_planner.h"

using namespace tinyaot;

namespace {
// True if no two buffers with overlapping lifetimes overlap in memory.
bool valid(const MemoryPlanner& p) {
  auto& b = p.buffers();
  for (size_t i = 0; i < b.size(); ++i) {
    if (p.offset(static_cast<int>(i)) % b[i].align) return false;
    if (p.offset(static_cast<int>(i)) + b[i].size > p.arena_size()) return false;
    for (size_t j = i + 1; j < b.size(); ++j) {
      bool time = b[i].first <= b[j].last && b[j].first <= b[i].last;
      bool space = p.offset(static_cast<int>(i)) < p.offset(static_cast<int>(j)) + b[j].size &&
                   p.offset(static_cast<int>(j)) < p.offset(static_cast<int>(i)) + b[i].size;
      if (time && space) return false;
    }
  }
  return true;
}
}  // namespace

TEST_CASE("greedy-by-size reuses memory of dead buffers", "[planner]") {
  auto p = make_greedy_by_size_planner();
  // A chain a -> b -> c: a and c never live together, so c can take a's place.
  p->add_buffer({"a", 1024, 16, 0, 1});
  p->add_buffer({"b", 512, 16, 1, 2});
  p->add_buffer({"c", 1024, 16, 2, 3});
  p->plan();
  CHECK(valid(*p));
  CHECK(p->arena_size() == 1536);
  CHECK(p->live_lower_bound() == 1536);
}

TEST_CASE("greedy-by-size respects alignment and overlapping lifetimes", "[planner]") {
  auto p = make_greedy_by_size_planner();
  p->add_buffer({"a", 10, 16, 0, 2});
  p->add_buffer({"b", 10, 16, 1, 3});
  p->add_buffer({"c", 10, 16, 2, 2});
  p->plan();
  CHECK(valid(*p));
  CHECK(p->arena_size() == 48);
  CHECK(p->live_lower_bound() == 30);
  CHECK_THAT(p->report(), Catch::Contains("timeline"));
}

TEST_CASE("an empty plan has a zero arena", "[planner]") {
  auto p = make_greedy_by_size_planner();
  p->plan();
  CHECK(p->arena_size() == 0);
}
