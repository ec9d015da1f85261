// libbpf's print callback: one process-wide hook, buffered per thread.
#pragma once

#include <bpf/libbpf.h>

#include <string>

namespace huatuo {

// Routes libbpf_set_print to this module. Called once at module init.
void InstallLibbpfPrint();

// Messages at or above `level` (LIBBPF_WARN is the most severe) are kept.
void SetLogLevel(enum libbpf_print_level level);

// Returns everything buffered since the last drain, and clears it.
std::string DrainLog();

// Feeds a message to every live LogCapture (the print hook's job; nothing else calls it).
void AppendToCaptures(const std::string& msg);

// Collects the messages libbpf prints while it lives, so that a failing call can
// carry them in its error's `log` (on bpf_object__load, the verifier log).
// Captures nest: an inner capture also feeds the outer ones.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string Take();

 private:
  friend void AppendToCaptures(const std::string& msg);
  std::string text_;
  LogCapture* outer_;
};

}  // namespace huatuo
