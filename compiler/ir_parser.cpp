// Parser for the IR text form, so pass tests can be written as IR text in, expected IR text out.
#include <fmt/format.h>

#include <cctype>
#include <sstream>

#include "compiler/ir.h"
#include "compiler/ops/registry.h"

namespace tinyaot::ir {

namespace {

class Lexer {
 public:
  Lexer(const std::string& s, int line) : s_(s), line_(line) {}
  void ws() {
    while (p_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
  }
  bool eat(const std::string& t) {
    ws();
    if (s_.compare(p_, t.size(), t) == 0) {
      p_ += t.size();
      return true;
    }
    return false;
  }
  void expect(const std::string& t) {
    if (!eat(t)) fail(fmt::format("expected '{}'", t));
  }
  bool done() {
    ws();
    return p_ >= s_.size();
  }
  char peek() {
    ws();
    return p_ < s_.size() ? s_[p_] : '\0';
  }
  // Identifier-like token: letters, digits and _ . : / - (tensor names can contain these).
  std::string word() {
    ws();
    size_t b = p_;
    while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) ||
                              std::string("_.:/-+").find(s_[p_]) != std::string::npos)) {
      // A ':' followed by a space ends a name ("%x: f32[..]"); "x:0" style names keep theirs.
      if (s_[p_] == ':' && (p_ + 1 >= s_.size() || std::isspace(static_cast<unsigned char>(s_[p_ + 1]))))
        break;
      ++p_;
    }
    if (b == p_) fail("expected a name");
    return s_.substr(b, p_ - b);
  }
  std::string quoted() {
    expect("\"");
    size_t e = s_.find('"', p_);
    if (e == std::string::npos) fail("unterminated string");
    std::string r = s_.substr(p_, e - p_);
    p_ = e + 1;
    return r;
  }
  [[noreturn]] void fail(const std::string& m) const {
    throw CompileError(fmt::format("IR text line {}: {} at '{}'", line_, m, s_.substr(p_, 30)));
  }

 private:
  const std::string& s_;
  int line_;
  size_t p_ = 0;
};

DType parse_dtype(Lexer& lx, const std::string& w) {
  for (DType t : {DType::F32, DType::F64, DType::F16, DType::I8, DType::U8, DType::I16, DType::U16,
                  DType::I32, DType::U32, DType::I64, DType::U64, DType::Bool})
    if (w == dtype_name(t)) return t;
  lx.fail("unknown dtype '" + w + "'");
}

// "f32[1x3x4]" or "f32[scalar]"
void parse_type(Lexer& lx, DType* t, Shape* s) {
  std::string w = lx.word();
  auto br = w.find('[');
  (void)br;
  *t = parse_dtype(lx, w);
  lx.expect("[");
  std::string dims = lx.word();
  lx.expect("]");
  s->clear();
  if (dims == "scalar") return;
  std::stringstream ss(dims);
  std::string d;
  while (std::getline(ss, d, 'x')) s->push_back(std::stoll(d));
}

bool is_float_token(const std::string& w) {
  return w.find_first_of(".eain") != std::string::npos;
}

Attribute parse_attr(Lexer& lx) {
  Attribute a;
  if (lx.peek() == '"') {
    a.kind = Attribute::Kind::String;
    a.s = lx.quoted();
    return a;
  }
  if (lx.eat("[")) {
    std::vector<std::string> toks;
    bool strings = false;
    while (!lx.eat("]")) {
      if (lx.peek() == '"') {
        strings = true;
        toks.push_back(lx.quoted());
      } else {
        toks.push_back(lx.word());
      }
      lx.eat(",");
    }
    bool floats = false;
    for (auto& t : toks) floats |= !strings && is_float_token(t);
    if (strings) {
      a.kind = Attribute::Kind::Strings;
      a.strings = toks;
    } else if (floats) {
      a.kind = Attribute::Kind::Floats;
      for (auto& t : toks) a.floats.push_back(std::stof(t));
    } else {
      a.kind = Attribute::Kind::Ints;
      for (auto& t : toks) a.ints.push_back(std::stoll(t));
    }
    return a;
  }
  std::string w = lx.word();
  if (is_float_token(w)) {
    a.kind = Attribute::Kind::Float;
    a.f = std::stof(w);
  } else {
    a.kind = Attribute::Kind::Int;
    a.i = std::stoll(w);
  }
  return a;
}

}  // namespace

