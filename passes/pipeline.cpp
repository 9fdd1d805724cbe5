// The pass manager: runs the pass list, checks invariants, dumps IR and collects per-pass counts.
#include "passes/pipeline.h"

#include <fmt/format.h>

#include <algorithm>

namespace tinyaot::passes {

void PassStats::add(const std::string& what, int64_t n) {
  for (auto& [k, v] : counts)
    if (k == what) {
      v += n;
      return;
    }
  counts.emplace_back(what, n);
}

int64_t PassStats::get(const std::string& what) const {
  for (auto& [k, v] : counts)
    if (k == what) return v;
  return 0;
}

std::vector<PassRecord> run_pipeline(ir::Graph& g, const PipelineOptions& opt, Diagnostics& diag,
                                     std::ostream& dump) {
  for (auto& name : opt.print_ir_after)
    if (!find_pass(name)) throw UsageError(fmt::format("--print-ir-after: unknown pass '{}'", name));
  std::vector<PassRecord> records;
  for (auto& name : opt.passes) {
    const PassInfo* p = find_pass(name);
    if (!p) throw UsageError(fmt::format("unknown pass '{}' (see --list-passes)", name));
    PassRecord rec;
    rec.name = name;
    PassContext ctx{&diag, &rec.stats};
    rec.changed = p->run(g, ctx);
    rec.nodes_after = g.nodes().size();
    records.push_back(std::move(rec));
    if (opt.verify_each) g.verify();
    if (opt.print_ir_after_all ||
        std::find(opt.print_ir_after.begin(), opt.print_ir_after.end(), name) != opt.print_ir_after.end())
      dump << "// ----- IR after " << name << " -----\n" << ir::print(g);
  }
  return records;
}

std::string format_pass_stats(const std::vector<PassRecord>& records, size_t nodes_before) {
  std::string r;
  size_t before = nodes_before;
  for (auto& rec : records) {
    std::string counts;
    for (auto& [k, v] : rec.stats.counts) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", k, v);
    r += fmt::format("pass {:<32} {:>5} -> {:<5} nodes{}\n", rec.name, before, rec.nodes_after,
                     counts.empty() ? (rec.changed ? " (changed)" : "") : " (" + counts + ")");
    before = rec.nodes_after;
  }
  return r;
}

std::string pass_stats_json(const std::vector<PassRecord>& records, int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  std::string r = "[";
  for (size_t i = 0; i < records.size(); ++i) {
    const PassRecord& rec = records[i];
    std::string counts;
    for (auto& [k, v] : rec.stats.counts)
      counts += fmt::format("{}\"{}\": {}", counts.empty() ? "" : ", ", k, v);
    // Pass names and count keys are fixed identifiers from our own code: no escaping needed.
    r += fmt::format("{}\n{}  {{\"name\": \"{}\", \"changed\": {}, \"counts\": {{{}}}, \"nodes_after\": {}}}",
                     i ? "," : "", pad, rec.name, rec.changed ? "true" : "false", counts, rec.nodes_after);
  }
  r += records.empty() ? "]" : "\n" + pad + "]";
  return r;
}

}  // namespace tinyaot::passes
