/*
 * xmalloc.c: producer/consumer in the spirit of Lever and Boreham's
 * xmalloc-test.  Producer threads allocate objects and pass them, in
 * batches, through a bounded queue to consumer threads, which free them.
 * Every object (and every batch header) is therefore freed by a thread
 * other than the one that allocated it: allocators that return memory to
 * the freeing thread's cache, and never back to the producer, show it here
 * as growth in peak RSS or as time lost migrating memory back.
 *
 * usage: xmalloc THREADS [SCALE%]   (half producers, half consumers)
 */
#include "bench.h"

#include <pthread.h>
#include <stdbool.h>

#define BATCH        256       /* objects per hand-off */
#define QUEUE_LEN    64        /* batches in flight; bounds live memory */
#define OBJS_TOTAL    8000000L /* objects at 100%, over all producers */
#define MIN_SIZE     8
#define MAX_SIZE     256

typedef struct batch {
	void    *b_obj[BATCH];
	size_t   b_size[BATCH];
} batch_t;

/* The queue: a ring of batch pointers under one lock. */
static struct {
	pthread_mutex_t  q_lock;
	pthread_cond_t   q_nonempty;
	pthread_cond_t   q_nonfull;
	batch_t         *q_ring[QUEUE_LEN];
	int              q_head, q_count;
	int              q_producers;   /* still running */
} q = {
	.q_lock = PTHREAD_MUTEX_INITIALIZER,
	.q_nonempty = PTHREAD_COND_INITIALIZER,
	.q_nonfull = PTHREAD_COND_INITIALIZER,
};

static long batches_per_producer;

static void
queue_put(batch_t *b)
{
	pthread_mutex_lock(&q.q_lock);
	while (q.q_count == QUEUE_LEN)
		pthread_cond_wait(&q.q_nonfull, &q.q_lock);
	q.q_ring[(q.q_head + q.q_count++) % QUEUE_LEN] = b;
	pthread_cond_signal(&q.q_nonempty);
	pthread_mutex_unlock(&q.q_lock);
}

/* NULL once the queue is empty and every producer has finished. */
static batch_t *
queue_get(void)
{
	batch_t *b = NULL;

	pthread_mutex_lock(&q.q_lock);
	while (q.q_count == 0 && q.q_producers > 0)
		pthread_cond_wait(&q.q_nonempty, &q.q_lock);
	if (q.q_count > 0) {
		b = q.q_ring[q.q_head];
		q.q_head = (q.q_head + 1) % QUEUE_LEN;
		q.q_count--;
		pthread_cond_signal(&q.q_nonfull);
	}
	pthread_mutex_unlock(&q.q_lock);
	return (b);
}

static void *
producer(void *arg)
{
	bench_rng_t r = { (uint64_t)(uintptr_t)arg };

	for (long n = 0; n < batches_per_producer; n++) {
		batch_t *b = xmalloc_or_die(sizeof (batch_t));

		for (int i = 0; i < BATCH; i++) {
			b->b_size[i] = rng_range(&r, MIN_SIZE, MAX_SIZE);
			b->b_obj[i] = xmalloc_or_die(b->b_size[i]);
			bench_touch(b->b_obj[i], b->b_size[i]);
		}
		queue_put(b);
	}
	pthread_mutex_lock(&q.q_lock);
	q.q_producers--;
	pthread_cond_broadcast(&q.q_nonempty);	/* consumers may be done */
	pthread_mutex_unlock(&q.q_lock);
	return (NULL);
}

static void *
consumer(void *arg)
{
	uint64_t sum = 0;
	batch_t *b;

	while ((b = queue_get()) != NULL) {
		for (int i = 0; i < BATCH; i++) {
			/* Read the object first: a real consumer uses it. */
			sum += ((unsigned char *)b->b_obj[i])[b->b_size[i] - 1];
			free(b->b_obj[i]);
		}
		free(b);
	}
	*(uint64_t *)arg = sum;
	return (NULL);
}

int
main(int argc, char **argv)
{
	int nthreads = (int)bench_arg(argc, argv, 1, 2);
	long scale = bench_arg(argc, argv, 2, 100);
	int nprod = nthreads / 2 > 0 ? nthreads / 2 : 1;
	int ncons = nthreads - nprod > 0 ? nthreads - nprod : 1;
	pthread_t *t = xmalloc_or_die((nprod + ncons) * sizeof (pthread_t));
	uint64_t *sums = calloc(ncons, sizeof (uint64_t));
	uint64_t sum = 0;
	double t0, t1;

	batches_per_producer = OBJS_TOTAL / 100 * scale / BATCH / nprod;
	q.q_producers = nprod;
	t0 = now_sec();
	for (int i = 0; i < nprod; i++)
		if (pthread_create(&t[i], NULL, producer,
		    (void *)(uintptr_t)(77 + i)))
			abort();
	for (int i = 0; i < ncons; i++)
		if (pthread_create(&t[nprod + i], NULL, consumer, &sums[i]))
			abort();
	for (int i = 0; i < nprod + ncons; i++)
		pthread_join(t[i], NULL);
	t1 = now_sec();
	for (int i = 0; i < ncons; i++)
		sum += sums[i];
	printf("xmalloc: producers=%d consumers=%d objects=%ld sum=%llu "
	    "ops/s=%.0f\n", nprod, ncons, batches_per_producer * nprod * BATCH,
	    (unsigned long long)sum,
	    (double)(batches_per_producer * nprod * BATCH) / (t1 - t0));
	free(sums);
	free(t);
	return (0);
}
