#include "object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "btf.h"
#include "errors.h"
#include "log.h"
#include "ringbuf.h"

namespace huatuo {

namespace {

bool IsPerCpu(enum bpf_map_type type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

bool IsHash(enum bpf_map_type type) {
  return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_PERCPU_HASH ||
         type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

// The name JS uses for a map. Internal maps are named "<obj prefix>.rodata" etc. for
// the kernel (bpf_map__name), but bpf_object__find_map_by_name matches them by their
// section name ('.rodata'), which is also what datasecVars takes: report that one, so
// that every name maps() returns can be passed back. An object name never contains a
// dot (libbpf cuts it at the first one), so the section starts at the first dot.
std::string MapName(const struct bpf_map* map) {
  std::string name = bpf_map__name(map);
  if (bpf_map__is_internal(map)) {
    size_t dot = name.find('.');
    if (dot != std::string::npos) name.erase(0, dot);
  }
  return name;
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

// Bytes of one value as the map syscalls read and write it: per-CPU maps hold one
// 8-byte aligned slot per possible CPU.
size_t ValueSize(Napi::Env env, const struct bpf_map* map) {
  size_t size = bpf_map__value_size(map);
  if (!IsPerCpu(bpf_map__type(map))) return size;
  int cpus = libbpf_num_possible_cpus();
  if (cpus < 0) ThrowLibbpf(env, "libbpf_num_possible_cpus", cpus, "");
  return ((size + 7) / 8 * 8) * static_cast<size_t>(cpus);
}

Napi::Buffer<uint8_t> CopyToBuffer(Napi::Env env, const std::vector<uint8_t>& bytes,
                                   size_t size) {
  if (size == 0) return Napi::Buffer<uint8_t>::New(env, 0);
  return Napi::Buffer<uint8_t>::Copy(env, bytes.data(), size);
}

struct Dump {
  std::vector<uint8_t> keys;
  std::vector<uint8_t> values;
  size_t count = 0;
};

// bpf_map_lookup_batch over the whole map. Returns false, having read nothing, when
// the kernel has no batch lookup for this map (the caller then iterates instead).
bool DumpBatched(Napi::Env env, int fd, size_t key_size, size_t value_size, uint32_t max_entries,
                 const std::string& context, Dump& out) {
  // Hash maps return whole buckets: a chunk smaller than the largest bucket fails with
  // ENOSPC and is retried with twice the room. Start small: per-CPU values can be
  // kilobytes each, and the buffers are zeroed as they grow.
  uint32_t chunk = std::clamp<uint32_t>(max_entries, 1, 64);
  // The batch position token: a bucket index for hash maps, a key for generic maps.
  std::vector<uint8_t> in_batch(std::max<size_t>(key_size, 8));
  std::vector<uint8_t> out_batch(in_batch.size());
  bool first = true;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);

  for (;;) {
    out.keys.resize((out.count + chunk) * key_size);
    out.values.resize((out.count + chunk) * value_size);
    __u32 n = chunk;
    int err = bpf_map_lookup_batch(fd, first ? nullptr : in_batch.data(), out_batch.data(),
                                   out.keys.data() + out.count * key_size,
                                   out.values.data() + out.count * value_size, &n, &opts);
    // ENOENT: the last entries have been returned (possibly none).
    if (err == 0 || err == -ENOENT) {
      out.count += n;
      if (err == -ENOENT) break;
      first = false;
      std::swap(in_batch, out_batch);
      continue;
    }
    if (err == -ENOSPC && chunk < (1u << 24)) {
      chunk *= 2;
      continue;
    }
    if (first && out.count == 0 &&
        (err == -EINVAL || err == -EOPNOTSUPP || err == -524 /* kernel ENOTSUPP */)) {
      return false;
    }
    ThrowLibbpf(env, "bpf_map_lookup_batch", err, context);
  }
  out.keys.resize(out.count * key_size);
  out.values.resize(out.count * value_size);
  return true;
}

// bpf_map_get_next_key + bpf_map_lookup_elem: works on every map type that has keys.
void DumpIterated(Napi::Env env, int fd, size_t key_size, size_t value_size,
                  uint32_t max_entries, const std::string& context, Dump& out) {
  std::vector<uint8_t> key(key_size), next(key_size), value(value_size);
  bool first = true;
  // Deleting the current key restarts a hash walk from the beginning: bound the walk
  // so that a map under heavy churn cannot keep us here forever.
  while (out.count < max_entries) {
    int err = bpf_map_get_next_key(fd, first ? nullptr : key.data(), next.data());
    if (err == -ENOENT) break;
    if (err) ThrowLibbpf(env, "bpf_map_get_next_key", err, context);
    first = false;
    key.swap(next);
    err = bpf_map_lookup_elem(fd, key.data(), value.data());
    if (err == -ENOENT) continue;  // deleted since get_next_key
    if (err) ThrowLibbpf(env, "bpf_map_lookup_elem", err, context);
    out.keys.insert(out.keys.end(), key.begin(), key.end());
    out.values.insert(out.values.end(), value.begin(), value.end());
    out.count++;
  }
}

}  // namespace

void BpfObject::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(
      env, "BpfObject",
      {
          InstanceAccessor<&BpfObject::Name>("name", napi_enumerable),
          InstanceMethod<&BpfObject::Programs>("programs"),
          InstanceMethod<&BpfObject::Maps>("maps"),
          InstanceMethod<&BpfObject::SetAutoload>("setAutoload"),
          InstanceMethod<&BpfObject::SetMaxEntries>("setMaxEntries"),
          InstanceMethod<&BpfObject::DatasecVars>("datasecVars"),
          InstanceMethod<&BpfObject::GetInitialValue>("getInitialValue"),
          InstanceMethod<&BpfObject::SetInitialValue>("setInitialValue"),
          InstanceMethod<&BpfObject::BtfStruct>("btfStruct"),
          InstanceMethod<&BpfObject::BtfEnum>("btfEnum"),
          InstanceMethod<&BpfObject::Load>("load"),
          InstanceMethod<&BpfObject::Attach>("attach"),
          InstanceMethod<&BpfObject::AttachPerfEvent>("attachPerfEvent"),
          InstanceMethod<&BpfObject::DestroyLink>("destroyLink"),
          InstanceMethod<&BpfObject::ProgStats>("progStats"),
          InstanceMethod<&BpfObject::TestRun>("testRun"),
          InstanceMethod<&BpfObject::MapLookup>("mapLookup"),
          InstanceMethod<&BpfObject::MapUpdate>("mapUpdate"),
          InstanceMethod<&BpfObject::MapDelete>("mapDelete"),
          InstanceMethod<&BpfObject::MapDump>("mapDump"),
          InstanceMethod<&BpfObject::StackLookup>("stackLookup"),
          InstanceMethod<&BpfObject::RingBuffer>("ringBuffer"),
          InstanceMethod<&BpfObject::CloseMethod>("close"),
      });
  exports.Set("BpfObject", ctor);
}

BpfObject::BpfObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfObject>(info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "path");
  LogCapture capture;
  obj_ = bpf_object__open_file(path.c_str(), nullptr);
  if (!obj_) {
    int err = errno;
    ThrowLibbpf(env, "bpf_object__open_file", err, path, capture.Take());
  }
  name_ = bpf_object__name(obj_);
}

BpfObject::~BpfObject() { Close(); }

void BpfObject::Close() {
  // Ring buffers first (they read maps of the object), then links (they hold
  // programs of the object), then the object with its program and map fds.
  for (auto& rb : ringbufs_) rb->Close();
  ringbufs_.clear();
  for (auto& link : links_) {
    if (link) bpf_link__destroy(link);
    link = nullptr;
  }
  if (obj_) {
    bpf_object__close(obj_);
    obj_ = nullptr;
  }
}

struct bpf_object* BpfObject::Obj(Napi::Env env) const {
  if (!obj_) ThrowWithCode(env, "BPF object " + Quoted(name_) + " is closed", EBADF);
  return obj_;
}

struct bpf_program* BpfObject::FindProgram(Napi::Env env, const std::string& name) const {
  struct bpf_object* obj = Obj(env);
  struct bpf_program* prog = bpf_object__find_program_by_name(obj, name.c_str());
  if (prog) return prog;
  std::string names;
  for (struct bpf_program* p = bpf_object__next_program(obj, nullptr); p;
       p = bpf_object__next_program(obj, p)) {
    names += (names.empty() ? "" : ", ") + std::string(bpf_program__name(p));
  }
  ThrowWithCode(env,
                "no program " + Quoted(name) + " in BPF object " + Quoted(name_) +
                    " (programs: " + (names.empty() ? "none" : names) + ")",
                ENOENT, "bpf_object__find_program_by_name");
}

struct bpf_map* BpfObject::FindMap(Napi::Env env, const std::string& name) const {
  struct bpf_object* obj = Obj(env);
  struct bpf_map* map = bpf_object__find_map_by_name(obj, name.c_str());
  if (map) return map;
  std::string names;
  for (struct bpf_map* m = bpf_object__next_map(obj, nullptr); m; m = bpf_object__next_map(obj, m)) {
    names += (names.empty() ? "" : ", ") + MapName(m);
  }
  ThrowWithCode(env,
                "no map " + Quoted(name) + " in BPF object " + Quoted(name_) +
                    " (maps: " + (names.empty() ? "none" : names) + ")",
                ENOENT, "bpf_object__find_map_by_name");
}

void BpfObject::NotLoaded(Napi::Env env, const char* method, const std::string& what,
                          const char* call) const {
  // libbpf 1.1 answers some of these with EINVAL after load, which reads like a bad
  // argument: say what is wrong instead, uniformly with EBUSY.
  if (loaded_) {
    ThrowWithCode(env,
                  std::string(method) + ": " + what + " of BPF object " + Quoted(name_) +
                      " cannot change after load()",
                  EBUSY, call);
  }
}

int BpfObject::ProgramFd(Napi::Env env, struct bpf_program* prog, const std::string& name) const {
  int fd = bpf_program__fd(prog);
  if (fd < 0) {
    ThrowWithCode(env,
                  "program " + Quoted(name) + " of BPF object " + Quoted(name_) +
                      " is not loaded" + (loaded_ ? " (autoload is off)" : " (call load() first)"),
                  EBADF);
  }
  return fd;
}

int BpfObject::MapFd(Napi::Env env, struct bpf_map* map, const std::string& name) const {
  int fd = bpf_map__fd(map);
  if (fd < 0) {
    ThrowWithCode(env,
                  "map " + Quoted(name) + " of BPF object " + Quoted(name_) +
                      " has no fd (call load() first)",
                  EBADF);
  }
  return fd;
}

Napi::Value BpfObject::Name(const Napi::CallbackInfo& info) {
  // Kept after close() so that messages about a closed object can still name it.
  return Napi::String::New(info.Env(), name_);
}

Napi::Value BpfObject::Programs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct bpf_object* obj = Obj(env);
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (struct bpf_program* prog = bpf_object__next_program(obj, nullptr); prog;
       prog = bpf_object__next_program(obj, prog)) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("name", bpf_program__name(prog));
    p.Set("section", bpf_program__section_name(prog));
    p.Set("type", static_cast<uint32_t>(bpf_program__type(prog)));
    p.Set("autoload", bpf_program__autoload(prog));
    out.Set(i++, p);
  }
  return out;
}

