// sensor.cc: open, load, attach, map updates, stats, detach. Options were
// validated in TypeScript (src/sensor/sensor.ts); this file only does them.
#include "sensor.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <linux/types.h>

#include "errors.h"
#include "events.h"
#include "sensor.skel.h"
#include "skeleton-attach.h"

namespace agentprov {


Napi::Function Sensor::Define(Napi::Env env) {
  return DefineClass(env, "Sensor",
                     {
                         InstanceMethod<&Sensor::JS_load>("load"),
                         InstanceMethod<&Sensor::JS_start>("start"),
                         InstanceMethod<&Sensor::JS_stop>("stop"),
                         InstanceMethod<&Sensor::JS_flush>("flush"),
                         InstanceMethod<&Sensor::JS_stats>("stats"),
                         InstanceMethod<&Sensor::JS_quiesce>("quiesce"),
                         InstanceMethod<&Sensor::JS_release>("release"),
                         InstanceMethod<&Sensor::JS_setTrackFlags>("setTrackFlags"),
                         InstanceMethod<&Sensor::JS_updateCgroup>("updateCgroup"),
                         InstanceMethod<&Sensor::JS_updateTgid>("updateTgid"),
                         InstanceMethod<&Sensor::JS_updateDenyV4>("updateDenyV4"),
                         InstanceMethod<&Sensor::JS_updateDenyV6>("updateDenyV6"),
                         InstanceMethod<&Sensor::JS_updateDenyExecPath>("updateDenyExecPath"),
                         InstanceMethod<&Sensor::JS_updateDenyExecIno>("updateDenyExecIno"),
                         InstanceMethod<&Sensor::JS_attachTls>("attachTls"),
                         InstanceMethod<&Sensor::JS_armContainment>("armContainment"),
                         InstanceMethod<&Sensor::JS_disarmContainment>("disarmContainment"),
                         InstanceMethod<&Sensor::JS_takeContainments>("takeContainments"),
                     });
}

static_assert(RingPoller::kKindSlots == AP_KIND_SLOTS, "the poller counts one slot per event kind");

// new Sensor({ ringBytes, traceAll, selfTgid, enforce, cgroupRoot, userQueueBytes? })
Sensor::Sensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Sensor>(info) {
  Napi::Env env = info.Env();
  Napi::Object opts = info[0].As<Napi::Object>();
  uint32_t ring_bytes = opts.Get("ringBytes").As<Napi::Number>().Uint32Value();
  bool trace_all = opts.Get("traceAll").As<Napi::Boolean>().Value();
  uint32_t self_tgid = opts.Get("selfTgid").As<Napi::Number>().Uint32Value();
  enforce_ = opts.Get("enforce").As<Napi::Boolean>().Value();
  Napi::Value root = opts.Get("cgroupRoot");
  if (root.IsString()) cgroup_root_ = root.As<Napi::String>().Utf8Value();
  Napi::Value queue = opts.Get("userQueueBytes");
  if (queue.IsNumber()) user_queue_bytes_ = static_cast<size_t>(queue.As<Napi::Number>().DoubleValue());

  StartLibbpfCapture();
  skel_ = sensor_bpf__open();
  if (skel_ == nullptr) {
    int err = -errno;
    ThrowLibbpfError(env, "open BPF skeleton", err, StopLibbpfCapture());
    return;
  }
  // rodata tunables are fixed at load (libbpf-bootstrap style)
  skel_->rodata->trace_all = trace_all ? 1 : 0;
  skel_->rodata->self_tgid = self_tgid;
  // wake the poller when 1/64 of the ring is waiting; it polls every 10 ms anyway
  skel_->rodata->wakeup_bytes = ring_bytes / 64;
  int rc = bpf_map__set_max_entries(skel_->maps.events, ring_bytes);
  if (rc != 0) {
    ThrowLibbpfError(env, "set ring buffer size", rc, StopLibbpfCapture());
    sensor_bpf__destroy(skel_);
    skel_ = nullptr;
    return;
  }
  cleanup_ = env.AddCleanupHook(CleanupHook, this);
  // deferLoad: load() verifies on a libuv thread, so the caller opens its store meanwhile
  Napi::Value defer = opts.Get("deferLoad");
  if (defer.IsBoolean() && defer.As<Napi::Boolean>().Value()) {
    loading_ = true;
    return;
  }
  std::string log;
  rc = LoadNow(&log);
  if (rc != 0) {
    ThrowLibbpfError(env, "load and verify BPF programs", rc, log);
    sensor_bpf__destroy(skel_);
    skel_ = nullptr;
  }
}

// This function is called from the JavaScript thread (constructor) or a libuv
// thread (load()): nothing here touches JavaScript. Ends the log capture the
// constructor started.
int Sensor::LoadNow(std::string* log) {
  std::lock_guard<std::mutex> lock(load_mutex_);
  // load() queued, then stop() took the lock first: the skeleton is gone, there is nothing to load
  if (stopped_ || skel_ == nullptr) {
    *log = StopLibbpfCapture();
    return -ECANCELED;
  }
  // The verifier gives up with EAGAIN when a signal is pending on the loading thread (V8's SIGPROF under
  // --cpu-prof, a SIGCHLD, a SIGWINCH): block them for the load; they are delivered when it is done.
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  int rc = sensor_bpf__load(skel_);
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  *log = StopLibbpfCapture();
  return rc;
}

namespace {
// load(): Promise<void>, for a sensor made with deferLoad. The Sensor is kept
// referenced until the load has finished.
class LoadWorker : public Napi::AsyncWorker {
 public:
  // `load` runs on the libuv thread, `done` back on the JavaScript thread; `self` (the Sensor's JS object)
  // is held so it cannot be collected meanwhile.
  LoadWorker(Napi::Env env, Napi::Object self, std::function<int(std::string*)> load, std::function<void(int)> done)
      : Napi::AsyncWorker(env, "agentprov-bpf-load"), deferred_(Napi::Promise::Deferred::New(env)),
        self_(Napi::Persistent(self)), load_(std::move(load)), done_(std::move(done)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { rc_ = load_(&log_); }
  void OnOK() override {
    Napi::Env env = Env();
    done_(rc_);
    if (rc_ == 0) {
      deferred_.Resolve(env.Undefined());
      return;
    }
    if (rc_ == -ECANCELED) {
      ThrowSensorError(env, "load: the sensor was stopped before its programs were loaded", "AP_SENSOR", "load", ECANCELED);
    } else {
      ThrowLibbpfError(env, "load and verify BPF programs", rc_, log_);
    }
    deferred_.Reject(env.GetAndClearPendingException().Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference self_;
  std::function<int(std::string*)> load_;
  std::function<void(int)> done_;
  int rc_ = 0;
  std::string log_;
};
}  // namespace

Napi::Value Sensor::JS_load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (skel_ == nullptr || stopped_ || !loading_ || load_started_) {
    ThrowSensorError(env, "load: the sensor was not made with deferLoad, or is loading or loaded", "AP_SENSOR", "load", 0);
    return env.Undefined();
  }
  load_started_ = true;
  auto* worker = new LoadWorker(
      env, info.This().As<Napi::Object>(), [this](std::string* log) { return LoadNow(log); },
      [this](int rc) {
        loading_ = false;
        if (rc != 0 && !stopped_) {
          sensor_bpf__destroy(skel_);
          skel_ = nullptr;
        }
      });
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Sensor::~Sensor() { Stop(); }

bool Sensor::CheckRunning(Napi::Env env, const char* op) {
  if (loading_) {
    ThrowSensorError(env, std::string(op) + ": the sensor is still loading (await load())", "AP_SENSOR", op, 0);
    return false;
  }
  if (skel_ != nullptr && !stopped_) return true;
  ThrowSensorError(env, std::string(op) + ": the sensor is stopped", "AP_SENSOR", op, 0);
  return false;
}

// start(onBatch): attach every hook and start the poller thread.
Napi::Value Sensor::JS_start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "start")) return env.Undefined();
  if (poller_) {
    ThrowSensorError(env, "start: already started", "AP_SENSOR", "start", 0);
    return env.Undefined();
  }
  ap_skip_manual_attach(skel_, enforce_);
  StartLibbpfCapture();
  int rc = sensor_bpf__attach(skel_);
  if (rc != 0) {
    ThrowLibbpfError(env, "attach BPF programs", rc, StopLibbpfCapture());
    return env.Undefined();
  }
  if (enforce_) {
    int fd = open(cgroup_root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      ThrowSensorError(env, "open cgroup v2 root " + cgroup_root_ + ": " + strerror(err), "AP_SENSOR",
                       "open cgroup root", err, StopLibbpfCapture());
      return env.Undefined();
    }
    bpf_program* progs[] = {skel_->progs.handle_connect4, skel_->progs.handle_connect6};
    for (bpf_program* prog : progs) {
      bpf_link* link = bpf_program__attach_cgroup(prog, fd);
      if (link == nullptr) {
        int err = -errno;
        close(fd);
        ThrowLibbpfError(env, std::string("attach ") + bpf_program__name(prog) + " to " + cgroup_root_, err,
                         StopLibbpfCapture());
        return env.Undefined();
      }
      links_.push_back(link);
    }
    close(fd);
  }
  StopLibbpfCapture();
  poller_ = std::make_unique<RingPoller>(env, bpf_map__fd(skel_->maps.events), info[0].As<Napi::Function>(),
                                         enforce_ ? &containment_ : nullptr, user_queue_bytes_);
  rc = poller_->Start();
  if (rc != 0) {
    poller_.reset();
    ThrowLibbpfError(env, "open ring buffer", rc);
  }
  return env.Undefined();
}

namespace {

// Detaching a tracepoint link waits for tracepoint RCU grace periods (tens of
// ms each); concurrent detaches share them, so ~40 links go in parallel.
// This function is called from a worker thread or, at env teardown, the
// JavaScript thread.
void DestroyLinks(std::vector<bpf_link*> links) {
  std::vector<std::thread> threads;
  threads.reserve(links.size());
  for (bpf_link* link : links) threads.emplace_back([link] { bpf_link__destroy(link); });
  for (std::thread& t : threads) t.join();
}

// The skeleton's own links, taken out so sensor_bpf__destroy does not detach
// them one by one.
std::vector<bpf_link*> TakeSkeletonLinks(sensor_bpf* skel) {
  std::vector<bpf_link*> out;
  bpf_object_skeleton* s = skel->skeleton;
  for (int i = 0; s != nullptr && i < s->prog_cnt; i++) {
    bpf_link** slot = s->progs[i].link;
    if (slot != nullptr && *slot != nullptr) {
      out.push_back(*slot);
      *slot = nullptr;
    }
  }
  return out;
}

class TeardownWorker : public Napi::AsyncWorker {
 public:
  TeardownWorker(Napi::Env env, std::vector<bpf_link*> links, sensor_bpf* skel)
      : Napi::AsyncWorker(env, "agentprov-teardown"), deferred_(Napi::Promise::Deferred::New(env)),
        links_(std::move(links)), skel_(skel) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  // This function is called from a libuv worker thread.
  void Execute() override {
    DestroyLinks(std::move(links_));
    if (skel_ != nullptr) sensor_bpf__destroy(skel_);
  }
  // This function is called from the JavaScript thread.
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<bpf_link*> links_;
  sensor_bpf* skel_;
};

}  // namespace

// Stops producing and polling now; returns what is left to tear down (links
// and the skeleton), which the caller destroys here or on a worker thread.
sensor_bpf* Sensor::Quiesce(std::vector<bpf_link*>* links) {
  // a load() still verifying on its libuv thread uses skel_: wait for it to end
  std::lock_guard<std::mutex> wait(load_mutex_);
  if (stopped_) return nullptr;
  stopped_ = true;
  if (poller_) poller_->Stop();
  poller_.reset();
  *links = std::move(links_);
  links_.clear();
  sensor_bpf* skel = skel_;
  skel_ = nullptr;
  if (skel != nullptr) {
    std::vector<bpf_link*> own = TakeSkeletonLinks(skel);
    links->insert(links->end(), own.begin(), own.end());
  }
  if (!cleanup_.IsEmpty()) cleanup_.Remove(Env());
  return skel;
}

// Synchronous teardown: env cleanup hook and garbage collection.
void Sensor::Stop() {
  std::vector<bpf_link*> links;
  sensor_bpf* skel = Quiesce(&links);
  DestroyLinks(std::move(links));
  if (skel != nullptr) sensor_bpf__destroy(skel);
}

// stop(handOff?): Promise<void>, idempotent. The poller is stopped and every
// program quiesced before this returns; detaching finishes on a worker thread.
// The kernel serializes tracepoint detaches (an RCU grace period each, ~50 ms
// here), so `handOff(fds)` may give the link fds to a process that outlives
// this one's wait (host/link-reaper): when it returns true, another process
// holds every link, closing ours is fast, and the last close happens there.
Napi::Value Sensor::JS_stop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<bpf_link*> links;
  if (!loading_ && skel_ != nullptr && skel_->bss != nullptr) __atomic_store_n(&skel_->bss->quiesced, 1, __ATOMIC_SEQ_CST);
  sensor_bpf* skel = Quiesce(&links);
  if (info.Length() > 0 && info[0].IsFunction() && !links.empty()) {
    Napi::Array fds = Napi::Array::New(env);
    uint32_t n = 0;
    for (bpf_link* link : links) {
      int fd = bpf_link__fd(link);
      if (fd >= 0) fds.Set(n++, Napi::Number::New(env, fd));
    }
    // whatever it answers, teardown goes on below: a reaper only makes it fast
    info[0].As<Napi::Function>().Call({fds});
    if (env.IsExceptionPending()) env.GetAndClearPendingException();
  }
  auto* worker = new TeardownWorker(env, std::move(links), skel);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// quiesce(): every program traces nothing from now on (task.h), the poller
// keeps running: what is in the ring still reaches JavaScript, and a flush
// after this one ends, however busy the host.
Napi::Value Sensor::JS_quiesce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "quiesce")) return env.Undefined();
  if (skel_->bss != nullptr) __atomic_store_n(&skel_->bss->quiesced, 1, __ATOMIC_SEQ_CST);
  return env.Undefined();
}

