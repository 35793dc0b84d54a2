/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The sinks' background threads (wd-gzip compresses rotated segments, wd-wb writes the current
 * file behind): they take no signals, and run on the CPUs set for them. */
#ifndef WD_BGTHREAD_H
#define WD_BGTHREAD_H

#include <pthread.h>
#include <sched.h>

/* Where background threads started from now on may run (the caller's affinity if never set):
 * the benchmark keeps them off the consumer's CPU, as a deployment's scheduler would. */
void wd_bg_set_cpus(const cpu_set_t *cpus);

/* Starts @fn(@arg) in a thread named @name (at most 15 bytes) with every signal blocked: the
 * daemon takes its signals through a signalfd, with them blocked in the threads it knows of, and
 * a thread with them open would get the default action (SIGHUP, a reload, would kill the
 * daemon). Returns 0 or -errno. */
int wd_bg_start(pthread_t *thr, void *(*fn)(void *), void *arg, const char *name);

#endif
