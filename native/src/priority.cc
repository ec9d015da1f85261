#include "priority.h"

#include "errors.h"

namespace huatuo {

std::shared_ptr<PriorityWatch> PriorityWatch::Start(Napi::Env env, int fd, Napi::Function on_event) {
  std::shared_ptr<PriorityWatch> self(new PriorityWatch(env));
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
    throw Napi::Error::New(env, "watchPriority: no libuv loop for this environment");
  }
  auto* poll = new uv_poll_t;
  int r = uv_poll_init(loop, poll, fd);
  if (r < 0) {
    delete poll;
    ThrowWithCode(env, std::string("uv_poll_init: ") + uv_strerror(r) + " [fd " + std::to_string(fd) + "]", -r, "uv_poll_init");
  }
  poll->data = self.get();
  self->poll_ = poll;
  // Like a ring buffer: watching alone does not keep the process alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(poll));
  self->on_event_ = Napi::Persistent(on_event);
  self->async_context_ = std::make_unique<Napi::AsyncContext>(env, "huatuo:watchPriority");
  r = uv_poll_start(poll, UV_PRIORITIZED | UV_DISCONNECT, &PriorityWatch::OnPoll);
  if (r < 0) {
    self->Close();
    ThrowWithCode(env, std::string("uv_poll_start: ") + uv_strerror(r) + " [fd " + std::to_string(fd) + "]", -r, "uv_poll_start");
  }
  self->self_ = self;
  return self;
}

Napi::Object PriorityWatch::NewHandle(Napi::Env env, std::shared_ptr<PriorityWatch> w) {
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("close", Napi::Function::New(env, [w](const Napi::CallbackInfo&) { w->Close(); }, "close"));
  return handle;
}

PriorityWatch::~PriorityWatch() { Close(); }

void PriorityWatch::Close() {
  if (poll_) {
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (in_callback_) return;  // OnPoll releases the rest once the callback has returned
  on_event_.Reset();
  async_context_.reset();
  self_.reset();  // last: may destroy this object
}

void PriorityWatch::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<PriorityWatch*>(handle->data);
  if (!self || self->on_event_.IsEmpty()) return;
  std::shared_ptr<PriorityWatch> keep_alive = self->shared_from_this();
  Napi::Env env = self->env_;
  Napi::HandleScope scope(env);
  self->in_callback_ = true;
  {
    Napi::CallbackScope callback_scope(env, *self->async_context_);
    try {
      self->on_event_.Call({Napi::Number::New(env, status), Napi::Number::New(env, events)});
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }
  self->in_callback_ = false;
  // A failing poll would fire again at once: the callback has been told; stop.
  if (status < 0 || !self->poll_) self->Close();
}

Napi::Value WatchPriority(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgInt32(info, 0, "fd");
  if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "watchPriority: onEvent must be a function");
  return PriorityWatch::NewHandle(env, PriorityWatch::Start(env, fd, info[1].As<Napi::Function>()));
}

}  // namespace huatuo