// release(bytes): a batch of that size was decoded; its bytes leave the
// poller's queue bound. After stop there is no queue left to count against.
Napi::Value Sensor::JS_release(const Napi::CallbackInfo& info) {
  if (poller_) poller_->Release(static_cast<size_t>(info[0].As<Napi::Number>().DoubleValue()));
  return info.Env().Undefined();
}

// flush(): the next callback with undefined means the ring was read empty.
Napi::Value Sensor::JS_flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "flush")) return env.Undefined();
  if (poller_) poller_->RequestFlush();
  return Napi::Boolean::New(env, poller_ != nullptr);
}

// stats(): { emitted: bigint[], dropped: bigint[], userDropped: bigint[], pollErrors }, the kernel's
// counters summed over CPUs; userDropped is what the poller discarded past its queue bound.
Napi::Value Sensor::JS_stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "stats")) return env.Undefined();
  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) {
    ThrowLibbpfError(env, "count possible CPUs", ncpus);
    return env.Undefined();
  }
  std::vector<ap_stat> values(static_cast<size_t>(ncpus));
  Napi::Array emitted = Napi::Array::New(env, AP_KIND_SLOTS);
  Napi::Array dropped = Napi::Array::New(env, AP_KIND_SLOTS);
  Napi::Array user_dropped = Napi::Array::New(env, AP_KIND_SLOTS);
  int fd = bpf_map__fd(skel_->maps.stats);
  for (uint32_t kind = 0; kind < AP_KIND_SLOTS; kind++) {
    int rc = bpf_map_lookup_elem(fd, &kind, values.data());
    if (rc != 0) {
      ThrowLibbpfError(env, "read stats", rc);
      return env.Undefined();
    }
    uint64_t e = 0, d = 0;
    for (const ap_stat& v : values) {
      e += v.emitted;
      d += v.dropped;
    }
    emitted.Set(kind, Napi::BigInt::New(env, e));
    dropped.Set(kind, Napi::BigInt::New(env, d));
    user_dropped.Set(kind, Napi::BigInt::New(env, poller_ ? poller_->UserDropped(kind) : 0));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("emitted", emitted);
  out.Set("dropped", dropped);
  out.Set("userDropped", user_dropped);
  out.Set("pollErrors", Napi::Number::New(env, static_cast<double>(poller_ ? poller_->PollErrors() : 0)));
  return out;
}

