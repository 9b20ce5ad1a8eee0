/*
** sanbao adapters — county names for explanations: the GB/T 2260 names of
** Hunan's prefectures and counties (data/regions-hunan.csv), built into the
** binary so that no file is needed at run time.
*/
#ifndef SANBAO_REGIONS_H
#define SANBAO_REGIONS_H

#include <stddef.h>
#include <stdint.h>

/* Enough for the longest prefecture name followed by the longest county
** name, and " (430000)". */
#define SB_REGION_BUFSZ 128

/*
** The name of division `code` as a clerk reads it: a prefecture's own name
** ("长沙市"), a county's with its prefecture's first ("长沙市芙蓉区").
** Writes the NUL-terminated name to buf (size SB_REGION_BUFSZ) and returns
** its length, or 0 (buf empty) when the table does not know the code or, for
** a county, its prefecture.
*/
size_t sb_region_name(int32_t code, char *buf);

/*
** `code` for a sentence: "长沙市芙蓉区 (430102)" when the name is known, the
** bare six digits ("439999") when not.  Returns buf (size SB_REGION_BUFSZ).
*/
const char *sb_region_label(int32_t code, char *buf);

#endif
