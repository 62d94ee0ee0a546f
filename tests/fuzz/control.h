/*
 * control.h - the fuzz input format, shared by the fuzzer and the seed
 * generator.
 *
 *   offset  size  meaning
 *   ------  ----  ----------------------------------------------------------
 *        0     1  pages: the segment is 1 + pages % FUZZ_MAX_PAGES pages
 *        1     1  fixups: which header fields are left as the input has them
 *        2     1  handle: how the ring is opened (HANDLE_* bits)
 *        3     8  ops: one operation per byte, run in order (OP_* below)
 *       11     -  the segment image: header page, then the data area;
 *                 cut to the segment size, or zero-filled up to it
 *
 * The segment size comes from a control byte rather than from the input's
 * length, so a mutation that inserts or drops a byte moves the image but
 * does not also change the size the header is validated against.
 *
 * FIXUPS: a clear bit means the fuzzer patches that field before the open.
 * Only the fuzzer knows the key and semaphore set of the segment it made,
 * and without a matching key and semid almost every input would stop at
 * the identity check and never reach the records; a set bit feeds the
 * input's own value instead, so that the checks themselves are fuzzed too.
 *
 * An op byte is kind = byte & 15, arg = byte >> 4 (0..15). Besides the
 * reader's calls, three kinds play the other processes, which may write
 * the segment at any moment between two calls: a writer that moves the
 * tail, a reader that moves the head, anyone overwriting a record header.
 */
#ifndef SHMRING_FUZZ_CONTROL_H
#define SHMRING_FUZZ_CONTROL_H

#define FUZZ_PAGE 4096u
#define FUZZ_MAX_PAGES 17u /* a header page and up to 64 KiB of data */
#define FUZZ_CONTROL 11u
#define FUZZ_OPS 8u

#define FIX_RAW_KEY 0x01u     /* keep id.key */
#define FIX_RAW_SEMID 0x02u   /* keep id.semid */
#define FIX_RAW_MARKS 0x04u   /* keep magic, layout_version and ready */

#define HANDLE_EXCLUSIVE 0x01u /* SHMRING_EXCLUSIVE */
#define HANDLE_ADMIN 0x02u     /* no roles: stats only (recv & co. say -EBADF) */
#define HANDLE_WRITER 0x04u    /* a writer role besides (it sends nothing) */
#define HANDLE_LIST_FIRST 0x08u /* shmring_list() before the open */

/* Where SCRIBBLE takes its values: 16 words of the image's header page
 * that the layout leaves unused (past struct layout_header). */
#define FUZZ_SCRIBBLE_AT 2048u

enum fuzz_op {
	OP_RECV,          /* arg 0: a 64 KiB buffer, else arg * 16 bytes */
	OP_RECV_BURST,    /* 1 + arg % 8 buffers, 64 bytes each if arg & 8 */
	OP_PEEK,
	OP_PEEK_BURST,    /* 1 + arg messages */
	OP_RELEASE,
	OP_RELEASE_BURST, /* arg messages */
	OP_STATS,
	OP_LIST,
	OP_TAIL,          /* prod.index += arg * 8; arg 0: tail = head */
	OP_HEAD,          /* cons.index += arg * 8 */
	OP_SCRIBBLE,      /* the word at head + arg * 8 = image word arg at
			     FUZZ_SCRIBBLE_AT */
	OP_KINDS          /* the kinds above: anything else does nothing */
};

#define FUZZ_OP(kind, arg) ((unsigned char)((kind) | (arg) << 4))

#endif
