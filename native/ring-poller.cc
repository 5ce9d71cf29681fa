// ring-poller.cc: the ring-buffer thread. It never decodes a record: it
// frames samples into batches, and past its queue bound it reads only a
// record's kind, to count what it discards.
#include "ring-poller.h"

#include <bpf/libbpf.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "containment.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace agentprov {

namespace {
// Returned by the sample callback when the batch is full: libbpf stops
// consuming (keeping the rest in the ring) and poll returns this value.
constexpr int kBatchFull = -EFBIG;
// Records are submitted without a wakeup until the ring holds wakeup_bytes, so this timeout bounds how
// late a quiet ring is read. Kernel containment does not wait on it: enforcement records wake the reader
// at once (ap_submit_now), and the ring thread acts on them as it reads them.
constexpr int kPollMs = 10;
// What a quiet ring gave is handed to JavaScript once the oldest record has waited this long (or at once
// when the ring asked for a reader, a batch is full or a flush is asked for). Each hand-over costs the
// JavaScript thread a wake-up and a batch's fixed work (~300 us on this 2-vCPU VM): an exec storm trickles
// in at 2k records/s, a few per 10 ms read, and paid that per few records.
constexpr auto kHoldMs = std::chrono::milliseconds(50);
constexpr size_t kHoldRecords = 128;
}  // namespace

// This function is called from the JavaScript thread (or with env == nullptr
// when the queue is emptied after an abort, only to free the batch).
void CallJs(Napi::Env env, Napi::Function callback, std::nullptr_t*, Batch* batch) {
  if (env == nullptr || callback.IsEmpty()) {
    delete batch;
    return;
  }
  if (batch == nullptr) {
    callback.Call({env.Undefined()});
    return;
  }
  // Zero-copy: the Buffer owns the vector and frees it when collected.
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(
      env, batch->data(), batch->size(), [](Napi::Env, uint8_t*, Batch* b) { delete b; }, batch);
  callback.Call({buf});
  // A throwing callback is a bug in the decoder: surface it, do not lose it.
  if (env.IsExceptionPending()) {
    Napi::Error err = env.GetAndClearPendingException();
    napi_fatal_exception(env, err.Value());
  }
}

RingPoller::RingPoller(Napi::Env env, int ring_fd, Napi::Function on_batch, Containment* containment,
                       size_t max_queued_bytes)
    : env_(env), ring_fd_(ring_fd), containment_(containment), max_queued_bytes_(max_queued_bytes) {
  // max_queue_size 0: unbounded in items; Deliver bounds it in bytes.
  tsfn_ = BatchTsfn::New(env, on_batch, "agentprov-ring", 0, 1, nullptr);
}

RingPoller::~RingPoller() { Stop(); }

int RingPoller::Start() {
  rb_ = ring_buffer__new(ring_fd_, OnSample, this, nullptr);
  bool ready = rb_ != nullptr;
  if (ready) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ring{}, wake{};
    ring.events = wake.events = EPOLLIN;
    ring.data.fd = ring_buffer__epoll_fd(rb_);
    wake.data.fd = wake_fd_;
    ready = epoll_fd_ >= 0 && wake_fd_ >= 0 && epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ring.data.fd, &ring) == 0 &&
            epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) == 0;
  }
  if (!ready) {
    int err = -errno;
    CloseFds();
    ring_buffer__free(rb_);  // accepts nullptr
    rb_ = nullptr;
    tsfn_.Abort();
    stopped_ = true;
    return err ? err : -EINVAL;
  }
  batch_.reserve(kMaxBatchBytes + 8192);
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  return 0;
}

void RingPoller::Stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  Wake();
  // Abort first: if the thread is blocked in BlockingCall on a full queue
  // that only this (JavaScript) thread drains, join would never return.
  tsfn_.Abort();
  if (started_ && thread_.joinable()) thread_.join();
  if (rb_ != nullptr) {
    ring_buffer__free(rb_);
    rb_ = nullptr;
  }
  CloseFds();
}

void RingPoller::CloseFds() {
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  wake_fd_ = epoll_fd_ = -1;
}

void RingPoller::RequestFlush() {
  flush_requested_.store(true);
  Wake();
}

void RingPoller::Wake() {
  uint64_t one = 1;
  // EAGAIN (the counter is full) means a wake-up is already pending: nothing is lost
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof(one));
}

