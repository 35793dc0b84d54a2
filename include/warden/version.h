/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* warden's version, shared by the binary, its events and its probe output. */
#ifndef WARDEN_VERSION_H
#define WARDEN_VERSION_H

#define WARDEN_VERSION "0.1.0"

#endif
