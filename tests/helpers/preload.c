// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A library an attacker would LD_PRELOAD: its constructor leaves a marker file, so a test can
 * tell whether it ever ran. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void pwned(void)
{
	const char *marker = getenv("WARDEN_TEST_MARKER");
	int fd;

	if (!marker)
		return;
	fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}