Napi::Value BpfObject::Maps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct bpf_object* obj = Obj(env);
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (struct bpf_map* map = bpf_object__next_map(obj, nullptr); map;
       map = bpf_object__next_map(obj, map)) {
    Napi::Object m = Napi::Object::New(env);
    m.Set("name", MapName(map));
    m.Set("type", static_cast<uint32_t>(bpf_map__type(map)));
    m.Set("keySize", bpf_map__key_size(map));
    m.Set("valueSize", bpf_map__value_size(map));
    m.Set("maxEntries", bpf_map__max_entries(map));
    out.Set(i++, m);
  }
  return out;
}

void BpfObject::SetAutoload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "program");
  bool autoload = ArgBool(info, 1, "autoload");
  struct bpf_program* prog = FindProgram(env, name);
  NotLoaded(env, "setAutoload", "program " + Quoted(name), "bpf_program__set_autoload");
  int err = bpf_program__set_autoload(prog, autoload);
  if (err) ThrowLibbpf(env, "bpf_program__set_autoload", err, "program " + Quoted(name));
}

void BpfObject::SetMaxEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "map");
  uint32_t max_entries = ArgUint32(info, 1, "maxEntries");
  struct bpf_map* map = FindMap(env, name);
  NotLoaded(env, "setMaxEntries", "map " + Quoted(name), "bpf_map__set_max_entries");
  int err = bpf_map__set_max_entries(map, max_entries);
  if (err) ThrowLibbpf(env, "bpf_map__set_max_entries", err, "map " + Quoted(name));
}

