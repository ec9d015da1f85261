#include "btf.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <mutex>

#include "errors.h"
#include "log.h"

namespace huatuo {

namespace {

// Far beyond any real nesting; only guards against malformed BTF.
constexpr int kMaxDepth = 64;

const char* NameOf(const struct btf* btf, const struct btf_type* t) {
  const char* name = btf__name_by_offset(btf, t->name_off);
  return name ? name : "";
}

// Skips typedef/const/volatile/restrict/type_tag; 0 stands for void.
__u32 SkipModifiers(const struct btf* btf, __u32 id) {
  for (int i = 0; i < kMaxDepth && id != 0; i++) {
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (!t || !(btf_is_mod(t) || btf_is_typedef(t))) return id;
    id = t->type;
  }
  return id;
}

double SizeOf(const struct btf* btf, __u32 id) {
  // btf__resolve_size knows pointer sizes and multiplies out arrays.
  __s64 size = btf__resolve_size(btf, id);
  return size < 0 ? 0 : static_cast<double>(size);
}

Napi::Value TypeToJs(Napi::Env env, const struct btf* btf, __u32 id, int depth) {
  id = SkipModifiers(btf, id);
  Napi::Object out = Napi::Object::New(env);
  const struct btf_type* t = id ? btf__type_by_id(btf, id) : nullptr;
  if (!t || depth > kMaxDepth) {
    out.Set("kind", "other");
    out.Set("name", t ? NameOf(btf, t) : "void");
    out.Set("size", 0);
    return out;
  }

  switch (btf_kind(t)) {
    case BTF_KIND_INT: {
      __u8 enc = btf_int_encoding(t);
      out.Set("kind", "int");
      out.Set("name", NameOf(btf, t));
      out.Set("size", t->size);
      out.Set("signed", (enc & BTF_INT_SIGNED) != 0);
      out.Set("char", (enc & BTF_INT_CHAR) != 0);
      out.Set("bool", (enc & BTF_INT_BOOL) != 0);
      break;
    }
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
      out.Set("kind", "enum");
      out.Set("name", NameOf(btf, t));
      out.Set("size", t->size);
      out.Set("signed", btf_kflag(t));  // kflag marks a signed enum (BTF since 6.0)
      break;
    case BTF_KIND_PTR:
      out.Set("kind", "ptr");
      out.Set("size", SizeOf(btf, id));
      break;
    case BTF_KIND_ARRAY: {
      const struct btf_array* arr = btf_array(t);
      out.Set("kind", "array");
      out.Set("size", SizeOf(btf, id));
      out.Set("nelems", arr->nelems);
      out.Set("elem", TypeToJs(env, btf, arr->type, depth + 1));
      break;
    }
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
      out.Set("kind", btf_is_struct(t) ? "struct" : "union");
      out.Set("name", NameOf(btf, t));
      out.Set("size", t->size);
      const struct btf_member* m = btf_members(t);
      __u16 vlen = btf_vlen(t);
      Napi::Array members = Napi::Array::New(env, vlen);
      for (__u16 i = 0; i < vlen; i++) {
        Napi::Object member = Napi::Object::New(env);
        const char* name = btf__name_by_offset(btf, m[i].name_off);
        member.Set("name", name ? name : "");  // "" when anonymous
        member.Set("bitOffset", btf_member_bit_offset(t, i));
        member.Set("bitfieldSize", btf_member_bitfield_size(t, i));
        member.Set("type", TypeToJs(env, btf, m[i].type, depth + 1));
        members.Set(i, member);
      }
      out.Set("members", members);
      break;
    }
    case BTF_KIND_FLOAT:
      out.Set("kind", "float");
      out.Set("name", NameOf(btf, t));
      out.Set("size", t->size);
      break;
    default:
      out.Set("kind", "other");
      out.Set("name", NameOf(btf, t));
      out.Set("size", SizeOf(btf, id));
      break;
  }
  return out;
}

bool HasMember(const struct btf* btf, const struct btf_type* t, const std::string& field,
               int depth) {
  if (depth > kMaxDepth) return false;
  const struct btf_member* m = btf_members(t);
  for (__u16 i = 0; i < btf_vlen(t); i++) {
    const char* name = btf__name_by_offset(btf, m[i].name_off);
    if (name && field == name) return true;
    if (name && *name) continue;
    // Anonymous member: its fields are reachable as fields of `t`.
    const struct btf_type* inner = btf__type_by_id(btf, SkipModifiers(btf, m[i].type));
    if (inner && btf_is_composite(inner) && HasMember(btf, inner, field, depth + 1)) return true;
  }
  return false;
}

// vmlinux BTF is a few MB and takes tens of ms to parse: load it once per process and
// keep it for the process lifetime. Shared by every env (read-only after loading).
const struct btf* KernelBtf(Napi::Env env) {
  static std::once_flag once;
  static struct btf* btf = nullptr;
  static int load_err = 0;
  static std::string load_log;
  std::call_once(once, [] {
    LogCapture capture;
    btf = btf__load_vmlinux_btf();
    if (!btf) {
      load_err = errno;
      load_log = capture.Take();
    }
  });
  if (!btf) ThrowLibbpf(env, "btf__load_vmlinux_btf", load_err, "", load_log);
  return btf;
}

}  // namespace

