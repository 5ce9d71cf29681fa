// clock.h: one clock reader for the addon (boot-offset sampling and the ring
// thread's containment timestamps).
#pragma once

#include <cstdint>
#include <ctime>

namespace agentprov {

inline int64_t ClockNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

}  // namespace agentprov