Napi::Value BpfObject::DatasecVars(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string section = ArgString(info, 0, "section");
  const struct btf* btf = bpf_object__btf(Obj(env));
  if (!btf) {
    ThrowWithCode(env, "BPF object " + Quoted(name_) + " has no BTF", ENOENT, "bpf_object__btf");
  }
  __s32 id = btf__find_by_name_kind(btf, section.c_str(), BTF_KIND_DATASEC);
  if (id <= 0) {
    ThrowWithCode(env,
                  "no data section " + Quoted(section) + " in the BTF of BPF object " +
                      Quoted(name_) + " (sections: " + DatasecNames(btf) + ")",
                  ENOENT, "btf__find_by_name_kind");
  }
  // libbpf sets the real offsets and sizes at open (the compiler leaves them 0).
  const struct btf_type* sec = btf__type_by_id(btf, id);
  const struct btf_var_secinfo* vars = btf_var_secinfos(sec);
  Napi::Array out = Napi::Array::New(env);
  for (__u16 i = 0; i < btf_vlen(sec); i++) {
    const struct btf_type* var = btf__type_by_id(btf, vars[i].type);
    const char* name = var ? btf__name_by_offset(btf, var->name_off) : nullptr;
    Napi::Object v = Napi::Object::New(env);
    v.Set("name", name ? name : "");
    v.Set("offset", vars[i].offset);
    v.Set("size", vars[i].size);
    out.Set(i, v);
  }
  return out;
}

