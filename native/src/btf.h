// BTF walking: an object's struct layouts as JS values, and the running kernel's BTF.
#pragma once

#include <napi.h>

#include <bpf/btf.h>

#include <string>

namespace huatuo {

// The id of a struct or union called `name` (or of a typedef naming one); 0 if absent.
__u32 FindComposite(const struct btf* btf, const std::string& name);

// The NativeBtfType shape of type `id`, typedef/const/volatile/restrict/type_tag
// resolved at every level, struct/union members and array elements recursively.
Napi::Value BtfTypeToJs(Napi::Env env, const struct btf* btf, __u32 id);

// The names of every DATASEC of `btf`, comma separated (for "unknown section" errors).
std::string DatasecNames(const struct btf* btf);

// Whether the running kernel's BTF has `field` in struct (or union) `type`; fields of
// anonymous nested structs/unions count, as they do for CO-RE relocations.
bool KernelHasField(Napi::Env env, const std::string& type, const std::string& field);

// Whether the running kernel's BTF has a type of `kind` ('struct', 'union', 'enum',
// 'func', 'typedef', 'int', 'var', 'datasec', 'float') called `name`.
bool KernelHasType(Napi::Env env, const std::string& kind, const std::string& name);

// The enumerators of enum `name` in `btf` as { NAME: value } (ENUM and ENUM64; values
// beyond 2^53 lose precision, which no enum huatuo reads comes near); null if absent.
Napi::Value EnumToJs(Napi::Env env, const struct btf* btf, const std::string& name);

// The same for the running kernel's BTF.
Napi::Value KernelEnum(Napi::Env env, const std::string& name);

// Every named enum of a loaded module's BTF (/sys/kernel/btf/<module>, split on vmlinux)
// as { enum: { NAME: value } }; null when the module has no BTF there.
Napi::Value KernelModuleEnums(Napi::Env env, const std::string& module);

// The arguments of tracepoint `name` from its btf_trace_<name> prototype (without the
// leading `void *__data`), each as { kind: 'ptr'|'int'|'enum'|…, name } where a pointer
// names its pointee; null when the kernel has no such prototype.
Napi::Value KernelTracepointArgs(Napi::Env env, const std::string& tracepoint);

}  // namespace huatuo
