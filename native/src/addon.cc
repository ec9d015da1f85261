// Module init and the free functions of NativeAddon (src/bpf-loader/native.ts).
// A one-to-one binding of libbpf: no knowledge of any tool lives here.
#include <napi.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "btf.h"
#include "errors.h"
#include "log.h"
#include "object.h"
#include "priority.h"

namespace huatuo {

namespace {

void SetLogLevelJs(const Napi::CallbackInfo& info) {
  std::string level = ArgString(info, 0, "level");
  if (level == "warn") {
    SetLogLevel(LIBBPF_WARN);
  } else if (level == "info") {
    SetLogLevel(LIBBPF_INFO);
  } else if (level == "debug") {
    SetLogLevel(LIBBPF_DEBUG);
  } else {
    throw Napi::TypeError::New(info.Env(),
                               "setLogLevel: level must be 'warn', 'info' or 'debug', not '" +
                                   level + "'");
  }
}

Napi::Value DrainLogJs(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DrainLog());
}

Napi::Value EnableStats(const Napi::CallbackInfo& info) {
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) ThrowLibbpf(info.Env(), "bpf_enable_stats", fd, "BPF_STATS_RUN_TIME");
  return Napi::Number::New(info.Env(), fd);
}

void CloseFd(const Napi::CallbackInfo& info) {
  int fd = ArgInt32(info, 0, "fd");
  if (close(fd) < 0) {
    int err = errno;
    ThrowLibbpf(info.Env(), "close", err, "fd " + std::to_string(fd));
  }
}

Napi::Value PerfEventOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "perfEventOpen: attr must be an object");
  Napi::Object attr_js = info[0].As<Napi::Object>();

  struct perf_event_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = static_cast<__u32>(NumberField(attr_js, "type", 0, true));
  attr.config = static_cast<__u64>(NumberField(attr_js, "config", 0, true));
  double freq = NumberField(attr_js, "sampleFreq", -1, false);
  double period = NumberField(attr_js, "samplePeriod", -1, false);
  if (freq >= 0 && period >= 0) {
    throw Napi::TypeError::New(env, "perfEventOpen: sampleFreq and samplePeriod are exclusive");
  }
  if (freq >= 0) {
    attr.freq = 1;
    attr.sample_freq = static_cast<__u64>(freq);
  } else if (period >= 0) {
    attr.sample_period = static_cast<__u64>(period);
  }
  int cpu = static_cast<int>(NumberField(attr_js, "cpu", 0, true));
  int pid = static_cast<int>(NumberField(attr_js, "pid", 0, true));

  // sample_type 0 and disabled 0: the event only drives an attached BPF program.
  int fd = static_cast<int>(
      syscall(__NR_perf_event_open, &attr, pid, cpu, -1 /* group fd */, PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) {
    int err = errno;
    ThrowLibbpf(env, "perf_event_open", err,
                "type " + std::to_string(attr.type) + ", config " + std::to_string(attr.config) +
                    ", cpu " + std::to_string(cpu) + ", pid " + std::to_string(pid));
  }
  return Napi::Number::New(env, fd);
}

Napi::Value NumPossibleCpus(const Napi::CallbackInfo& info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) ThrowLibbpf(info.Env(), "libbpf_num_possible_cpus", n, "");
  return Napi::Number::New(info.Env(), n);
}

Napi::Value ProbeProgType(const Napi::CallbackInfo& info) {
  uint32_t type = ArgUint32(info, 0, "type");
  LogCapture capture;
  int ret = libbpf_probe_bpf_prog_type(static_cast<enum bpf_prog_type>(type), nullptr);
  // Negative: the probe itself failed (no privileges, unknown type), which "false"
  // would misreport as "the kernel lacks it".
  if (ret < 0) {
    ThrowLibbpf(info.Env(), "libbpf_probe_bpf_prog_type", ret,
                "prog type " + std::to_string(type), capture.Take());
  }
  return Napi::Boolean::New(info.Env(), ret > 0);
}

