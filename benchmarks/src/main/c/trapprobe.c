/*
 * trapprobe: what a ring transition costs on this host, for the "native" and "modelled"
 * columns of `parasol bench`. The JVM has no ring transition; these are the real ones.
 *
 *   syscall  syscall(SYS_getppid): user -> kernel -> user, the shape of a PV hypercall
 *   sigill   ud2 -> #UD -> kernel -> SIGILL handler (RIP += 2) -> rt_sigreturn -> user: a
 *            trapped instruction emulated by a handler, the shape of a trapped PTE write
 *   cpuid    CPUID leaf 0: an instruction that exits to the hypervisor when this host is a VM
 *
 * Each cost is timed with clock_gettime(CLOCK_MONOTONIC) around a loop whose iteration count
 * is doubled until one pass takes at least the target time; the best of five passes is
 * printed (the least disturbed by other work on the machine), as `name ns_per_op`.
 *
 * Usage: trapprobe [target_ms]   (default 100)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#if !defined(__x86_64__)
int main(void)
{
	printf("unsupported not-x86-64\n");
	return 0;
}
#else

static volatile uint64_t sink;
static volatile sig_atomic_t handled;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void run_syscalls(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		sink += (uint64_t)syscall(SYS_getppid);
}

/* The handler skips the 2-byte ud2 that raised the signal: the trapped instruction is
 * "emulated" as a no-op and execution resumes after it. */
static void on_sigill(int sig, siginfo_t *info, void *uc_void)
{
	ucontext_t *uc = uc_void;
	(void)sig;
	(void)info;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
	handled++;
}

static void run_traps(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		__asm__ volatile("ud2" ::: "memory");
}

static void run_cpuid(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint32_t a = 0, b, c = 0, d;
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		sink += a ^ b ^ c ^ d;
	}
}

/* ns per operation: the best of five passes, each at least target_ns long. */
static double measure(void (*body)(uint64_t), uint64_t target_ns)
{
	uint64_t n = 1;
	for (;;) {
		uint64_t t0 = now_ns();
		body(n);
		uint64_t t = now_ns() - t0;
		if (t >= target_ns)
			break;
		n *= 2;
	}
	double best = -1;
	for (int pass = 0; pass < 5; pass++) {
		uint64_t t0 = now_ns();
		body(n);
		double per = (double)(now_ns() - t0) / (double)n;
		if (best < 0 || per < best)
			best = per;
	}
	return best;
}

int main(int argc, char **argv)
{
	long target_ms = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
	if (target_ms <= 0)
		target_ms = 100;
	uint64_t target_ns = (uint64_t)target_ms * 1000000u;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigill;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGILL, &sa, NULL) != 0) {
		perror("sigaction");
		return 1;
	}
	/* One trap first, to check that the handler really resumes after ud2. */
	run_traps(1);
	if (handled != 1) {
		fprintf(stderr, "trapprobe: the SIGILL handler did not run\n");
		return 1;
	}

	printf("syscall %.1f\n", measure(run_syscalls, target_ns));
	printf("sigill %.1f\n", measure(run_traps, target_ns));
	printf("cpuid %.1f\n", measure(run_cpuid, target_ns));
	return 0;
}
#endif
