// sensor-maps.cc: the JS-callable map updates of Sensor — tracked sets, deny
// lists, deny-exec — and the .bss prefilters in front of the tracked sets.
// Arguments were validated in TypeScript (src/sensor/sensor.ts).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <linux/types.h>

#include "errors.h"
#include "events.h"
#include "sensor.h"
#include "sensor.skel.h"

namespace agentprov {

namespace {

void CgroupKeyBytes(uint8_t dst[8], uint64_t cg) {
  // big-endian: the LPM trie matches these 64 bits first (enforce.bpf.c)
  for (int i = 0; i < 8; i++) dst[i] = static_cast<uint8_t>(cg >> (56 - 8 * i));
}

// Returns true if the map op succeeded (delete of a missing key counts).
bool MapResult(Napi::Env env, int rc, const char* op, bool is_delete) {
  if (rc == 0) return true;
  if (is_delete && (rc == -ENOENT || errno == ENOENT)) return true;
  ThrowLibbpfError(env, op, rc);
  return false;
}

}  // namespace

// setTrackFlags(flags): AP_TRACK_* bits (bss, read by every program).
Napi::Value Sensor::JS_setTrackFlags(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "setTrackFlags")) return env.Undefined();
  skel_->bss->track_flags = info[0].As<Napi::Number>().Uint32Value();
  return env.Undefined();
}

// Recomputes the cgroup prefilter from tracked_cgroup. Bits of still-tracked
// cgroups are set in both the old and the new word, so writing word by word
// never hides a tracked cgroup from a program running concurrently.
void Sensor::RebuildCgroupBloom() {
  uint64_t words[AP_CG_BLOOM_WORDS] = {};
  int fd = bpf_map__fd(skel_->maps.tracked_cgroup);
  uint64_t key = 0, next = 0;
  uint64_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    uint32_t flags = 0;
    if (bpf_map_lookup_elem(fd, &next, &flags) == 0 && (flags & AP_CG_TRACK)) {
      uint32_t slot = AP_CG_BLOOM_SLOT(next);
      words[slot / 64] |= 1ULL << (slot % 64);
    }
    key = next;
    prev = &key;
  }
  for (int i = 0; i < AP_CG_BLOOM_WORDS; i++) skel_->bss->cgroup_bloom[i] = words[i];
}

// updateCgroup(id: bigint, flags): flags 0 removes the entry.
Napi::Value Sensor::JS_updateCgroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "updateCgroup")) return env.Undefined();
  uint64_t id = BigIntArg(info[0]);
  uint32_t flags = info[1].As<Napi::Number>().Uint32Value();
  int fd = bpf_map__fd(skel_->maps.tracked_cgroup);
  bool ok = flags == 0 ? MapResult(env, bpf_map_delete_elem(fd, &id), "untrack cgroup", true)
                       : MapResult(env, bpf_map_update_elem(fd, &id, &flags, BPF_ANY), "track cgroup", false);
  if (ok) RebuildCgroupBloom();
  return env.Undefined();
}

// updateTgid(tgid, add)
Napi::Value Sensor::JS_updateTgid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "updateTgid")) return env.Undefined();
  uint32_t tgid = info[0].As<Napi::Number>().Uint32Value();
  bool add = info[1].As<Napi::Boolean>().Value();
  uint32_t one = 1;
  int fd = bpf_map__fd(skel_->maps.tracked_tgid);
  if (add) {
    // map first, then the prefilter bit: a set bit is always backed by an entry
    if (MapResult(env, bpf_map_update_elem(fd, &tgid, &one, BPF_ANY), "track pid", false)) {
      uint32_t slot = AP_TGID_BLOOM_SLOT(tgid);
      __atomic_fetch_or(&skel_->bss->tgid_bloom[slot / 64], 1ULL << (slot % 64), __ATOMIC_SEQ_CST);
    }
  } else
    MapResult(env, bpf_map_delete_elem(fd, &tgid), "untrack pid", true);
  return env.Undefined();
}