// attachTls(path, offsets?): uprobe + uretprobe on each SSL_* function the file has, at
// offsets[name] (a file offset) where given, else found by name (libbpf parses the ELF for each).
// Returns the names attached; throws only if none could be.
Napi::Value Sensor::JS_attachTls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "attachTls")) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Object offsets = info.Length() > 1 && info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object();
  struct Target {
    const char* func;
    bpf_program* entry;
  } targets[] = {
      {"SSL_write", skel_->progs.handle_ssl_write_enter},
      {"SSL_read", skel_->progs.handle_ssl_read_enter},
      {"SSL_write_ex", skel_->progs.handle_ssl_write_ex_enter},
      {"SSL_read_ex", skel_->progs.handle_ssl_read_ex_enter},
  };
  Napi::Array attached = Napi::Array::New(env);
  int first_err = 0;
  StartLibbpfCapture();
  for (const Target& t : targets) {
    // with an offset, no name: libbpf then attaches at that file offset without reading the file
    size_t at = 0;
    const char* name = t.func;
    if (!offsets.IsEmpty()) {
      Napi::Value v = offsets.Get(t.func);
      if (!v.IsNumber()) continue;  // the file does not define it
      at = static_cast<size_t>(v.As<Napi::Number>().Int64Value());
      name = nullptr;
    }
    LIBBPF_OPTS(bpf_uprobe_opts, entry_opts, .retprobe = false, .func_name = name);
    bpf_link* entry = bpf_program__attach_uprobe_opts(t.entry, -1, path.c_str(), at, &entry_opts);
    if (entry == nullptr) {
      if (first_err == 0) first_err = -errno;
      continue;
    }
    LIBBPF_OPTS(bpf_uprobe_opts, ret_opts, .retprobe = true, .func_name = name);
    bpf_link* ret = bpf_program__attach_uprobe_opts(skel_->progs.handle_ssl_exit, -1, path.c_str(), at, &ret_opts);
    if (ret == nullptr) {
      if (first_err == 0) first_err = -errno;
      bpf_link__destroy(entry);
      continue;
    }
    links_.push_back(entry);
    links_.push_back(ret);
    attached.Set(attached.Length(), t.func);
  }
  std::string log = StopLibbpfCapture();
  if (attached.Length() == 0) ThrowLibbpfError(env, "attach TLS uprobes to " + path, first_err ? first_err : -ENOENT, log);
  return attached;
}

}  // namespace agentprov