Napi::Value BpfObject::GetInitialValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "map");
  struct bpf_map* map = FindMap(env, name);
  size_t size = 0;
  // The mmap'ed data of .data/.rodata/.bss/.kconfig (still readable after load).
  const void* data = bpf_map__initial_value(map, &size);
  if (!data) {
    ThrowWithCode(env,
                  "map " + Quoted(name) +
                      " has no initial value (only .data, .rodata, .bss and .kconfig maps do)",
                  EINVAL, "bpf_map__initial_value");
  }
  if (size == 0) return Napi::Buffer<uint8_t>::New(env, 0);
  return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(data), size);
}

void BpfObject::SetInitialValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "map");
  Napi::Buffer<uint8_t> value = ArgBuffer(info, 1, "value");
  struct bpf_map* map = FindMap(env, name);
  NotLoaded(env, "setInitialValue", "map " + Quoted(name), "bpf_map__set_initial_value");
  int err = bpf_map__set_initial_value(map, value.Data(), value.Length());
  if (err) {
    ThrowLibbpf(env, "bpf_map__set_initial_value", err,
                "map " + Quoted(name) + ": value is " + std::to_string(value.Length()) +
                    " bytes, map value size is " + std::to_string(bpf_map__value_size(map)));
  }
}

Napi::Value BpfObject::BtfStruct(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  const struct btf* btf = bpf_object__btf(Obj(env));
  __u32 id = btf ? FindComposite(btf, name) : 0;
  if (!id) return env.Null();
  return BtfTypeToJs(env, btf, id);
}

Napi::Value BpfObject::BtfEnum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  const struct btf* btf = bpf_object__btf(Obj(env));
  return btf ? EnumToJs(env, btf, name) : env.Null();
}

void BpfObject::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct bpf_object* obj = Obj(env);
  LogCapture capture;
  int err = bpf_object__load(obj);
  // Even a failed load cannot be retried: libbpf refuses a second attempt.
  loaded_ = true;
  if (err) ThrowLibbpf(env, "bpf_object__load", err, "object " + Quoted(name_), capture.Take());
}

Napi::Value BpfObject::AddLink(Napi::Env env, struct bpf_link* link) {
  links_.push_back(link);
  return Napi::Number::New(env, static_cast<double>(links_.size()));
}

Napi::Value BpfObject::Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "program");
  struct bpf_program* prog = FindProgram(env, name);
  ProgramFd(env, prog, name);
  LogCapture capture;
  struct bpf_link* link = bpf_program__attach(prog);
  if (!link) {
    int err = errno;
    ThrowLibbpf(env, "bpf_program__attach", err,
                "program " + Quoted(name) + ", section " + Quoted(bpf_program__section_name(prog)),
                capture.Take());
  }
  return AddLink(env, link);
}

