// sensor.h: the libbpf lifecycle of one loaded sensor, as a JS class.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "containment.h"
#include "ring-poller.h"

struct sensor_bpf;
struct bpf_link;

namespace agentprov {

// A u64 argument (cgroup id, inode) passed as a BigInt; sensor.ts checked its range.
inline uint64_t BigIntArg(const Napi::Value& v) {
  bool lossless = true;
  return v.As<Napi::BigInt>().Uint64Value(&lossless);
}

class Sensor : public Napi::ObjectWrap<Sensor> {
 public:
  static Napi::Function Define(Napi::Env env);

  // This function is called from the JavaScript thread: open + load.
  explicit Sensor(const Napi::CallbackInfo& info);
  ~Sensor() override;

 private:
  // JS-callable; each is called from the JavaScript thread.
  Napi::Value JS_load(const Napi::CallbackInfo& info);
  Napi::Value JS_start(const Napi::CallbackInfo& info);
  Napi::Value JS_stop(const Napi::CallbackInfo& info);
  Napi::Value JS_flush(const Napi::CallbackInfo& info);
  Napi::Value JS_stats(const Napi::CallbackInfo& info);
  Napi::Value JS_quiesce(const Napi::CallbackInfo& info);
  Napi::Value JS_release(const Napi::CallbackInfo& info);
  Napi::Value JS_setTrackFlags(const Napi::CallbackInfo& info);
  Napi::Value JS_updateCgroup(const Napi::CallbackInfo& info);
  Napi::Value JS_updateTgid(const Napi::CallbackInfo& info);
  Napi::Value JS_updateDenyV4(const Napi::CallbackInfo& info);
  Napi::Value JS_updateDenyV6(const Napi::CallbackInfo& info);
  Napi::Value JS_updateDenyExecPath(const Napi::CallbackInfo& info);
  Napi::Value JS_updateDenyExecIno(const Napi::CallbackInfo& info);
  Napi::Value JS_attachTls(const Napi::CallbackInfo& info);
  Napi::Value JS_armContainment(const Napi::CallbackInfo& info);
  Napi::Value JS_disarmContainment(const Napi::CallbackInfo& info);
  Napi::Value JS_takeContainments(const Napi::CallbackInfo& info);

  int LoadNow(std::string* log);
  void Stop();
  sensor_bpf* Quiesce(std::vector<bpf_link*>* links);
  static void CleanupHook(Sensor* self) { self->Stop(); }
  bool CheckRunning(Napi::Env env, const char* op);
  void RebuildCgroupBloom();

  sensor_bpf* skel_ = nullptr;
  bool enforce_ = false;
  std::string cgroup_root_;
  // The poller's queue bound (RingPoller::kDefaultMaxQueuedBytes unless the options say).
  size_t user_queue_bytes_ = RingPoller::kDefaultMaxQueuedBytes;
  std::vector<bpf_link*> links_;
  // Declared before poller_: the poller thread uses it until poller_ is gone.
  Containment containment_;
  std::unique_ptr<RingPoller> poller_;
  bool stopped_ = false;
  // deferLoad: set until load()'s verification has finished; Stop() waits on load_mutex_ for it
  bool loading_ = false;
  bool load_started_ = false;
  std::mutex load_mutex_;
  Napi::Env::CleanupHook<void (*)(Sensor*), Sensor> cleanup_;
};

}  // namespace agentprov