Napi::Value ProbeMapType(const Napi::CallbackInfo& info) {
  uint32_t type = ArgUint32(info, 0, "type");
  LogCapture capture;
  int ret = libbpf_probe_bpf_map_type(static_cast<enum bpf_map_type>(type), nullptr);
  if (ret < 0) {
    ThrowLibbpf(info.Env(), "libbpf_probe_bpf_map_type", ret,
                "map type " + std::to_string(type), capture.Take());
  }
  return Napi::Boolean::New(info.Env(), ret > 0);
}

Napi::Value KernelEnumJs(const Napi::CallbackInfo& info) {
  return KernelEnum(info.Env(), ArgString(info, 0, "name"));
}

Napi::Value KernelHasFieldJs(const Napi::CallbackInfo& info) {
  std::string type = ArgString(info, 0, "struct");
  std::string field = ArgString(info, 1, "field");
  return Napi::Boolean::New(info.Env(), KernelHasField(info.Env(), type, field));
}

Napi::Value KernelHasTypeJs(const Napi::CallbackInfo& info) {
  std::string kind = ArgString(info, 0, "kind");
  std::string name = ArgString(info, 1, "name");
  return Napi::Boolean::New(info.Env(), KernelHasType(info.Env(), kind, name));
}

Napi::Value KernelModuleEnumsJs(const Napi::CallbackInfo& info) {
  return KernelModuleEnums(info.Env(), ArgString(info, 0, "module"));
}

Napi::Value KernelTracepointArgsJs(const Napi::CallbackInfo& info) {
  return KernelTracepointArgs(info.Env(), ArgString(info, 0, "tracepoint"));
}

Napi::Value LibbpfVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), std::to_string(libbpf_major_version()) + "." +
                                           std::to_string(libbpf_minor_version()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // libbpf 1.x is strict by default (errno-style returns, no legacy behaviour, automatic
  // RLIMIT_MEMLOCK handling): nothing to configure beyond the print hook.
  InstallLibbpfPrint();

  BpfObject::Init(env, exports);
  exports.Set("setLogLevel", Napi::Function::New<SetLogLevelJs>(env, "setLogLevel"));
  exports.Set("drainLog", Napi::Function::New<DrainLogJs>(env, "drainLog"));
  exports.Set("enableStats", Napi::Function::New<EnableStats>(env, "enableStats"));
  exports.Set("closeFd", Napi::Function::New<CloseFd>(env, "closeFd"));
  exports.Set("watchPriority", Napi::Function::New<WatchPriority>(env, "watchPriority"));
  exports.Set("perfEventOpen", Napi::Function::New<PerfEventOpen>(env, "perfEventOpen"));
  exports.Set("numPossibleCpus", Napi::Function::New<NumPossibleCpus>(env, "numPossibleCpus"));
  exports.Set("probeProgType", Napi::Function::New<ProbeProgType>(env, "probeProgType"));
  exports.Set("probeMapType", Napi::Function::New<ProbeMapType>(env, "probeMapType"));
  exports.Set("kernelHasField", Napi::Function::New<KernelHasFieldJs>(env, "kernelHasField"));
  exports.Set("kernelEnum", Napi::Function::New<KernelEnumJs>(env, "kernelEnum"));
  exports.Set("kernelHasType", Napi::Function::New<KernelHasTypeJs>(env, "kernelHasType"));
  exports.Set("kernelModuleEnums", Napi::Function::New<KernelModuleEnumsJs>(env, "kernelModuleEnums"));
  exports.Set("kernelTracepointArgs", Napi::Function::New<KernelTracepointArgsJs>(env, "kernelTracepointArgs"));
  exports.Set("libbpfVersion", Napi::Function::New<LibbpfVersion>(env, "libbpfVersion"));
  return exports;
}

}  // namespace

}  // namespace huatuo

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return huatuo::Init(env, exports);
}

NODE_API_MODULE(huatuo_native, InitModule)
