// ring-poller.h: one thread that drains the kernel ring buffer and hands one
// Buffer per batch to JavaScript through a bounded thread-safe function.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

struct ring_buffer;

namespace agentprov {

class Containment;

// A batch is the ring samples back to back, each framed as
// [u32 length][length bytes]; nullptr is the flush marker.
using Batch = std::vector<uint8_t>;

// The context is the poller's count of bytes queued for JavaScript.
void CallJs(Napi::Env env, Napi::Function callback, std::atomic<size_t>* queued, Batch* batch);
using BatchTsfn = Napi::TypedThreadSafeFunction<std::atomic<size_t>, Batch, CallJs>;

class RingPoller {
 public:
  // Bounded by bytes, not batches: the poller keeps draining the kernel ring
  // into this queue while JavaScript is busy (a store commit, a graph), so a
  // burst of 10^5 events waits here instead of being dropped in the kernel.
  // Past this many queued bytes the poller waits, the kernel ring fills and
  // the BPF side counts what it drops: loss is never silent.
  static constexpr size_t kMaxQueuedBytes = 512ull * 1024 * 1024;
  static constexpr size_t kMaxBatchBytes = 512 * 1024;

  // This function is called from the JavaScript thread. `containment` (may
  // be null) sees every record on the poller thread before it is batched; it
  // must outlive the poller.
  RingPoller(Napi::Env env, int ring_fd, Napi::Function on_batch, Containment* containment);
  ~RingPoller();

  // This function is called from the JavaScript thread. Starts the thread;
  // returns libbpf's -errno if the ring buffer cannot be set up.
  int Start();
  // This function is called from the JavaScript thread. Idempotent: aborts
  // the queue (a blocked BlockingCall returns), joins, frees the ring.
  void Stop();
  // This function is called from the JavaScript thread: the poller drains
  // the ring and then delivers a flush marker (callback with undefined).
  void RequestFlush() { flush_requested_.store(true); }
  // This function is called from the JavaScript thread.
  uint64_t PollErrors() const { return poll_errors_.load(); }

 private:
  // These functions are called from the poller thread.
  void Run();
  static int OnSample(void* ctx, void* data, size_t len);
  bool Deliver(Batch* batch);

  Napi::Env env_;
  int ring_fd_;
  Containment* containment_;
  BatchTsfn tsfn_;
  ring_buffer* rb_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> flush_requested_{false};
  std::atomic<uint64_t> poll_errors_{0};
  std::atomic<size_t> queued_bytes_{0};
  bool started_ = false;
  bool stopped_ = false;
  Batch batch_;
};

}  // namespace agentprov