// This function is called from the poller thread, inside ring_buffer__consume.
int RingPoller::OnSample(void* ctx, void* data, size_t len) {
  auto* self = static_cast<RingPoller*>(ctx);
  // Containment first: it is what someone is waiting on.
  if (self->containment_ != nullptr) self->containment_->OnRecord(data, len);
  uint32_t frame = static_cast<uint32_t>(len);
  if (self->queued_bytes_.load() + self->batch_.size() + sizeof(frame) + len > self->max_queued_bytes_) {
    // JavaScript is that far behind: keep draining, keep nothing, count it.
    uint16_t kind = 0;
    if (len >= sizeof(kind)) std::memcpy(&kind, data, sizeof(kind));
    self->user_dropped_[kind < kKindSlots ? kind : 0].fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  size_t at = self->batch_.size();
  self->batch_.resize(at + sizeof(frame) + len);
  std::memcpy(self->batch_.data() + at, &frame, sizeof(frame));
  std::memcpy(self->batch_.data() + at + sizeof(frame), data, len);
  self->batch_records_++;
  return self->batch_.size() >= kMaxBatchBytes ? kBatchFull : 0;
}

// This function is called from the poller thread. Returns false when the
// queue is closing and the thread should end.
bool RingPoller::Deliver(Batch* batch) {
  // OnSample kept the queue within its bound (plus this one batch).
  if (batch != nullptr) queued_bytes_.fetch_add(batch->size());
  napi_status status = tsfn_.BlockingCall(batch);
  if (status != napi_ok) {
    delete batch;
    return false;
  }
  return true;
}

// This function is called from the poller thread. How long the next wait may last. Nothing held: a quiet
// ring is read every kPollMs. Holding: until the hold ends, or sooner if the last read's rate would fill
// kHoldRecords first, but never sooner than kPollMs. An exec storm trickles a few records per 10 ms read:
// it now pays about two wake-ups per hand-over instead of one per 10 ms (a wake-up costs this thread ~40 us
// on this VM; its CPU in the storm fell from 8-11 to 6-7 ticks per 26k records).
int RingPoller::WaitMs(std::chrono::steady_clock::time_point held_since) const {
  if (batch_.empty()) return kPollMs;
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(held_since + kHoldMs - std::chrono::steady_clock::now());
  long wait = std::max<long>(0, left.count() + 1);  // +1: round up, so the hold has ended when it returns
  if (last_read_records_ > 0 && batch_records_ < kHoldRecords) {  // at kHoldRecords the batch was handed over
    auto span = std::chrono::duration_cast<std::chrono::milliseconds>(last_read_span_).count();
    long to_full = static_cast<long>((kHoldRecords - batch_records_) * span / last_read_records_);
    wait = std::min(wait, std::max<long>(kPollMs, to_full));
  }
  return static_cast<int>(wait);
}

// This function is called from the poller thread.
void RingPoller::Run() {
  bool more = false;  // the last read stopped at a full batch: read on without waiting
  std::chrono::steady_clock::time_point held_since;  // when batch_'s oldest record was read
  while (!stopping_.load()) {
    epoll_event ready[2];
    int w = epoll_wait(epoll_fd_, ready, 2, more ? 0 : WaitMs(held_since));
    bool asked = false;  // the ring woke its reader: an enforcement record, or wakeup_bytes waiting
    for (int i = 0; i < w; i++) {
      uint64_t count;  // reset the eventfd; a failed read leaves it set, and the next wait returns at once
      if (ready[i].data.fd == wake_fd_) (void)!read(wake_fd_, &count, sizeof(count));
      else asked = true;
    }
    if (stopping_.load()) break;
    bool held = !batch_.empty();
    // Whether epoll said so or the timeout ran out: records submitted without a wakeup are read here too.
    size_t before = batch_records_;
    int n = w < 0 && errno != EINTR ? -errno : ring_buffer__consume(rb_);
    auto now = std::chrono::steady_clock::now();
    last_read_records_ = batch_records_ - before;
    last_read_span_ = now - last_read_at_;
    last_read_at_ = now;
    more = n == kBatchFull;
    if (n < 0 && n != kBatchFull && n != -EINTR) {
      // epoll failing is not expected; back off rather than spin.
      poll_errors_.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!held) held_since = now;
    bool flush = n != kBatchFull && flush_requested_.exchange(false);
    if (!batch_.empty() && (asked || more || flush || batch_records_ >= kHoldRecords || now - held_since >= kHoldMs)) {
      // An exact-size copy: a queue of many small batches must not hold a
      // full batch's reserve each. batch_ keeps its capacity for the next.
      auto* out = new Batch(batch_.begin(), batch_.end());
      batch_.clear();
      batch_records_ = 0;
      if (!Deliver(out)) return;
    }
    // A flush is answered only once the ring has been read to empty and all of it handed over.
    if (flush && !Deliver(nullptr)) return;
  }
  // The TSFN is released by Stop() (Abort) only: one owner, so it cannot be
  // finalized under a thread that still uses it.
}

}  // namespace agentprov
