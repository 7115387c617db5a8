/*
 * proftimer.h: a SIGPROF timer for the unwinder's tests, whose handlers
 * capture stacks in the middle of the main loop's (include after check.h).
 */
#ifndef PROFTIMER_H
#define PROFTIMER_H

#include <signal.h>
#include <string.h>
#include <time.h>

/*
 * A SIGPROF every ns nanoseconds (a high-resolution timer, wherever the
 * CPU is), to handler or, with its siginfo, to action; until timer_delete.
 */
static timer_t
prof_timer(void (*handler)(int), void (*action)(int, siginfo_t *, void *),
    long ns)
{
	struct sigaction sa;
	struct itimerspec it;
	struct sigevent sev;
	timer_t tid;

	memset(&sa, 0, sizeof (sa));
	if (action != NULL)
		sa.sa_sigaction = action;
	else
		sa.sa_handler = handler;
	sa.sa_flags = (action != NULL ? SA_SIGINFO : 0) | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGPROF, &sa, NULL) == 0);
	memset(&sev, 0, sizeof (sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGPROF;
	REQUIRE(timer_create(CLOCK_MONOTONIC, &sev, &tid) == 0);
	memset(&it, 0, sizeof (it));
	it.it_interval.tv_nsec = ns;
	it.it_value.tv_nsec = ns;
	REQUIRE(timer_settime(tid, 0, &it, NULL) == 0);
	return (tid);
}

#endif
