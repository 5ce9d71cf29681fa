// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench-reference.c: the C libbpf reference of issue 13 for scripts/bench-sensor.sh. It loads the sensor's own
 * BPF object (sensor.skel.h) with the settings `agentprov-sensor --all --no-tls` uses (trace_all, the same
 * ring size and wakeup threshold, no TLS uprobes, no enforcement programs), reads the ring the way the native
 * poller does (wait up to 10 ms, then consume all, records submitted without a wakeup too) and only counts records
 * per kind: the floor any userspace consumer of these programs pays. Prints "ready" once attached; on
 * SIGINT/SIGTERM prints {"events":N,"dropped":N} and exits.
 *
 *   bench-reference [RING_BYTES] [POLL_MS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "sensor.skel.h"
#include "skeleton-attach.h"

static volatile sig_atomic_t stop;
static unsigned long long counts[AP_KIND_SLOTS];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_sample(void *ctx, void *data, size_t len)
{
	const struct ap_event_header *h = data;

	(void)ctx;
	if (len >= sizeof(*h))
		counts[h->kind < AP_KIND_SLOTS ? h->kind : 0]++;
	return 0;
}

/* Kernel-side drops (ring full), summed over kinds and CPUs. */
static unsigned long long kernel_dropped(struct sensor_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(skel->maps.stats);
	struct ap_stat *per_cpu = calloc(ncpu > 0 ? ncpu : 1, sizeof(*per_cpu));
	unsigned long long total = 0;

	for (__u32 kind = 0; per_cpu && ncpu > 0 && kind < AP_KIND_SLOTS; kind++) {
		if (bpf_map_lookup_elem(fd, &kind, per_cpu) != 0)
			continue;
		for (int c = 0; c < ncpu; c++)
			total += per_cpu[c].dropped;
	}
	free(per_cpu);
	return total;
}

int main(int argc, char **argv)
{
	unsigned int ring_bytes = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 16u << 20;
	int poll_ms = argc > 2 ? atoi(argv[2]) : 10;
	struct ring_buffer *rb = NULL;
	struct sensor_bpf *skel;
	unsigned long long events = 0;
	int err;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	skel = sensor_bpf__open();
	if (!skel) {
		fprintf(stderr, "bench-reference: open sensor BPF skeleton failed\n");
		return 1;
	}
	skel->rodata->trace_all = 1;
	skel->rodata->self_tgid = (__u32)getpid();
	skel->rodata->wakeup_bytes = ring_bytes / 64;
	err = bpf_map__set_max_entries(skel->maps.events, ring_bytes);
	if (!err)
		err = sensor_bpf__load(skel);
	if (err) {
		fprintf(stderr, "bench-reference: load and verify failed: %d\n", err);
		goto out;
	}
	/* what the sensor attaches through the skeleton without --enforce (TLS is --no-tls) */
	ap_skip_manual_attach(skel, false);
	err = sensor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "bench-reference: attach failed: %d\n", err);
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_sample, NULL, NULL);
	if (!rb) {
		err = -1;
		fprintf(stderr, "bench-reference: ring buffer failed\n");
		goto out;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (ring_buffer__poll(rb, poll_ms) >= 0)
			ring_buffer__consume(rb);
	}
	ring_buffer__consume(rb);
	for (int k = 0; k < AP_KIND_SLOTS; k++)
		events += counts[k];
	printf("{\"events\":%llu,\"dropped\":%llu}\n", events, kernel_dropped(skel));
out:
	ring_buffer__free(rb);
	sensor_bpf__destroy(skel);
	return err ? 1 : 0;
}
