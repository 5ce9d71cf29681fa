// containment.h: the sensor's fast path from a refused connect() to a killed
// or frozen cgroup. The kernel refuses the connect (cgroup/connect4, 6) and
// reports it with a forced wakeup; when the deny entry carries a containment
// (enum ap_contain), the ring thread writes cgroup.kill or cgroup.freeze of
// the task's cgroup itself. Containment then costs one wakeup and one write,
// whatever the JavaScript thread is busy with; JavaScript records it after.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace agentprov {

struct ContainmentReport {
  uint64_t cgroup_id;
  uint32_t contain;  // enum ap_contain
  uint32_t rule;     // the deny entry's rule tag, contain bits removed
  uint32_t tgid;
  int32_t error;     // 0, errno of the failed write, or ENOENT: cgroup not armed
  uint64_t event_ktime_ns;      // CLOCK_BOOTTIME stamped by the kernel on the refusal
  uint64_t acted_ktime_ns;      // CLOCK_BOOTTIME right after the write returned
  uint64_t confirmed_ktime_ns;  // freeze: when cgroup.events said "frozen 1"; 0 if not seen
};

class Containment {
 public:
  Containment() = default;
  Containment(const Containment&) = delete;
  Containment& operator=(const Containment&) = delete;
  ~Containment();

  // This function is called from the JavaScript thread. Opens cgroup.kill,
  // cgroup.freeze and cgroup.events under `dir` (a cgroup v2 directory).
  // Returns 0 or -errno. Arming again replaces the files.
  int Arm(uint64_t cgroup_id, const std::string& dir);
  // This function is called from the JavaScript thread.
  void Disarm(uint64_t cgroup_id);
  // This function is called from the poller thread, for every ring record.
  void OnRecord(const void* data, size_t len);
  // This function is called from the JavaScript thread: reports since the last call.
  std::vector<ContainmentReport> Take();

 private:
  struct Files {
    int kill_fd = -1;
    int freeze_fd = -1;
    int events_fd = -1;
  };
  static void Close(Files* f);
  void Act(const Files& f, ContainmentReport* r);

  std::mutex mu_;
  std::unordered_map<uint64_t, Files> armed_;
  std::vector<ContainmentReport> reports_;
};

}  // namespace agentprov
