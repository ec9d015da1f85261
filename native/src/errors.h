// JS errors for failed libbpf calls, and argument checking for the bindings.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace huatuo {

// 'EINVAL', 'ENOENT', … ('LIBBPF_ERRNO__VERIFY' for libbpf's own 4000+ codes).
std::string ErrnoName(int err);

// An Error whose message is "<call>: <strerror> (<CODE>)", followed by " [context]"
// when there is one, with the properties of NativeErrorFields: errno (positive),
// code, syscall, and log (libbpf's messages during the call). `err` may be given as
// a negative libbpf return value or a positive errno.
Napi::Error LibbpfError(Napi::Env env, const char* call, int err, const std::string& context,
                        const std::string& log = std::string());

[[noreturn]] void ThrowLibbpf(Napi::Env env, const char* call, int err, const std::string& context,
                              const std::string& log = std::string());

// An Error that is not a libbpf failure as such (unknown name, wrong state) but still
// carries errno and code (and syscall unless `call` is null), so that callers can
// handle every addon error alike.
[[noreturn]] void ThrowWithCode(Napi::Env env, const std::string& message, int err,
                                const char* call = nullptr);

// Argument checks: throw a TypeError naming the argument on a mismatch.
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what);
uint32_t ArgUint32(const Napi::CallbackInfo& info, size_t i, const char* what);
int32_t ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* what);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* what);
Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* what);
Napi::Function ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* what);

// A plain-number field of an options object; `fallback` when absent/undefined.
double NumberField(Napi::Object obj, const char* key, double fallback, bool required);

}  // namespace huatuo
