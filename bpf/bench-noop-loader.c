// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench-noop-loader.c: loads and attaches bench-noop.bpf.o, prints "ready",
 * and detaches on SIGINT/SIGTERM. Used by scripts/bench-sensor.sh only.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bench-noop.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct bench_noop *skel;
	int err;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* open, load and verify, attach: each step with its own message */
	skel = bench_noop__open_and_load();
	if (!skel) {
		fprintf(stderr, "Failed to open and load bench-noop BPF skeleton\n");
		return 1;
	}
	err = bench_noop__attach(skel);
	if (err) {
		fprintf(stderr, "Failed to attach bench-noop BPF skeleton: %d\n", err);
		goto cleanup;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
cleanup:
	bench_noop__destroy(skel);
	return err ? 1 : 0;
}