Napi::Value BpfObject::AttachPerfEvent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "program");
  int perf_fd = ArgInt32(info, 1, "perfFd");
  struct bpf_program* prog = FindProgram(env, name);
  ProgramFd(env, prog, name);
  LogCapture capture;
  // On success the link owns perf_fd: bpf_link__destroy disables and closes it.
  struct bpf_link* link = bpf_program__attach_perf_event(prog, perf_fd);
  if (!link) {
    int err = errno;
    ThrowLibbpf(env, "bpf_program__attach_perf_event", err,
                "program " + Quoted(name) + ", perf fd " + std::to_string(perf_fd),
                capture.Take());
  }
  return AddLink(env, link);
}

void BpfObject::DestroyLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t handle = ArgUint32(info, 0, "link");
  if (handle == 0 || handle > links_.size()) {
    throw Napi::RangeError::New(env, "destroyLink: " + std::to_string(handle) +
                                         " is not a link handle of BPF object " + Quoted(name_));
  }
  // No Obj() check: close() destroyed every link, so after it this is the idempotent
  // no-op of an already destroyed handle.
  struct bpf_link*& link = links_[handle - 1];
  if (!link) return;
  int err = bpf_link__destroy(link);  // frees the link even when detaching fails
  link = nullptr;
  if (err) ThrowLibbpf(env, "bpf_link__destroy", err, "link " + std::to_string(handle));
}

Napi::Value BpfObject::ProgStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "program");
  int fd = ProgramFd(env, FindProgram(env, name), name);
  struct bpf_prog_info prog_info;
  memset(&prog_info, 0, sizeof(prog_info));
  __u32 len = sizeof(prog_info);
  int err = bpf_obj_get_info_by_fd(fd, &prog_info, &len);
  if (err) ThrowLibbpf(env, "bpf_obj_get_info_by_fd", err, "program " + Quoted(name));
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", prog_info.id);
  out.Set("runTimeNs", static_cast<double>(prog_info.run_time_ns));
  out.Set("runCnt", static_cast<double>(prog_info.run_cnt));
  // A kernel older than the field fills a shorter info (len); the rest stays 0.
  out.Set("recursionMisses", static_cast<double>(prog_info.recursion_misses));
  return out;
}

// BPF_PROG_TEST_RUN with a context buffer (a raw_tp program's u64 arguments): the
// program runs once, synchronously, in this thread. Tests drive programs with it.
Napi::Value BpfObject::TestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "program");
  if (info.Length() < 2 || !info[1].IsBuffer()) throw Napi::TypeError::New(env, "testRun: ctx must be a Buffer");
  auto ctx = info[1].As<Napi::Buffer<uint8_t>>();
  int fd = ProgramFd(env, FindProgram(env, name), name);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx.Data(), .ctx_size_in = static_cast<__u32>(ctx.Length()));
  int err = bpf_prog_test_run_opts(fd, &opts);
  if (err) ThrowLibbpf(env, "bpf_prog_test_run_opts", err, "program " + Quoted(name));
  return Napi::Number::New(env, opts.retval);
}

// A key of the wrong size would make the kernel read past the buffer: refuse it here.
static void CheckKeySize(Napi::Env env, const char* op, struct bpf_map* map, const std::string& name,
                         size_t got) {
  if (got != bpf_map__key_size(map)) {
    throw Napi::RangeError::New(env, std::string(op) + ": key is " + std::to_string(got) +
                                         " bytes, map " + Quoted(name) + " has keySize " +
                                         std::to_string(bpf_map__key_size(map)));
  }
}

Napi::Value BpfObject::MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "map");
  Napi::Buffer<uint8_t> key = ArgBuffer(info, 1, "key");
  struct bpf_map* map = FindMap(env, name);
  int fd = MapFd(env, map, name);
  CheckKeySize(env, "mapLookup", map, name, key.Length());
  std::vector<uint8_t> value(ValueSize(env, map));
  int err = bpf_map_lookup_elem(fd, key.Data(), value.data());
  if (err == -ENOENT) return env.Null();
  if (err) ThrowLibbpf(env, "bpf_map_lookup_elem", err, "map " + Quoted(name));
  return CopyToBuffer(env, value, value.size());
}