__u32 FindComposite(const struct btf* btf, const std::string& name) {
  for (__u32 kind : {BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_TYPEDEF}) {
    __s32 id = btf__find_by_name_kind(btf, name.c_str(), kind);
    if (id <= 0) continue;
    __u32 resolved = SkipModifiers(btf, id);
    const struct btf_type* t = resolved ? btf__type_by_id(btf, resolved) : nullptr;
    if (t && btf_is_composite(t)) return resolved;
  }
  return 0;
}

Napi::Value BtfTypeToJs(Napi::Env env, const struct btf* btf, __u32 id) {
  return TypeToJs(env, btf, id, 0);
}

std::string DatasecNames(const struct btf* btf) {
  std::string names;
  __u32 n = btf__type_cnt(btf);
  for (__u32 id = 1; id < n; id++) {
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (!btf_is_datasec(t)) continue;
    if (!names.empty()) names += ", ";
    names += NameOf(btf, t);
  }
  return names.empty() ? "none" : names;
}

bool KernelHasField(Napi::Env env, const std::string& type, const std::string& field) {
  const struct btf* btf = KernelBtf(env);
  for (__u32 kind : {BTF_KIND_STRUCT, BTF_KIND_UNION}) {
    __s32 id = btf__find_by_name_kind(btf, type.c_str(), kind);
    if (id > 0 && HasMember(btf, btf__type_by_id(btf, id), field, 0)) return true;
  }
  return false;
}

Napi::Value EnumToJs(Napi::Env env, const struct btf* btf, const std::string& name) {
  for (__u32 kind : {static_cast<__u32>(BTF_KIND_ENUM), static_cast<__u32>(BTF_KIND_ENUM64)}) {
    __s32 id = btf__find_by_name_kind(btf, name.c_str(), kind);
    if (id <= 0) continue;
    const struct btf_type* t = btf__type_by_id(btf, id);
    Napi::Object out = Napi::Object::New(env);
    bool is_signed = btf_kflag(t);
    for (__u16 i = 0; i < btf_vlen(t); i++) {
      double v;
      const char* n;
      if (btf_is_enum(t)) {
        const struct btf_enum* e = btf_enum(t) + i;
        n = btf__name_by_offset(btf, e->name_off);
        v = is_signed ? static_cast<double>(static_cast<__s32>(e->val)) : static_cast<double>(static_cast<__u32>(e->val));
      } else {
        const struct btf_enum64* e = btf_enum64(t) + i;
        n = btf__name_by_offset(btf, e->name_off);
        __u64 raw = btf_enum64_value(e);
        v = is_signed ? static_cast<double>(static_cast<__s64>(raw)) : static_cast<double>(raw);
      }
      out.Set(n ? n : "", v);
    }
    return out;
  }
  return env.Null();
}

Napi::Value KernelEnum(Napi::Env env, const std::string& name) {
  return EnumToJs(env, KernelBtf(env), name);
}

