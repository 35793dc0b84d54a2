/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Scope-bound cleanup (GCC and clang's cleanup attribute), for fds, heap memory, FILE*s and
 * libbpf objects, so that an early return needs no goto ladder:
 *
 *	_cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC);
 *	_cleanup_free_ char *buf = malloc(n);
 *	...
 *	return TAKE_FD(fd);	// hands the fd out; nothing is closed
 *
 * A variable marked so must be initialised where it is declared. */
#ifndef WD_CLEANUP_H
#define WD_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void wd_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void wd_freep(void *p)
{
	free(*(void **)p);
}

static inline void wd_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_fd_	  __attribute__((cleanup(wd_closep)))
#define _cleanup_free_	  __attribute__((cleanup(wd_freep)))
#define _cleanup_file_	  __attribute__((cleanup(wd_fclosep)))
#define _cleanup_with_(f) __attribute__((cleanup(f)))

/* Defines NAME##p(T **) calling FREE on a non-NULL pointer: WD_DEFINE_FREEP(bpf_link,
 * bpf_link__destroy) gives _cleanup_with_(bpf_linkp) struct bpf_link *l = NULL. */
#define WD_DEFINE_FREEP(name, type, fn)                                                            \
	static inline void name##p(type **p)                                                       \
	{                                                                                          \
		if (*p)                                                                            \
			fn(*p);                                                                    \
	}

/* Hands a value out of its cleanup: the variable is left empty (NULL or -1). */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})

#endif