void BpfObject::MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "map");
  Napi::Buffer<uint8_t> key = ArgBuffer(info, 1, "key");
  Napi::Buffer<uint8_t> value = ArgBuffer(info, 2, "value");
  uint32_t flags = info[3].IsUndefined() ? uint32_t{BPF_ANY} : ArgUint32(info, 3, "flags");
  struct bpf_map* map = FindMap(env, name);
  int fd = MapFd(env, map, name);
  size_t value_size = ValueSize(env, map);
  if (key.Length() != bpf_map__key_size(map) || value.Length() != value_size) {
    throw Napi::RangeError::New(
        env, "mapUpdate: key/value are " + std::to_string(key.Length()) + "/" +
                 std::to_string(value.Length()) + " bytes, map " + Quoted(name) + " needs " +
                 std::to_string(bpf_map__key_size(map)) + "/" + std::to_string(value_size));
  }
  int err = bpf_map_update_elem(fd, key.Data(), value.Data(), flags);
  if (err) ThrowLibbpf(env, "bpf_map_update_elem", err, "map " + Quoted(name));
}

Napi::Value BpfObject::MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "map");
  Napi::Buffer<uint8_t> key = ArgBuffer(info, 1, "key");
  struct bpf_map* map = FindMap(env, name);
  int fd = MapFd(env, map, name);
  CheckKeySize(env, "mapDelete", map, name, key.Length());
  int err = bpf_map_delete_elem(fd, key.Data());
  if (err == -ENOENT) return Napi::Boolean::New(env, false);
  if (err) ThrowLibbpf(env, "bpf_map_delete_elem", err, "map " + Quoted(name));
  return Napi::Boolean::New(env, true);
}

Napi::Value BpfObject::MapDump(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "map");
  struct bpf_map* map = FindMap(env, name);
  int fd = MapFd(env, map, name);
  size_t key_size = bpf_map__key_size(map);
  size_t value_size = ValueSize(env, map);
  uint32_t max_entries = bpf_map__max_entries(map);
  std::string context = "map " + Quoted(name);

  Dump dump;
  // Batched lookup pays off for (sparse, large) hash maps; arrays are dense and walk fine.
  bool done = IsHash(bpf_map__type(map)) &&
              DumpBatched(env, fd, key_size, value_size, max_entries, context, dump);
  if (!done) DumpIterated(env, fd, key_size, value_size, max_entries, context, dump);

  Napi::Object out = Napi::Object::New(env);
  out.Set("count", static_cast<double>(dump.count));
  out.Set("keys", CopyToBuffer(env, dump.keys, dump.count * key_size));
  out.Set("values", CopyToBuffer(env, dump.values, dump.count * value_size));
  return out;
}

Napi::Value BpfObject::StackLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "map");
  uint32_t stack_id = ArgUint32(info, 1, "stackId");
  struct bpf_map* map = FindMap(env, name);
  int fd = MapFd(env, map, name);
  if (bpf_map__type(map) != BPF_MAP_TYPE_STACK_TRACE) {
    throw Napi::TypeError::New(env, "stackLookup: map " + Quoted(name) +
                                        " is not a BPF_MAP_TYPE_STACK_TRACE map");
  }
  std::vector<uint64_t> ips(bpf_map__value_size(map) / sizeof(uint64_t));
  int err = bpf_map_lookup_elem(fd, &stack_id, ips.data());
  if (err == -ENOENT) return env.Null();
  if (err) ThrowLibbpf(env, "bpf_map_lookup_elem", err, "map " + Quoted(name));
  size_t n = ips.size();
  while (n > 0 && ips[n - 1] == 0) n--;  // the kernel zero-fills past the stack depth
  Napi::TypedArrayOf<uint64_t> out = Napi::TypedArrayOf<uint64_t>::New(env, n);
  std::copy(ips.begin(), ips.begin() + n, out.Data());
  return out;
}

Napi::Value BpfObject::RingBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "map");
  Napi::Function on_sample = ArgFunction(info, 1, "onSample");
  struct bpf_map* map = FindMap(env, name);
  int fd = MapFd(env, map, name);
  std::shared_ptr<RingBuf> rb = RingBuf::Open(env, fd, on_sample, name);
  // Forget ring buffers closed through their own handle, so that open/close cycles
  // do not accumulate.
  ringbufs_.erase(std::remove_if(ringbufs_.begin(), ringbufs_.end(),
                                 [](const std::shared_ptr<RingBuf>& r) { return r->closed(); }),
                  ringbufs_.end());
  ringbufs_.push_back(rb);
  return RingBuf::NewHandle(env, rb);
}

void BpfObject::CloseMethod(const Napi::CallbackInfo& info) { Close(); }

}  // namespace huatuo
