/*
** sanbao — growing a heap array by doubling, the one helper the core's
** tables (registry, catalogue) and the ledger's flows share.
*/
#ifndef SANBAO_ARRAY_H
#define SANBAO_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/*
** Make *buf (an array of `elem`-byte items, *cap of them allocated) hold
** at least `need` items: realloc to the next power-of-two multiple of 64
** items at or above `need`.  0, or -1 when out of memory (the array and
** *cap are then as they were).  *buf may be NULL with *cap 0.
*/
int sb_array_grow(void **buf, int64_t *cap, int64_t need, size_t elem);

#endif
