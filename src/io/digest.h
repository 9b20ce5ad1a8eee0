/*
** sanbao adapters — a fast 64-bit digest of a byte stream, computed either
** while the bytes are written (the generator writing persons.csv) or over a
** file afterwards by several threads at disk speed (`sanbao simulate --pack`
** checking that --persons is the very file the pack was made with).
**
** Why this shape.  The stream is cut into blocks of SB_DIGEST_BLOCK bytes
** (the last one shorter); each block is hashed on its own, and the block
** hashes are folded in order together with the total length.  Blocks that
** are independent let threads hash disjoint ranges of a file at once, and
** the in-order fold keeps the result a function of the bytes alone, the
** same whether computed while writing or after.  Within a block four
** independent lanes of 8-byte words are mixed (multiply and xorshift), so
** the CPU overlaps four multiply chains: several GB/s a core, faster than
** the disk.  It is not a cryptographic digest: it tells a different or
** edited file from the right one (a change escapes it with probability
** about 2^-64), it does not withstand someone forging a collision on
** purpose — neither does the registry fingerprint it stands in for.
*/
#ifndef SANBAO_DIGEST_H
#define SANBAO_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "sanbao/error.h"

#define SB_DIGEST_BLOCK ((size_t)1 << 20)

/* The hash of one block (at most SB_DIGEST_BLOCK bytes, the last of a
** stream may be shorter); also used on its own for pack sections. */
uint64_t sb_digest_block(const void *data, size_t n);

/* A streaming digest: bytes are collected into blocks as they come. */
typedef struct sb_digest {
  uint64_t fold;   /* the block hashes folded so far */
  uint64_t length; /* bytes seen */
  unsigned char *buf;
  size_t fill;
} sb_digest;

/* Start a digest; SB_ENOMEM (one block's buffer). */
int sb_digest_init(sb_digest *d, sb_error *err);

/* Add n bytes. */
void sb_digest_update(sb_digest *d, const void *data, size_t n);

/* The digest of everything added; frees the buffer (the digest may not be
** updated after). */
uint64_t sb_digest_final(sb_digest *d);

/* Free a digest's buffer without finishing it (allowed after final). */
void sb_digest_free(sb_digest *d);

/* The digest of n bytes in memory: what sb_digest_update over them gives,
** without copying them. */
uint64_t sb_digest_bytes(const void *data, size_t n);

/*
** The digest and size of a regular file, read with `threads` (1..16)
** threads each hashing a contiguous run of blocks; equal to what
** sb_digest_update over the file's bytes gives.  SB_EIO (err names the
** file), SB_EINVAL (not a regular file), SB_ENOMEM.
*/
int sb_digest_file(const char *path, int threads, uint64_t *size, uint64_t *digest, sb_error *err);

#endif