std::unique_ptr<Graph> parse(const std::string& text) {
  auto g = std::make_unique<Graph>();
  std::stringstream ss(text);
  std::string line;
  int lineno = 0;
  bool in_graph = false, done = false;
  int opset = 0;
  while (std::getline(ss, line)) {
    ++lineno;
    auto c = line.find("//");
    if (c != std::string::npos) line = line.substr(0, c);
    Lexer lx(line, lineno);
    if (lx.done()) continue;
    if (!in_graph) {
      lx.expect("graph");
      g->name = lx.word();
      if (lx.eat("opset")) opset = std::stoi(lx.word());
      lx.expect("{");
      g->opset_imports[""] = opset;
      in_graph = true;
      continue;
    }
    if (done) {
      lx.expect("}");
      break;
    }
    if (lx.eat("input")) {
      lx.expect("%");
      Tensor* t = g->add_tensor(lx.word());
      lx.expect(":");
      parse_type(lx, &t->dtype, &t->shape);
      t->shaped = true;
      t->is_graph_input = true;
      g->inputs.push_back(t);
    } else if (lx.eat("const")) {
      lx.expect("%");
      Tensor* t = g->add_tensor(lx.word());
      lx.expect(":");
      parse_type(lx, &t->dtype, &t->shape);
      t->shaped = true;
      auto v = std::make_shared<Value>(t->dtype, t->shape);
      if (v->numel() > 0) {
        lx.expect("=");
        lx.expect("[");
        for (int64_t i = 0; i < v->numel(); ++i) {
          std::string w = lx.word();
          v->set_f64(i, std::stod(w));
          if (i + 1 < v->numel()) lx.expect(",");
        }
        lx.expect("]");
      }
      t->value = v;
    } else if (lx.eat("return")) {
      do {
        lx.expect("%");
        std::string n = lx.word();
        Tensor* t = g->find_tensor(n);
        if (!t) lx.fail("unknown tensor '" + n + "'");
        t->is_graph_output = true;
        g->outputs.push_back(t);
      } while (lx.eat(","));
      done = true;
    } else {
      // %a: f32[..], %b: ... = [domain.]Op(%x, _, %y) {k=v, ...}
      std::vector<std::pair<std::string, std::pair<DType, Shape>>> outs;
      do {
        if (lx.eat("_")) {
          outs.push_back({"", {}});
          continue;
        }
        lx.expect("%");
        std::string n = lx.word();
        lx.expect(":");
        DType t;
        Shape s;
        parse_type(lx, &t, &s);
        outs.push_back({n, {t, s}});
      } while (lx.eat(","));
      lx.expect("=");
      std::string op = lx.word();
      std::string domain;
      auto dot = op.rfind('.');
      if (dot != std::string::npos) {
        domain = op.substr(0, dot);
        op = op.substr(dot + 1);
      }
      Node* n = g->add_node(op);
      n->domain = domain;
      n->opset = domain.empty() ? opset : 1;
      n->info = find_op(domain, op);
      if (!n->info) lx.fail("unknown op '" + op + "'");
      lx.expect("(");
      while (!lx.eat(")")) {
        if (lx.eat("_")) {
          n->inputs.push_back(nullptr);
        } else {
          lx.expect("%");
          std::string in = lx.word();
          Tensor* t = g->find_tensor(in);
          if (!t) lx.fail("unknown tensor '" + in + "'");
          n->inputs.push_back(t);
        }
        lx.eat(",");
      }
      if (lx.eat("{")) {
        while (!lx.eat("}")) {
          std::string k = lx.word();
          lx.expect("=");
          n->attrs.set(k, parse_attr(lx));
          lx.eat(",");
        }
      }
      for (auto& [name, ts] : outs) {
        if (name.empty()) {
          n->outputs.push_back(nullptr);
          continue;
        }
        Tensor* t = g->add_tensor(name);
        t->producer = n;
        n->outputs.push_back(t);
      }
      n->info->infer(*n);
      for (size_t i = 0; i < outs.size(); ++i)
        if (n->outputs[i] &&
            (n->outputs[i]->dtype != outs[i].second.first || n->outputs[i]->shape != outs[i].second.second))
          lx.fail(fmt::format("declared type of '{}' differs from the inferred {}[{}]", outs[i].first,
                              dtype_name(n->outputs[i]->dtype), shape_str(n->outputs[i]->shape)));
    }
  }
  if (!done) throw CompileError("IR text: missing 'return'");
  g->verify();
  return g;
}

}  // namespace tinyaot::ir
