// A BPF ring buffer consumed on the Node event loop.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>
#include <string>

struct ring_buffer;

namespace huatuo {

// ring_buffer__new on a BPF_MAP_TYPE_RINGBUF map, polled by libuv: a uv_poll on
// ring_buffer__epoll_fd calls ring_buffer__consume when it is readable, and the JS
// callback runs synchronously once per record with a copy of its bytes.
//
// Owned jointly (shared_ptr) by its BpfObject, which closes it on close(), and by the
// JS handle that ringBuffer() returns.
class RingBuf : public std::enable_shared_from_this<RingBuf> {
 public:
  // Throws a libbpf error when ring_buffer__new fails.
  static std::shared_ptr<RingBuf> Open(Napi::Env env, int map_fd, Napi::Function on_sample,
                                       const std::string& map_name);

  // The NativeRingBuffer ({ close() }) handed to JS.
  static Napi::Object NewHandle(Napi::Env env, std::shared_ptr<RingBuf> rb);

  ~RingBuf();
  RingBuf(const RingBuf&) = delete;
  RingBuf& operator=(const RingBuf&) = delete;

  // Stops polling and frees the ring buffer; idempotent. Safe from inside the JS
  // callback: the free then waits until ring_buffer__consume has returned.
  void Close();
  bool closed() const { return closed_; }

 private:
  explicit RingBuf(Napi::Env env) : env_(env) {}

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static int OnSample(void* ctx, void* data, size_t size);
  void Consume(int status);
  void Release();

  Napi::Env env_;
  std::string map_name_;
  struct ring_buffer* rb_ = nullptr;
  // Allocated apart from this object: uv_close finishes on a later loop iteration, and
  // the handle's memory must stay valid until its close callback frees it.
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference on_sample_;
  // Gives the callbacks an async context, so that a CallbackScope around a consume
  // runs process.nextTick/microtasks afterwards as for any other I/O callback.
  std::unique_ptr<Napi::AsyncContext> async_context_;
  bool consuming_ = false;
  bool closed_ = false;
  // The exception a callback threw during the current consume; re-raised as an
  // uncaught exception once libbpf has returned (it cannot cross libbpf's C frames).
  std::unique_ptr<Napi::Error> error_;
};

}  // namespace huatuo
