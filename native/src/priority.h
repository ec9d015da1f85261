// Wait for priority events (POLLPRI) on a file descriptor on the Node event loop: how the
// kernel signals a PSI trigger (a `some|full STALL WINDOW` line written to a pressure
// file), with no polling. Generic: any fd whose owner reports by POLLPRI.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

namespace huatuo {

// A uv_poll on the fd for UV_PRIORITIZED; the JS callback runs with (status, events) on
// each event: status < 0 is a libuv error (the watch then stops), events has UV_PRIORITIZED
// (8) or UV_DISCONNECT (4). The fd stays the caller's: close() the watch before closing it.
class PriorityWatch : public std::enable_shared_from_this<PriorityWatch> {
 public:
  static std::shared_ptr<PriorityWatch> Start(Napi::Env env, int fd, Napi::Function on_event);
  // The NativePriorityWatch ({ close() }) handed to JS.
  static Napi::Object NewHandle(Napi::Env env, std::shared_ptr<PriorityWatch> w);

  ~PriorityWatch();
  PriorityWatch(const PriorityWatch&) = delete;
  PriorityWatch& operator=(const PriorityWatch&) = delete;

  // Stops watching (the fd leaves the loop's epoll set at once); idempotent.
  void Close();

 private:
  explicit PriorityWatch(Napi::Env env) : env_(env) {}
  static void OnPoll(uv_poll_t* handle, int status, int events);

  Napi::Env env_;
  uv_poll_t* poll_ = nullptr;  // freed by uv_close's callback
  Napi::FunctionReference on_event_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  // Keeps itself alive while the loop may still call it (released by Close()).
  std::shared_ptr<PriorityWatch> self_;
  bool in_callback_ = false;
};

Napi::Value WatchPriority(const Napi::CallbackInfo& info);

}  // namespace huatuo
