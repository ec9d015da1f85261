# Builds native/build/Release/huatuo_native.node: a thin N-API binding of the
# system's shared libbpf (libbpf-dev >= 1.1). Run from the repo root with
#   npx node-gyp rebuild --directory native
{
  "targets": [
    {
      "target_name": "huatuo_native",
      "sources": [
        "src/addon.cc",
        "src/btf.cc",
        "src/errors.cc",
        "src/log.cc",
        "src/object.cc",
        "src/priority.cc",
        "src/ringbuf.cc",
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(pkg-config --cflags-only-I libbpf 2>/dev/null | sed 's/-I//g')",
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
      ],
      # node's common.gypi turns exceptions off; node-addon-api's C++ exceptions need them.
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      # -lbpf resolves to the shared libbpf.so.1 (Debian's libbpf.a is not PIC and must not be used).
      "libraries": ["<!@(pkg-config --libs libbpf 2>/dev/null || echo -lbpf)", "-lelf", "-lz"],
    }
  ]
}
