/*
 * sti32: TIOCSTI from a 32-bit process, for tests/vm/test_node_services.sh.
 *
 * A 32-bit process's ioctl() (int $0x80) takes the kernel's compat path, whose LSM hook is
 * file_ioctl_compat (Linux 6.8, and Debian's 6.1), not file_ioctl: a sandbox pushing input into
 * a terminal must be refused there as well. No libc and no i386 libraries: it builds with
 * binutils alone (`cc -m32 -nostdlib -static`) on an x86_64 machine.
 *
 * What it does, as a job would to reach a terminal:
 *  1. setsid(), to be a session leader without a controlling terminal (this fails when it is a
 *     process group leader already, e.g. started directly by warden, which starts jobs in a
 *     session of their own: that is as good);
 *  2. opens a new pty master (/dev/ptmx), unlocks it, and opens its slave /dev/pts/N, which
 *     becomes its controlling terminal;
 *  3. TIOCSTI pushes a newline into that terminal's input;
 *  4. reads the terminal's input (without blocking): the newline must come back.
 *
 * Exit status:
 *   0      TIOCSTI worked (the newline came back)
 *   100+E  TIOCSTI failed with errno E (101: EPERM)
 *   99     TIOCSTI returned 0, but the newline did not come back
 *   E      a step before TIOCSTI failed with errno E (1..98)
 */

/* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
#define NR_exit   1
#define NR_read   3
#define NR_open   5
#define NR_ioctl  54
#define NR_setsid 66

#define O_RDWR     0x002
#define O_NOCTTY   0x100
#define O_NONBLOCK 0x800
#define TIOCSTI    0x5412
#define TIOCGPTN   0x80045430 /* _IOR('T', 0x30, unsigned int) */
#define TIOCSPTLCK 0x40045431 /* _IOW('T', 0x31, int) */

	.text
	.globl	_start
_start:
	/* 1. setsid(); its result does not matter */
	movl	$NR_setsid, %eax
	int	$0x80

	/* 2. master = open("/dev/ptmx", O_RDWR | O_NOCTTY) */
	movl	$NR_open, %eax
	movl	$ptmx, %ebx
	movl	$(O_RDWR | O_NOCTTY), %ecx
	xorl	%edx, %edx
	int	$0x80
	testl	%eax, %eax
	js	setup_failed
	movl	%eax, %esi		/* esi: the master */

	/* unlockpt: ioctl(master, TIOCSPTLCK, &zero) */
	movl	$NR_ioctl, %eax
	movl	%esi, %ebx
	movl	$TIOCSPTLCK, %ecx
	movl	$zero, %edx
	int	$0x80
	testl	%eax, %eax
	js	setup_failed

	/* ptsname: ioctl(master, TIOCGPTN, &ptn) */
	movl	$NR_ioctl, %eax
	movl	%esi, %ebx
	movl	$TIOCGPTN, %ecx
	movl	$ptn, %edx
	int	$0x80
	testl	%eax, %eax
	js	setup_failed

	/* "/dev/pts/" + decimal ptn: the digits are made backwards at the end of digits[], then
	 * copied after the prefix */
	movl	ptn, %eax
	movl	$digits_end, %edi
	movl	$10, %ecx
1:	xorl	%edx, %edx
	divl	%ecx
	addb	$'0', %dl
	decl	%edi
	movb	%dl, (%edi)
	testl	%eax, %eax
	jnz	1b
	movl	$pts_number, %ebx
2:	movb	(%edi), %al
	movb	%al, (%ebx)
	incl	%edi
	incl	%ebx
	cmpl	$digits_end, %edi
	jne	2b
	movb	$0, (%ebx)

	/* slave = open("/dev/pts/N", O_RDWR | O_NONBLOCK): the controlling terminal of a session
	 * leader; non-blocking, so that step 4 cannot hang */
	movl	$NR_open, %eax
	movl	$pts_path, %ebx
	movl	$(O_RDWR | O_NONBLOCK), %ecx
	xorl	%edx, %edx
	int	$0x80
	testl	%eax, %eax
	js	setup_failed
	movl	%eax, %edi		/* edi: the slave */

	/* 3. ioctl(slave, TIOCSTI, "\n") */
	movl	$NR_ioctl, %eax
	movl	%edi, %ebx
	movl	$TIOCSTI, %ecx
	movl	$newline, %edx
	int	$0x80
	testl	%eax, %eax
	js	sti_failed

	/* 4. read(slave, inbuf, 1) must give the newline back */
	movl	$NR_read, %eax
	movl	%edi, %ebx
	movl	$inbuf, %ecx
	movl	$1, %edx
	int	$0x80
	cmpl	$1, %eax
	jne	not_back
	cmpb	$'\n', inbuf
	jne	not_back
	xorl	%ebx, %ebx
	jmp	exit

not_back:
	movl	$99, %ebx
	jmp	exit
sti_failed:				/* exit(100 + errno) */
	negl	%eax
	leal	100(%eax), %ebx
	jmp	exit
setup_failed:				/* exit(errno), at most 98 */
	negl	%eax
	movl	%eax, %ebx
	cmpl	$98, %ebx
	jbe	exit
	movl	$98, %ebx
exit:
	movl	$NR_exit, %eax
	int	$0x80

	.data
ptmx:		.asciz	"/dev/ptmx"
pts_path:	.ascii	"/dev/pts/"
pts_number:	.space	12		/* up to 10 digits and the NUL */
newline:	.byte	'\n'
	.balign	4
zero:		.long	0
ptn:		.long	0

	.bss
digits:		.space	12
digits_end:
inbuf:		.space	4

	/* no executable stack */
	.section .note.GNU-stack, "", @progbits
