// Compiler diagnostics: the error type every stage throws for bad input, and exit-code conventions.
// The compiler itself may use exceptions; generated code never does.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace tinyaot {

// Exit codes of the CLI: 0 ok, 1 bad model (or failed verification), 2 bad usage.
enum ExitCode { kExitOk = 0, kExitBadModel = 1, kExitUsage = 2 };

// A problem with the model being compiled. The message names the node, op and what is wrong.
// `details` holds further lines (e.g. every unsupported op, listed at once).
class CompileError : public std::runtime_error {
 public:
  explicit CompileError(const std::string& msg, std::vector<std::string> details = {})
      : std::runtime_error(msg), details_(std::move(details)) {}
  const std::vector<std::string>& details() const { return details_; }
  // Set when the problem is that this run-time tensor must be a compile-time constant (e.g. a
  // Reshape shape fed by a graph input); `verify` can then specialise the model on its value.
  std::string needs_constant;

 private:
  std::vector<std::string> details_;
};

// A problem with how the tool was invoked (missing file, bad flag value).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Warnings are collected and printed by the driver (e.g. "batch dim defaulted to 1").
struct Diagnostics {
  std::vector<std::string> warnings;
  void warn(const std::string& w) { warnings.push_back(w); }
};

}  // namespace tinyaot
