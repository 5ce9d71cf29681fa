// containment.cc: see containment.h. The ring thread must never block long:
// a kill is one write; a freeze is one write and a bounded wait (at most
// kFreezeConfirmUs) for the kernel to report the cgroup frozen.
#include "containment.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <linux/types.h>

#include "clock.h"
#include "events.h"

namespace agentprov {

namespace {
constexpr uint64_t kFreezeConfirmUs = 3000;

uint64_t BootNs() { return static_cast<uint64_t>(ClockNs(CLOCK_BOOTTIME)); }

int OpenIn(const std::string& dir, const char* name, int flags) {
  return open((dir + "/" + name).c_str(), flags | O_CLOEXEC);
}

// cgroup.events holds "populated N\nfrozen N\n".
bool ReadsFrozen(int fd) {
  char buf[128];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return false;
  buf[n] = 0;
  return std::strstr(buf, "frozen 1") != nullptr;
}
}  // namespace

Containment::~Containment() {
  for (auto& [id, files] : armed_) Close(&files);
}

void Containment::Close(Files* f) {
  for (int* fd : {&f->kill_fd, &f->freeze_fd, &f->events_fd}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

int Containment::Arm(uint64_t cgroup_id, const std::string& dir) {
  Files f;
  f.kill_fd = OpenIn(dir, "cgroup.kill", O_WRONLY);
  f.freeze_fd = OpenIn(dir, "cgroup.freeze", O_WRONLY);
  f.events_fd = OpenIn(dir, "cgroup.events", O_RDONLY);
  if (f.kill_fd < 0 || f.freeze_fd < 0 || f.events_fd < 0) {
    int err = errno;
    Close(&f);
    return -err;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = armed_.find(cgroup_id);
  if (it != armed_.end()) Close(&it->second);
  armed_[cgroup_id] = f;
  return 0;
}

void Containment::Disarm(uint64_t cgroup_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = armed_.find(cgroup_id);
  if (it == armed_.end()) return;
  Close(&it->second);
  armed_.erase(it);
}

void Containment::OnRecord(const void* data, size_t len) {
  if (len < sizeof(ap_enforce_event)) return;
  const auto* hdr = static_cast<const ap_event_header*>(data);
  if (hdr->kind != AP_EV_ENFORCE) return;
  const auto* e = static_cast<const ap_enforce_event*>(data);
  uint32_t contain = e->rule >> AP_DENY_CONTAIN_SHIFT;
  if (contain == AP_CONTAIN_NONE || e->action != AP_ENF_CONNECT_DENY) return;
  ContainmentReport r{};
  r.cgroup_id = e->task.cgroup_id;
  r.contain = contain;
  r.rule = e->rule & AP_DENY_RULE_MASK;
  r.tgid = e->task.tgid;
  r.event_ktime_ns = e->hdr.ktime_ns;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = armed_.find(r.cgroup_id);
  if (it == armed_.end())
    r.error = ENOENT;
  else
    Act(it->second, &r);
  reports_.push_back(r);
}

void Containment::Act(const Files& f, ContainmentReport* r) {
  int fd = r->contain == AP_CONTAIN_KILL ? f.kill_fd : r->contain == AP_CONTAIN_FREEZE ? f.freeze_fd : -1;
  if (fd < 0) {
    r->error = EINVAL;
    return;
  }
  // cgroup.kill sends SIGKILL to every task before the write returns: none
  // runs another user instruction. cgroup.freeze completes asynchronously.
  if (pwrite(fd, "1", 1, 0) != 1) {
    r->error = errno;
    return;
  }
  r->acted_ktime_ns = BootNs();
  if (r->contain != AP_CONTAIN_FREEZE) return;
  for (;;) {
    bool frozen = ReadsFrozen(f.events_fd);
    uint64_t now = BootNs();
    if (frozen) {
      r->confirmed_ktime_ns = now;
      return;
    }
    if (now - r->acted_ktime_ns > kFreezeConfirmUs * 1000) return;
    usleep(20);
  }
}

std::vector<ContainmentReport> Containment::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ContainmentReport> out;
  out.swap(reports_);
  return out;
}

}  // namespace agentprov
