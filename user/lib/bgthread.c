// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <signal.h>
#include <stdbool.h>

#include "lib/bgthread.h"

static pthread_mutex_t cpus_mu = PTHREAD_MUTEX_INITIALIZER;
static cpu_set_t cpus_set;
static bool cpus_given;

void wd_bg_set_cpus(const cpu_set_t *cpus)
{
	pthread_mutex_lock(&cpus_mu);
	cpus_set = *cpus;
	cpus_given = true;
	pthread_mutex_unlock(&cpus_mu);
}

int wd_bg_start(pthread_t *thr, void *(*fn)(void *), void *arg, const char *name)
{
	sigset_t all, old;
	pthread_attr_t attr;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		return -err;
	pthread_mutex_lock(&cpus_mu);
	if (cpus_given)
		pthread_attr_setaffinity_np(&attr, sizeof(cpus_set), &cpus_set);
	pthread_mutex_unlock(&cpus_mu);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(thr, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err)
		return -err;
	pthread_setname_np(*thr, name);
	return 0;
}