bool KernelHasType(Napi::Env env, const std::string& kind, const std::string& name) {
  static const struct {
    const char* name;
    __u32 kinds[2];
  } kKinds[] = {
      {"struct", {BTF_KIND_STRUCT}},   {"union", {BTF_KIND_UNION}},
      {"enum", {BTF_KIND_ENUM, BTF_KIND_ENUM64}},
      {"func", {BTF_KIND_FUNC}},       {"typedef", {BTF_KIND_TYPEDEF}},
      {"int", {BTF_KIND_INT}},         {"var", {BTF_KIND_VAR}},
      {"datasec", {BTF_KIND_DATASEC}}, {"float", {BTF_KIND_FLOAT}},
  };
  for (const auto& k : kKinds) {
    if (kind != k.name) continue;
    const struct btf* btf = KernelBtf(env);
    for (__u32 btf_kind : k.kinds) {
      // BTF_KIND_UNKN (0) pads the single-kind entries.
      if (btf_kind != BTF_KIND_UNKN && btf__find_by_name_kind(btf, name.c_str(), btf_kind) > 0) {
        return true;
      }
    }
    return false;
  }
  throw Napi::TypeError::New(env, "kernelHasType: unknown kind '" + kind +
                                      "' (struct, union, enum, func, typedef, int, var, "
                                      "datasec, float)");
}

Napi::Value KernelModuleEnums(Napi::Env env, const std::string& module) {
  if (module.empty() || module.find('/') != std::string::npos || module[0] == '.') return env.Null();
  const struct btf* base = KernelBtf(env);
  struct btf* btf = btf__parse_split(("/sys/kernel/btf/" + module).c_str(), const_cast<struct btf*>(base));
  if (!btf) return env.Null();  // module not loaded, or built without BTF
  Napi::Object out = Napi::Object::New(env);
  // Split BTF: the module's own types come after the base's.
  for (__u32 id = btf__type_cnt(base); id < btf__type_cnt(btf); id++) {
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (!t || !(btf_is_enum(t) || btf_is_enum64(t))) continue;
    std::string name = NameOf(btf, t);
    if (!name.empty() && !out.Has(name)) out.Set(name, EnumToJs(env, btf, name));
  }
  btf__free(btf);
  return out;
}

Napi::Value KernelTracepointArgs(Napi::Env env, const std::string& tracepoint) {
  const struct btf* btf = KernelBtf(env);
  __s32 id = btf__find_by_name_kind(btf, ("btf_trace_" + tracepoint).c_str(), BTF_KIND_TYPEDEF);
  if (id <= 0) return env.Null();
  const struct btf_type* t = btf__type_by_id(btf, SkipModifiers(btf, id));
  if (!t || !btf_is_ptr(t)) return env.Null();
  const struct btf_type* proto = btf__type_by_id(btf, t->type);
  if (!proto || !btf_is_func_proto(proto)) return env.Null();
  const struct btf_param* p = btf_params(proto);
  __u16 n = btf_vlen(proto);
  // The first parameter is the tracepoint's `void *__data`, not an argument of the event.
  Napi::Array out = Napi::Array::New(env, n > 0 ? n - 1 : 0);
  for (__u16 i = 1; i < n; i++) {
    Napi::Object arg = Napi::Object::New(env);
    __u32 tid = SkipModifiers(btf, p[i].type);
    const struct btf_type* at = tid ? btf__type_by_id(btf, tid) : nullptr;
    const char* kinds[] = {"void", "int", "ptr", "array", "struct", "union", "enum"};
    __u32 k = at ? btf_kind(at) : 0;
    arg.Set("kind", k <= BTF_KIND_ENUM ? kinds[k] : (k == BTF_KIND_ENUM64 ? "enum" : "other"));
    // A pointer names what it points to ("sock" for struct sock *, "" for void *).
    const struct btf_type* named = at;
    if (at && btf_is_ptr(at)) {
      __u32 to = SkipModifiers(btf, at->type);
      named = to ? btf__type_by_id(btf, to) : nullptr;
    }
    arg.Set("name", named ? NameOf(btf, named) : "");
    out.Set(i - 1, arg);
  }
  return out;
}

}  // namespace huatuo
