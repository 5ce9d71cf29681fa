/*
 * storm.c: the syscall workloads of `make bench`. Prints one JSON line:
 *   {"storm":"exec","n":2000,"ns":123456789}
 * exec:    fork + execve("/bin/true") + wait, n times
 * openat:  openat("/etc/hostname") + close, n times
 * connect: TCP connect to a loopback listener + close, n times (an accept thread drains it)
 * Loopback only; bounded loops.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void storm_exec(long n)
{
	char *const argv[] = { "/bin/true", NULL };
	char *const envp[] = { NULL };

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			execve("/bin/true", argv, envp);
			_exit(127);
		}
		waitpid(pid, &status, 0);
	}
}

static void storm_openat(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, "/etc/hostname", O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
}

static int listener;

static void *accept_loop(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(listener, NULL, NULL);

		if (c < 0)
			return NULL;
		close(c);
	}
}

static void storm_connect(long n)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	pthread_t th;
	int one = 1;

	listener = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	bind(listener, (struct sockaddr *)&addr, sizeof(addr));
	listen(listener, 4096);
	getsockname(listener, (struct sockaddr *)&addr, &len);
	pthread_create(&th, NULL, accept_loop, NULL);
	for (long i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		/* RST on close: no TIME_WAIT pile-up across the storm */
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		connect(s, (struct sockaddr *)&addr, sizeof(addr));
		close(s);
	}
	shutdown(listener, SHUT_RDWR);
	close(listener);
}

int main(int argc, char **argv)
{
	long n;
	long long t0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s exec|openat|connect N\n", argv[0]);
		return 2;
	}
	n = atol(argv[2]);
	if (n <= 0 || n > 10000000) {
		fprintf(stderr, "N must be 1..10000000\n");
		return 2;
	}
	t0 = now_ns();
	if (strcmp(argv[1], "exec") == 0)
		storm_exec(n);
	else if (strcmp(argv[1], "openat") == 0)
		storm_openat(n);
	else if (strcmp(argv[1], "connect") == 0)
		storm_connect(n);
	else
		return 2;
	printf("{\"storm\":\"%s\",\"n\":%ld,\"ns\":%lld}\n", argv[1], n, now_ns() - t0);
	return 0;
}
