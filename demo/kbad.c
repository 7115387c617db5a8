/*
 * kbad: the seed's bug, in user space.
 *
 * A "zil" worker thread builds a list of 256-byte log records (itx), one a
 * millisecond, and when the list is long enough cleans it from the tail,
 * unlinking (list_remove) and freeing each record: malloc(256) is a
 * kmem_alloc_256 buffer, as in the kernel.  Three "taskq" threads allocate
 * and free 256-byte buffers all the while.
 *
 * The bug: early on, the worker calls kbad_ioctl(), whose kbad_bad()
 * allocates a 256-byte buffer, arms a timer on it and frees it without
 * cancelling the timer.  15 ms later the timer thread fills the buffer
 * with '?'.
 *
 * Without debugging the freed buffer is at once the worker's next log
 * record; the timer overwrites its list links with 0x3f3f3f3f3f3f3f3f and
 * the next clean-up dies in list_remove() on a general protection fault,
 * far from the culprit.  With KMEM_FLAGS=0xf the freed buffer is held
 * free and filled with 0xdeadbeef; the timer's write is found when the
 * buffer next moves, and the report names the thread and the stack that
 * freed it: kbad_bad.
 *
 * Exit status 0 means the bug went unnoticed (it should not).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct list_node {
	struct list_node *list_next;
	struct list_node *list_prev;
} list_node_t;

typedef struct itx {
	list_node_t itx_node;           /* offset 0, as in zil's itx_t */
	uint64_t itx_seq;
	char itx_data[256 - sizeof (list_node_t) - sizeof (uint64_t)];
} itx_t;

static list_node_t itx_list = { &itx_list, &itx_list };
static void *volatile kbad_timer_arg;
static volatile int kbad_timer_fired, kbad_requests, stop;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void) nanosleep(&ts, NULL);
}

__attribute__((noinline)) void
list_insert_tail(list_node_t *list, list_node_t *node)
{
	node->list_prev = list->list_prev;
	node->list_next = list;
	list->list_prev->list_next = node;
	list->list_prev = node;
}

__attribute__((noinline)) void
list_remove(list_node_t *node)
{
	node->list_prev->list_next = node->list_next;
	node->list_next->list_prev = node->list_prev;
	node->list_next = node->list_prev = NULL;
}

/* The timer that kbad_bad forgot to cancel. */
static void *
kbad_timeout(void *arg)
{
	(void) arg;
	while (kbad_timer_arg == NULL)
		sleep_ms(1);
	sleep_ms(15);
	memset(kbad_timer_arg, '?', 256);
	kbad_timer_fired = 1;
	return (NULL);
}

__attribute__((noinline)) void
kbad_bad(void)
{
	char *buf = malloc(256);

	snprintf(buf, 256, "kbad request");
	kbad_timer_arg = buf;           /* arm the timer on buf ... */
	free(buf);                      /* ... and free it: the bug */
	kbad_requests++;
}

__attribute__((noinline)) void
kbad_ioctl(void)
{
	kbad_bad();
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) itx_t *
zil_itx_create(uint64_t seq)
{
	itx_t *itx = malloc(sizeof (itx_t));

	itx->itx_seq = seq;
	memset(itx->itx_data, 'z', sizeof (itx->itx_data));
	return (itx);
}

/* Unlink and free every record, newest first. */
__attribute__((noinline)) void
zil_itxg_clean(void)
{
	while (itx_list.list_prev != &itx_list) {
		list_node_t *node = itx_list.list_prev;

		list_remove(node);
		free(node);
	}
}

static void *
taskq_thread(void *arg)
{
	(void) arg;
	while (!stop) {
		void *v[16];
		int i;

		for (i = 0; i < 16; i++)
			v[i] = malloc(256);
		for (i = 0; i < 16; i++)
			free(v[i]);
		sleep_ms(1);
	}
	return (NULL);
}

int
main(void)
{
	pthread_t timer, taskq[3];
	uint64_t seq = 0;
	int i, n = 0, rounds = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("kbad: zil worker running; kbad_ioctl() will free a buffer "
	    "its timer still uses\n");
	(void) pthread_create(&timer, NULL, kbad_timeout, NULL);
	for (i = 0; i < 3; i++)
		(void) pthread_create(&taskq[i], NULL, taskq_thread, NULL);
	while (rounds < 30) {
		list_insert_tail(&itx_list, &zil_itx_create(seq++)->itx_node);
		if (++n == 5 && rounds == 0)
			kbad_ioctl();
		if (n >= 40 && (kbad_timer_fired || rounds > 0)) {
			zil_itxg_clean();
			n = 0;
			rounds++;
		}
		sleep_ms(1);
	}
	stop = 1;
	for (i = 0; i < 3; i++)
		(void) pthread_join(taskq[i], NULL);
	(void) pthread_join(timer, NULL);
	printf("kbad: finished, the corruption went unnoticed\n");
	return (0);
}
