#include "errors.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cmath>
#include <cstring>

namespace huatuo {

namespace {

// The kernel's internal ENOTSUPP leaks to user space from some BPF commands
// (e.g. batch operations on map types without them); glibc does not know it.
constexpr int kKernelENOTSUPP = 524;

const char* LibbpfErrnoName(int err) {
  switch (err) {
    case LIBBPF_ERRNO__LIBELF: return "LIBBPF_ERRNO__LIBELF";
    case LIBBPF_ERRNO__FORMAT: return "LIBBPF_ERRNO__FORMAT";
    case LIBBPF_ERRNO__KVERSION: return "LIBBPF_ERRNO__KVERSION";
    case LIBBPF_ERRNO__ENDIAN: return "LIBBPF_ERRNO__ENDIAN";
    case LIBBPF_ERRNO__INTERNAL: return "LIBBPF_ERRNO__INTERNAL";
    case LIBBPF_ERRNO__RELOC: return "LIBBPF_ERRNO__RELOC";
    case LIBBPF_ERRNO__LOAD: return "LIBBPF_ERRNO__LOAD";
    case LIBBPF_ERRNO__VERIFY: return "LIBBPF_ERRNO__VERIFY";
    case LIBBPF_ERRNO__PROG2BIG: return "LIBBPF_ERRNO__PROG2BIG";
    case LIBBPF_ERRNO__KVER: return "LIBBPF_ERRNO__KVER";
    case LIBBPF_ERRNO__PROGTYPE: return "LIBBPF_ERRNO__PROGTYPE";
    case LIBBPF_ERRNO__WRNGPID: return "LIBBPF_ERRNO__WRNGPID";
    case LIBBPF_ERRNO__INVSEQ: return "LIBBPF_ERRNO__INVSEQ";
    case LIBBPF_ERRNO__NLPARSE: return "LIBBPF_ERRNO__NLPARSE";
    default: return nullptr;
  }
}

std::string ErrnoDescription(int err) {
  if (err == kKernelENOTSUPP) return "Operation not supported";
  if (err >= __LIBBPF_ERRNO__START && err < __LIBBPF_ERRNO__END) {
    char buf[128];
    libbpf_strerror(err, buf, sizeof(buf));
    return buf;
  }
  const char* desc = strerrordesc_np(err);  // glibc >= 2.32; thread-safe unlike strerror
  return desc ? desc : "Unknown error " + std::to_string(err);
}

void Fail(const Napi::CallbackInfo& info, size_t i, const char* what, const char* expected) {
  throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i + 1) + " (" + what +
                                             ") must be " + expected);
}

}  // namespace

std::string ErrnoName(int err) {
  if (err == kKernelENOTSUPP) return "ENOTSUPP";
  if (const char* name = LibbpfErrnoName(err)) return name;
  if (const char* name = strerrorname_np(err)) return name;
  return "E" + std::to_string(err);
}

Napi::Error LibbpfError(Napi::Env env, const char* call, int err, const std::string& context,
                        const std::string& log) {
  int e = err < 0 ? -err : err;
  // A libbpf call that failed without setting errno would otherwise read as "Success".
  if (e == 0) e = EINVAL;
  std::string code = ErrnoName(e);
  std::string message = std::string(call) + ": " + ErrnoDescription(e) + " (" + code + ")";
  if (!context.empty()) message += " [" + context + "]";

  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("errno", Napi::Number::New(env, e));
  obj.Set("code", Napi::String::New(env, code));
  obj.Set("syscall", Napi::String::New(env, call));
  obj.Set("log", Napi::String::New(env, log));
  return error;
}

void ThrowLibbpf(Napi::Env env, const char* call, int err, const std::string& context,
                 const std::string& log) {
  throw LibbpfError(env, call, err, context, log);
}

void ThrowWithCode(Napi::Env env, const std::string& message, int err, const char* call) {
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("errno", Napi::Number::New(env, err));
  obj.Set("code", Napi::String::New(env, ErrnoName(err)));
  if (call) obj.Set("syscall", Napi::String::New(env, call));
  throw error;
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsString()) Fail(info, i, what, "a string");
  return info[i].As<Napi::String>().Utf8Value();
}

uint32_t ArgUint32(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) Fail(info, i, what, "an unsigned 32-bit integer");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= 4294967295.0 && std::floor(v) == v)) {
    Fail(info, i, what, "an unsigned 32-bit integer");
  }
  return static_cast<uint32_t>(v);
}

int32_t ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) Fail(info, i, what, "a 32-bit integer");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= -2147483648.0 && v <= 2147483647.0 && std::floor(v) == v)) {
    Fail(info, i, what, "a 32-bit integer");
  }
  return static_cast<int32_t>(v);
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsBoolean()) Fail(info, i, what, "a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* what) {
  // Buffer is a Uint8Array; any Uint8Array is accepted.
  if (!info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Fail(info, i, what, "a Buffer");
  }
  return info[i].As<Napi::Buffer<uint8_t>>();
}

Napi::Function ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsFunction()) Fail(info, i, what, "a function");
  return info[i].As<Napi::Function>();
}

double NumberField(Napi::Object obj, const char* key, double fallback, bool required) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() && !required) return fallback;
  if (!v.IsNumber()) {
    throw Napi::TypeError::New(obj.Env(), std::string("field '") + key + "' must be a number");
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::floor(d) != d) {
    throw Napi::TypeError::New(obj.Env(), std::string("field '") + key + "' must be an integer");
  }
  return d;
}

}  // namespace huatuo
