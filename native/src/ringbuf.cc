#include "ringbuf.h"

#include <bpf/libbpf.h>

#include <cerrno>

#include "errors.h"
#include "log.h"

namespace huatuo {

std::shared_ptr<RingBuf> RingBuf::Open(Napi::Env env, int map_fd, Napi::Function on_sample,
                                       const std::string& map_name) {
  std::shared_ptr<RingBuf> self(new RingBuf(env));
  self->map_name_ = map_name;
  const std::string context = "map '" + map_name + "'";

  LogCapture capture;
  self->rb_ = ring_buffer__new(map_fd, &RingBuf::OnSample, self.get(), nullptr);
  if (!self->rb_) {
    int err = errno;
    ThrowLibbpf(env, "ring_buffer__new", err, context, capture.Take());
  }

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
    throw Napi::Error::New(env, "ringBuffer: no libuv loop for this environment");
  }
  auto* poll = new uv_poll_t;
  int r = uv_poll_init(loop, poll, ring_buffer__epoll_fd(self->rb_));
  if (r < 0) {
    delete poll;  // not initialized, so not known to the loop
    ThrowWithCode(env, std::string("uv_poll_init: ") + uv_strerror(r) + " [" + context + "]", -r,
                  "uv_poll_init");
  }
  poll->data = self.get();
  self->poll_ = poll;
  // Polling alone must not keep the process alive; whoever wants events keeps the
  // process busy otherwise (a timer, a pending promise).
  uv_unref(reinterpret_cast<uv_handle_t*>(poll));
  r = uv_poll_start(poll, UV_READABLE, &RingBuf::OnPoll);
  if (r < 0) {
    self->Close();
    ThrowWithCode(env, std::string("uv_poll_start: ") + uv_strerror(r) + " [" + context + "]", -r,
                  "uv_poll_start");
  }
  self->on_sample_ = Napi::Persistent(on_sample);
  self->async_context_ = std::make_unique<Napi::AsyncContext>(env, "huatuo:ringBuffer");
  return self;
}

Napi::Object RingBuf::NewHandle(Napi::Env env, std::shared_ptr<RingBuf> rb) {
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("close",
             Napi::Function::New(env, [rb](const Napi::CallbackInfo&) { rb->Close(); }, "close"));
  return handle;
}

RingBuf::~RingBuf() { Close(); }

void RingBuf::Close() {
  if (closed_) return;
  closed_ = true;
  if (poll_) {
    // uv_close stops the poll at once (no further OnPoll), and removes the fd from the
    // loop's epoll set, so ring_buffer__free may close that fd right after.
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (!consuming_) Release();
}

void RingBuf::Release() {
  if (rb_) {
    ring_buffer__free(rb_);
    rb_ = nullptr;
  }
  on_sample_.Reset();
  async_context_.reset();
}

void RingBuf::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<RingBuf*>(handle->data);
  if (!self) return;
  // The JS callback may close this ring buffer (or its whole object) and so drop
  // every other reference to it: stay alive until the consume has unwound.
  std::shared_ptr<RingBuf> keep_alive = self->shared_from_this();
  self->Consume(status);
}

void RingBuf::Consume(int status) {
  Napi::Env env = env_;
  Napi::HandleScope scope(env);

  if (status < 0) {
    // A failing poll would fire again at once: stop, and report it once.
    Napi::Error err = Napi::Error::New(
        env, std::string("ring buffer poll failed: ") + uv_strerror(status) + " [map '" +
                 map_name_ + "']");
    Close();
    napi_fatal_exception(env, err.Value());
    return;
  }

  {
    Napi::CallbackScope callback_scope(env, *async_context_);
    consuming_ = true;
    int n = ring_buffer__consume(rb_);
    consuming_ = false;
    // Negative: either a callback stopped the consume (closed_/error_ set), or libbpf failed.
    if (n < 0 && !closed_ && !error_) {
      error_ = std::make_unique<Napi::Error>(
          LibbpfError(env, "ring_buffer__consume", n, "map '" + map_name_ + "'"));
    }
  }  // process.nextTick and microtasks queued by the callbacks run here

  if (closed_) Release();  // close() was called from a callback
  if (error_) {
    Napi::Error err = std::move(*error_);
    error_.reset();
    // Like an exception thrown from any other event callback: 'uncaughtException'.
    napi_fatal_exception(env, err.Value());
  }
}

int RingBuf::OnSample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingBuf*>(ctx);
  // Closed by an earlier callback of this consume: leave the rest alone.
  if (self->closed_ || self->error_) return -ECANCELED;
  // No C++ exception may unwind through libbpf's C frames: catch everything here.
  try {
    Napi::HandleScope scope(self->env_);
    Napi::Buffer<uint8_t> copy =
        Napi::Buffer<uint8_t>::Copy(self->env_, static_cast<const uint8_t*>(data), size);
    self->on_sample_.Call({copy});
  } catch (const Napi::Error& e) {
    self->error_ = std::make_unique<Napi::Error>(e);
    return -ECANCELED;
  } catch (const std::exception& e) {
    self->error_ = std::make_unique<Napi::Error>(
        Napi::Error::New(self->env_, std::string("ring buffer callback: ") + e.what()));
    return -ECANCELED;
  }
  return 0;
}

}  // namespace huatuo
