#include "log.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>

namespace huatuo {

namespace {

// Thread-local rather than global: libbpf calls the print hook on the thread that
// called into libbpf, and each Node worker (its own env) runs on its own thread, so
// workers never see each other's messages.
thread_local enum libbpf_print_level g_level = LIBBPF_WARN;
thread_local std::string g_buffer;
thread_local LogCapture* g_capture = nullptr;

// A verifier log can reach 16 MiB; never let an undrained buffer grow without bound.
constexpr size_t kMaxBuffer = 32u << 20;

int PrintCallback(enum libbpf_print_level level, const char* fmt, va_list args) {
  // Skip formatting of filtered messages: libbpf prints a lot at debug level.
  if (level > g_level) return 0;
  // libbpf sometimes reads errno after printing; the hook must not change it.
  int saved_errno = errno;

  char small[512];
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(small, sizeof(small), fmt, copy);
  va_end(copy);
  std::string msg;
  if (n >= 0 && static_cast<size_t>(n) < sizeof(small)) {
    msg.assign(small, n);
  } else if (n > 0) {
    msg.resize(n + 1);
    vsnprintf(&msg[0], msg.size(), fmt, args);
    msg.resize(n);
  }

  if (g_buffer.size() + msg.size() > kMaxBuffer) {
    // Drop the oldest half: the newest messages are the ones that explain a failure.
    g_buffer.erase(0, g_buffer.size() / 2);
  }
  g_buffer += msg;
  AppendToCaptures(msg);

  errno = saved_errno;
  return static_cast<int>(msg.size());
}

}  // namespace

void AppendToCaptures(const std::string& msg) {
  for (LogCapture* c = g_capture; c; c = c->outer_) c->text_ += msg;
}

void InstallLibbpfPrint() { libbpf_set_print(PrintCallback); }

void SetLogLevel(enum libbpf_print_level level) { g_level = level; }

std::string DrainLog() {
  std::string out;
  out.swap(g_buffer);
  return out;
}

LogCapture::LogCapture() : outer_(g_capture) { g_capture = this; }

LogCapture::~LogCapture() { g_capture = outer_; }

std::string LogCapture::Take() {
  std::string out;
  out.swap(text_);
  return out;
}

}  // namespace huatuo
