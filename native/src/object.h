// BpfObject: one bpf_object and everything attached to it (NativeObject in native.ts).
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <vector>

struct bpf_object;
struct bpf_program;
struct bpf_map;
struct bpf_link;

namespace huatuo {

class RingBuf;

class BpfObject : public Napi::ObjectWrap<BpfObject> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);

  // new BpfObject(path): bpf_object__open_file.
  explicit BpfObject(const Napi::CallbackInfo& info);
  // The finalizer: a garbage-collected object releases its kernel state too.
  ~BpfObject() override;

 private:
  Napi::Value Name(const Napi::CallbackInfo& info);
  Napi::Value Programs(const Napi::CallbackInfo& info);
  Napi::Value Maps(const Napi::CallbackInfo& info);
  void SetAutoload(const Napi::CallbackInfo& info);
  void SetMaxEntries(const Napi::CallbackInfo& info);
  Napi::Value DatasecVars(const Napi::CallbackInfo& info);
  Napi::Value GetInitialValue(const Napi::CallbackInfo& info);
  void SetInitialValue(const Napi::CallbackInfo& info);
  Napi::Value BtfStruct(const Napi::CallbackInfo& info);
  Napi::Value BtfEnum(const Napi::CallbackInfo& info);
  void Load(const Napi::CallbackInfo& info);
  Napi::Value Attach(const Napi::CallbackInfo& info);
  Napi::Value AttachPerfEvent(const Napi::CallbackInfo& info);
  void DestroyLink(const Napi::CallbackInfo& info);
  Napi::Value ProgStats(const Napi::CallbackInfo& info);
  Napi::Value TestRun(const Napi::CallbackInfo& info);
  Napi::Value MapLookup(const Napi::CallbackInfo& info);
  void MapUpdate(const Napi::CallbackInfo& info);
  Napi::Value MapDelete(const Napi::CallbackInfo& info);
  Napi::Value MapDump(const Napi::CallbackInfo& info);
  Napi::Value StackLookup(const Napi::CallbackInfo& info);
  Napi::Value RingBuffer(const Napi::CallbackInfo& info);
  void CloseMethod(const Napi::CallbackInfo& info);

  // Destroys links and ring buffers, then closes the object; idempotent.
  void Close();

  // These throw a clear Error when the object is closed / the name is unknown /
  // the object is not loaded yet.
  struct bpf_object* Obj(Napi::Env env) const;
  struct bpf_program* FindProgram(Napi::Env env, const std::string& name) const;
  struct bpf_map* FindMap(Napi::Env env, const std::string& name) const;
  void NotLoaded(Napi::Env env, const char* method, const std::string& what,
                 const char* call) const;
  int ProgramFd(Napi::Env env, struct bpf_program* prog, const std::string& name) const;
  int MapFd(Napi::Env env, struct bpf_map* map, const std::string& name) const;
  Napi::Value AddLink(Napi::Env env, struct bpf_link* link);

  struct bpf_object* obj_ = nullptr;
  std::string name_;
  bool loaded_ = false;
  // Index + 1 is the JS handle; destroyed links stay as nullptr so that handles are
  // never reused and destroyLink stays idempotent.
  std::vector<struct bpf_link*> links_;
  std::vector<std::shared_ptr<RingBuf>> ringbufs_;
};

}  // namespace huatuo
