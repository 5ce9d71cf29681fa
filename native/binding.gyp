{
  # The sensor addon: libbpf lifecycle, the ring-buffer thread, map updates,
  # stats. Build: `npx node-gyp rebuild -C native` after `make -C bpf` (the
  # skeleton build/bpf/sensor.skel.h is compiled in). Output:
  # native/build/Release/agentprov_sensor.node, loaded by src/sensor/addon.ts.
  "targets": [
    {
      "target_name": "agentprov_sensor",
      "sources": [
        "addon.cc",
        "sensor.cc",
        "sensor-maps.cc",
        "sensor-containment.cc",
        "containment.cc",
        "ring-poller.cc",
        "layout.cc",
        "errors.cc"
      ],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include\")",
        "../bpf",
        "../build/bpf"
      ],
      "defines": [
        "NAPI_VERSION=9",
        "NAPI_DISABLE_CPP_EXCEPTIONS"
      ],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-fvisibility=hidden"],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-fvisibility=hidden",
        "<!@(pkg-config --cflags libbpf)"
      ],
      "libraries": ["<!@(pkg-config --libs libbpf)"]
    }
  ]
}
