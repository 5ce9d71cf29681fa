// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* maps.bpf.c: the one definition of every map and global in maps.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "events.h"
#include "maps.h"

ap_events_map events SEC(".maps");
ap_stats_map stats SEC(".maps");
ap_tracked_cgroup_map tracked_cgroup SEC(".maps");
ap_tracked_tgid_map tracked_tgid SEC(".maps");
ap_pending_map pending SEC(".maps");
ap_tls_pending_map tls_pending SEC(".maps");
ap_tls_zero_map tls_zero SEC(".maps");
ap_scratch_map scratch SEC(".maps");
ap_deny_v4_map deny_v4 SEC(".maps");
ap_deny_v6_map deny_v6 SEC(".maps");
ap_deny_exec_map deny_exec SEC(".maps");
ap_deny_ino_map deny_ino SEC(".maps");
ap_exec_key_map exec_key SEC(".maps");

const volatile __u8 trace_all = 0;
const volatile __u32 self_tgid = 0;
const volatile __u64 wakeup_bytes = 0;
volatile __u32 track_flags = 0;
volatile __u32 quiesced = 0;
volatile __u64 cgroup_bloom[AP_CG_BLOOM_WORDS];
volatile __u64 tgid_bloom[AP_TGID_BLOOM_WORDS];

char LICENSE[] SEC("license") = "Dual BSD/GPL";