// updateDenyV4(cgroup: bigint, addr: Buffer(4), prefix, rule, add)
Napi::Value Sensor::JS_updateDenyV4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "updateDenyV4")) return env.Undefined();
  ap_lpm_v4_key key{};
  CgroupKeyBytes(key.cgroup_id, BigIntArg(info[0]));
  Napi::Buffer<uint8_t> addr = info[1].As<Napi::Buffer<uint8_t>>();
  std::memcpy(key.addr, addr.Data(), sizeof(key.addr));
  key.prefixlen = 64 + info[2].As<Napi::Number>().Uint32Value();
  uint32_t rule = info[3].As<Napi::Number>().Uint32Value();
  int fd = bpf_map__fd(skel_->maps.deny_v4);
  if (info[4].As<Napi::Boolean>().Value())
    MapResult(env, bpf_map_update_elem(fd, &key, &rule, BPF_ANY), "add IPv4 deny rule", false);
  else
    MapResult(env, bpf_map_delete_elem(fd, &key), "remove IPv4 deny rule", true);
  return env.Undefined();
}

// updateDenyV6(cgroup: bigint, addr: Buffer(16), prefix, rule, add)
Napi::Value Sensor::JS_updateDenyV6(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "updateDenyV6")) return env.Undefined();
  ap_lpm_v6_key key{};
  CgroupKeyBytes(key.cgroup_id, BigIntArg(info[0]));
  Napi::Buffer<uint8_t> addr = info[1].As<Napi::Buffer<uint8_t>>();
  std::memcpy(key.addr, addr.Data(), sizeof(key.addr));
  key.prefixlen = 64 + info[2].As<Napi::Number>().Uint32Value();
  uint32_t rule = info[3].As<Napi::Number>().Uint32Value();
  int fd = bpf_map__fd(skel_->maps.deny_v6);
  if (info[4].As<Napi::Boolean>().Value())
    MapResult(env, bpf_map_update_elem(fd, &key, &rule, BPF_ANY), "add IPv6 deny rule", false);
  else
    MapResult(env, bpf_map_delete_elem(fd, &key), "remove IPv6 deny rule", true);
  return env.Undefined();
}

// updateDenyExecPath(cgroup: bigint, path, rule, add)
Napi::Value Sensor::JS_updateDenyExecPath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "updateDenyExecPath")) return env.Undefined();
  ap_exec_path_key key{};
  key.cgroup_id = BigIntArg(info[0]);
  std::string path = info[1].As<Napi::String>().Utf8Value();
  std::strncpy(key.path, path.c_str(), sizeof(key.path) - 1);
  uint32_t rule = info[2].As<Napi::Number>().Uint32Value();
  int fd = bpf_map__fd(skel_->maps.deny_exec);
  if (info[3].As<Napi::Boolean>().Value())
    MapResult(env, bpf_map_update_elem(fd, &key, &rule, BPF_ANY), "add exec deny path", false);
  else
    MapResult(env, bpf_map_delete_elem(fd, &key), "remove exec deny path", true);
  return env.Undefined();
}

// updateDenyExecIno(cgroup: bigint, dev (kernel dev_t), ino: bigint, rule, add)
Napi::Value Sensor::JS_updateDenyExecIno(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "updateDenyExecIno")) return env.Undefined();
  ap_exec_ino_key key{};
  key.cgroup_id = BigIntArg(info[0]);
  key.dev = info[1].As<Napi::Number>().Uint32Value();
  key.ino = BigIntArg(info[2]);
  uint32_t rule = info[3].As<Napi::Number>().Uint32Value();
  int fd = bpf_map__fd(skel_->maps.deny_ino);
  if (info[4].As<Napi::Boolean>().Value())
    MapResult(env, bpf_map_update_elem(fd, &key, &rule, BPF_ANY), "add exec deny inode", false);
  else
    MapResult(env, bpf_map_delete_elem(fd, &key), "remove exec deny inode", true);
  return env.Undefined();
}

}  // namespace agentprov
