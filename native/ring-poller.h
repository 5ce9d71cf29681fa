// ring-poller.h: one thread that drains the kernel ring buffer and hands one
// Buffer per batch to JavaScript through a bounded thread-safe function.
#pragma once

#include <napi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

struct ring_buffer;

namespace agentprov {

class Containment;

// A batch is the ring samples back to back, each framed as
// [u32 length][length bytes]; nullptr is the flush marker.
using Batch = std::vector<uint8_t>;

// No context: the bytes a batch holds leave the queue bound when JavaScript
// has decoded it (RingPoller::Release), not when it is handed over.
void CallJs(Napi::Env env, Napi::Function callback, std::nullptr_t* context, Batch* batch);
using BatchTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, Batch, CallJs>;

class RingPoller {
 public:
  // Bounded by bytes, not batches: the poller keeps draining the kernel ring
  // into this queue while JavaScript is busy (a store commit, a graph), so a
  // burst of 10^5 events waits here instead of being dropped in the kernel.
  // Past the bound it still drains the ring (the kernel must not stall or
  // drop what containment needs to see) but keeps no record, counting each
  // one it discards by kind: loss is never silent, and never in the kernel
  // because userspace fell behind.
  static constexpr size_t kDefaultMaxQueuedBytes = 512ull * 1024 * 1024;
  static constexpr size_t kMaxBatchBytes = 512 * 1024;
  // One slot per event kind (AP_KIND_SLOTS); a kind out of range counts in 0.
  static constexpr size_t kKindSlots = 16;

  // This function is called from the JavaScript thread. `containment` (may
  // be null) sees every record on the poller thread before it is batched,
  // kept or not; it must outlive the poller.
  RingPoller(Napi::Env env, int ring_fd, Napi::Function on_batch, Containment* containment,
             size_t max_queued_bytes = kDefaultMaxQueuedBytes);
  ~RingPoller();

  // This function is called from the JavaScript thread. Starts the thread;
  // returns libbpf's -errno if the ring buffer cannot be set up.
  int Start();
  // This function is called from the JavaScript thread. Idempotent: aborts
  // the queue (a blocked BlockingCall returns), joins, frees the ring.
  void Stop();
  // This function is called from the JavaScript thread: the poller drains
  // the ring and then delivers a flush marker (callback with undefined).
  void RequestFlush();
  // This function is called from the JavaScript thread, once per batch it
  // was given, after decoding it: the queue bound covers its own queue too.
  void Release(size_t bytes) { queued_bytes_.fetch_sub(bytes); }
  // This function is called from the JavaScript thread.
  uint64_t PollErrors() const { return poll_errors_.load(); }
  // This function is called from the JavaScript thread: records of `kind`
  // drained from the ring and discarded because the queue was full.
  uint64_t UserDropped(size_t kind) const { return kind < kKindSlots ? user_dropped_[kind].load() : 0; }

 private:
  // These functions are called from the poller thread.
  void Run();
  // This function is called from any thread: ends the thread's current wait at once.
  void Wake();
  // This function is called from the JavaScript thread.
  void CloseFds();
  static int OnSample(void* ctx, void* data, size_t len);
  bool Deliver(Batch* batch);
  int WaitMs(std::chrono::steady_clock::time_point held_since) const;

  Napi::Env env_;
  int ring_fd_;
  Containment* containment_;
  BatchTsfn tsfn_;
  ring_buffer* rb_ = nullptr;
  // The thread waits on its own epoll set: libbpf's (the ring) and an eventfd, so a flush or a stop does
  // not wait out the poll timeout (`record` flushes several times; 10 ms each added up to ~0.1 s).
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> flush_requested_{false};
  std::atomic<uint64_t> poll_errors_{0};
  std::atomic<size_t> queued_bytes_{0};
  size_t max_queued_bytes_;
  std::atomic<uint64_t> user_dropped_[kKindSlots] = {};
  bool started_ = false;
  bool stopped_ = false;
  Batch batch_;
  size_t batch_records_ = 0;  // records in batch_
  size_t last_read_records_ = 0;  // records the last ring_buffer__consume added, and over what time
  std::chrono::steady_clock::duration last_read_span_{};
  std::chrono::steady_clock::time_point last_read_at_{};
};

}  // namespace agentprov
