/*
 * Test helper for test/kernel/sensor-cred.test.ts, compiled by the test with cc.
 *   cred-ptrace setuid0     setuid(0) and print "result errno" (EPERM when not root)
 *   cred-ptrace ptrace      fork a child, PTRACE_ATTACH it, detach, kill it; print the child's pid
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "setuid0") == 0) {
		int rc = setuid(0);
		printf("%d %d\n", rc, rc ? errno : 0);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "ptrace") == 0) {
		pid_t child = fork();
		int status;

		if (child == 0) {
			pause();
			_exit(0);
		}
		if (ptrace(PTRACE_ATTACH, child, NULL, NULL) != 0) {
			perror("PTRACE_ATTACH");
			kill(child, SIGKILL);
			return 1;
		}
		waitpid(child, &status, 0);
		ptrace(PTRACE_DETACH, child, NULL, NULL);
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		printf("%d\n", child);
		return 0;
	}
	fprintf(stderr, "usage: %s setuid0|ptrace\n", argv[0]);
	return 2;
}
