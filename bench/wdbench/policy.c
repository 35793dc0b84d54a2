// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wdbench policy: the benchmark's policies, 11 base rules and any number more, written as YAML to
 * stdout. */
#include "wdbench.h"

/* ---- policy: the benchmark's policies --------------------------------------------------------
 *
 * 11 base rules make every workload's allowed operation allowed and its -deny operation denied
 * (by a named rule, so events name it; the file-system changes' -deny forms by the default, as
 * DIR/ro/ is not writable). --extra N adds N more rules, spread over every map the
 * kernel consults, and placed where lookups for the benchmark's own paths and addresses walk:
 *   exec deny prefixes under /nonexistent/            -> wd_file_prefix (LPM trie)
 *   read deny exact files under /nonexistent/ and as siblings of the benchmark's file
 *                                                     -> wd_file_exact (hash)
 *   read deny prefixes under /nonexistent/ and as siblings of the benchmark's file
 *                                                     -> wd_file_prefix (LPM trie)
 *   network denies of distinct CIDRs: loopback neighbours of 127.0.0.1 (/32 and /24), 10/8
 *   /24s, IPv6 /64s                                  -> wd_net (LPM trie)                   */

struct split {
	long exec_pfx, exact_far, exact_near, pfx_far, pfx_near, net_lo, net_10, net_v6;
};

static struct split split_rules(long n)
{
	struct split s;

	s.exec_pfx = n * 5 / 100;
	s.exact_far = n * 15 / 100;
	s.exact_near = n * 15 / 100;
	s.pfx_far = n * 15 / 100;
	s.pfx_near = n * 15 / 100;
	s.net_10 = n * 12 / 100;
	s.net_v6 = n * 8 / 100;
	s.net_lo = n - s.exec_pfx - s.exact_far - s.exact_near - s.pfx_far - s.pfx_near - s.net_10 -
		   s.net_v6;
	return s;
}

int cmd_policy(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"dir", required_argument, NULL, 'd'},
		{"bindir", required_argument, NULL, 'b'},
		{"ports", required_argument, NULL, 'p'},
		{"deny-port", required_argument, NULL, 'P'},
		{"extra", required_argument, NULL, 'e'},
		{},
	};
	const char *name = "bench", *dir = NULL, *bindir = NULL, *ports = NULL;
	long extra = 0;
	int c, deny_port = 0;
	struct split s;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'b':
			bindir = optarg;
			break;
		case 'p':
			ports = optarg;
			break;
		case 'P':
			deny_port = atoi(optarg);
			break;
		case 'e':
			extra = atol(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!dir || !bindir || !ports || !deny_port || extra < 0 || extra > 10000000)
		die("policy needs --dir, --bindir, --ports and --deny-port");
	s = split_rules(extra);
	if (s.net_lo > 253 + 255 + 255 * 256 || s.net_10 > 65536)
		die("--extra is too large for the address plan");

	printf("# wdbench policy: 11 base rules + %ld generated (bench/run makes this file)\n",
	       extra);
	printf("version: 1\nname: %s\nidentities: [\"bench:*\"]\nmode: enforce\n", name);
	printf("exec:\n  allow: [/usr/, \"%s/\"]\n  deny:\n    - \"%s/denied/\"\n", bindir, dir);
	for (long i = 0; i < s.exec_pfx; i++)
		printf("    - /nonexistent/exec/%06ld/\n", i);
	printf("files:\n  read:\n    allow: [/]\n    deny:\n      - /etc/shadow\n"
	       "      - \"%s/data/secret\"\n",
	       dir);
	for (long i = 0; i < s.exact_far; i++)
		printf("      - /nonexistent/files/%06ld\n", i);
	for (long i = 0; i < s.exact_near; i++)
		printf("      - \"%s/data/f-%06ld\"\n", dir, i);
	for (long i = 0; i < s.pfx_far; i++)
		printf("      - /nonexistent/dirs/%06ld/\n", i);
	for (long i = 0; i < s.pfx_near; i++)
		printf("      - \"%s/data/d-%06ld/\"\n", dir, i);
	printf("  write:\n    allow: [/dev/null, \"%s/rw/\"]\n", dir);
	printf("network:\n  allow:\n    - to: 127.0.0.1\n      ports: [\"%s\"]\n"
	       "      protocol: tcp\n",
	       ports);
	printf("  deny:\n    - to: 127.0.0.1\n      ports: [%d]\n      protocol: tcp\n"
	       "    - to: 169.254.169.254\n",
	       deny_port);
	for (long i = 0; i < s.net_lo; i++) {
		if (i < 253)
			printf("    - to: 127.0.0.%ld\n", i + 2);
		else if (i < 253 + 255)
			printf("    - to: 127.0.%ld.0/24\n", i - 253 + 1);
		else
			printf("    - to: 127.%ld.%ld.0/24\n", 1 + (i - 508) / 256,
			       (i - 508) % 256);
	}
	for (long i = 0; i < s.net_10; i++)
		printf("    - to: 10.%ld.%ld.0/24\n", i / 256, i % 256);
	for (long i = 0; i < s.net_v6; i++)
		printf("    - to: \"2001:db8:%lx:%lx::/64\"\n", i / 65536, i % 65536);
	return 0;
}
