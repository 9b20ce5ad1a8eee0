/*
** sanbao adapters — the claims pack: writing, reading, checking, and the
** claim-id bookkeeping of its involved rows (see pack.h for the format and
** why it is shaped so).
*/
#define _DEFAULT_SOURCE /* madvise */
#include "whatif/pack.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "io/digest.h"
#include "io/outfile.h"
#include "sanbao/hash.h"
#include "sanbao/run.h"

static const char MAGIC[8] = {'S', 'A', 'N', 'B', 'A', 'O', 'P', 'K'};
#define BYTE_ORDER_MARK 0x01020304u
#define INV_FIXED 24 /* bytes of an involved entry before its texts */

_Static_assert(sizeof(sb_pack_rec) == 48, "a pack record is 48 bytes on disk");

/* The header as it lies on disk (192 bytes, host order = little-endian:
** a big-endian reader sees the byte-order mark reversed and refuses). */
typedef struct header {
  char magic[8];
  uint32_t version, byte_order, header_size, record_size;
  uint64_t rows, dropped, records, involved, inv_off, inv_bytes, registry_fp;
  int32_t persons;
  uint32_t has_persons_file;             /* 1: persons_size and persons_digest are set */
  uint64_t records_sum;                  /* the sum of sb_pack_rec_check over every record */
  uint64_t inv_hash;                     /* sb_hash_bytes of the involved table */
  uint64_t people_off, people_bytes;     /* the people section, to the end of the file */
  uint64_t regions_digest, index_digest; /* sb_digest_bytes of those parts */
  uint64_t ids_bytes;                    /* the id blob's length */
  uint64_t persons_size, persons_digest; /* the persons file (sb_digest_file) */
  uint64_t reserved[3];
  uint64_t check; /* sb_hash_bytes of the 184 bytes before it */
} header;

_Static_assert(sizeof(header) == SB_PACK_HEADER_SIZE, "the pack header is 192 bytes");

#define ID_GROUPS(persons) (((uint64_t)(persons) + SB_PACK_ID_GROUP - 1) / SB_PACK_ID_GROUP)

/* ---- writing ------------------------------------------------------------ */

struct sb_pack_writer {
  sb_outfile f;
  sb_buf recs;                /* records not yet written */
  sb_buf inv;                 /* the whole involved table, written at the end */
  sb_buf regions, index, ids; /* the people section, written at the end */
  uint64_t records, involved, dropped, fp, sum;
  int32_t persons, last_person, people; /* people: persons given so far */
  int has_pf;
  uint64_t pf_size, pf_digest;
};

#define FLUSH_BYTES (8u << 20)

int sb_pack_writer_open(const char *path, int32_t persons, uint64_t registry_fp,
                        sb_pack_writer **out, sb_error *err) {
  if (strcmp(path, "-") == 0)
    return sb_error_set(err, SB_EINVAL, path, "a pack must be a regular file, not standard output");
  sb_pack_writer *w = calloc(1, sizeof *w);
  if (!w) return sb_error_set(err, SB_ENOMEM, path, "out of memory");
  int rc = sb_outfile_open(&w->f, path, err);
  if (rc) {
    free(w);
    return rc;
  }
  if (w->f.direct) {
    sb_outfile_abort(&w->f);
    free(w);
    return sb_error_set(err, SB_EINVAL, path, "a pack must be a regular file");
  }
  w->persons = persons;
  w->fp = registry_fp;
  w->last_person = -1;
  /* room for the header, written last when the counts are known */
  static const char zero[SB_PACK_HEADER_SIZE];
  if (sb_buf_put(&w->recs, zero, sizeof zero)) {
    sb_pack_writer_abort(w);
    return sb_error_set(err, SB_ENOMEM, path, "out of memory");
  }
  *out = w;
  return SB_OK;
}

/* Canonical order within a person (docs/reference/settlement.md §4): date, claim id
** bytes, input position. */
static int claim_cmp(const void *a, const void *b) {
  const sb_pack_claim *x = a, *y = b;
  return sb_canon_cmp(x->rec.date, x->id, x->id_len, x->rec.pos, y->rec.date, y->id, y->id_len,
                      y->rec.pos);
}

int sb_pack_writer_add(sb_pack_writer *w, sb_pack_claim *c, size_t n, sb_error *err) {
  if (n == 0) return SB_OK;
  int32_t person = c[0].rec.person;
  for (size_t k = 0; k < n; k++)
    if (c[k].rec.person != person || person < 0 || person >= w->persons)
      return sb_error_set(err, SB_EINVAL, w->f.path, "rows of several persons in one call");
  if (person <= w->last_person)
    return sb_error_set(err, SB_EINVAL, w->f.path, "persons out of order (%d after %d)",
                        (int)person, (int)w->last_person);
  w->last_person = person;
  if (n > 1) qsort(c, n, sizeof *c, claim_cmp);
  for (size_t k = 0; k < n; k++) {
    w->sum += sb_pack_rec_check(w->records + k, &c[k].rec);
    if (sb_buf_put(&w->recs, &c[k].rec, sizeof c[k].rec))
      return sb_error_set(err, SB_ENOMEM, w->f.path, "out of memory");
    if (c[k].rec.flags & SB_PACK_INVOLVED) {
      unsigned char e[INV_FIXED];
      uint64_t rec = w->records + k;
      memcpy(e, &rec, 8);
      memcpy(e + 8, &c[k].rec.pos, 4);
      memcpy(e + 12, &c[k].rec.date, 4);
      memcpy(e + 16, &c[k].rec.person, 4);
      e[20] = c[k].rec.flags & SB_PACK_REVERSAL;
      e[21] = (unsigned char)c[k].id_len;
      e[22] = (unsigned char)c[k].target_len;
      e[23] = 0;
      if (sb_buf_put(&w->inv, e, sizeof e) || sb_buf_put(&w->inv, c[k].id, c[k].id_len) ||
          (c[k].target_len && sb_buf_put(&w->inv, c[k].target, c[k].target_len)))
        return sb_error_set(err, SB_ENOMEM, w->f.path, "out of memory");
      w->involved++;
    }
  }
  w->records += n;
  if (w->recs.len >= FLUSH_BYTES) return sb_outfile_write(&w->f, &w->recs, err);
  return SB_OK;
}

void sb_pack_writer_set_fingerprint(sb_pack_writer *w, uint64_t fp) {
  w->fp = fp;
}

int sb_pack_writer_person(sb_pack_writer *w, const char *id, size_t id_len, int32_t region,
                          sb_error *err) {
  if (w->people >= w->persons)
    return sb_error_set(err, SB_EINVAL, w->f.path, "more persons than the %d announced",
                        (int)w->persons);
  if (id_len < 1 || id_len > 64)
    return sb_error_set(err, SB_EINVAL, w->f.path, "a person id of %zu bytes", id_len);
  if (w->people % SB_PACK_ID_GROUP == 0) {
    /* the group's offset now, its digest at finish (index entries are 16 bytes) */
    uint64_t e[2] = {w->ids.len, 0};
    if (sb_buf_put(&w->index, e, sizeof e))
      return sb_error_set(err, SB_ENOMEM, w->f.path, "out of memory");
  }
  unsigned char len = (unsigned char)id_len;
  if (sb_buf_put(&w->regions, &region, sizeof region) || sb_buf_put(&w->ids, &len, 1) ||
      sb_buf_put(&w->ids, id, id_len))
    return sb_error_set(err, SB_ENOMEM, w->f.path, "out of memory");
  w->people++;
  return SB_OK;
}

void sb_pack_writer_set_persons_file(sb_pack_writer *w, uint64_t size, uint64_t digest) {
  w->has_pf = 1;
  w->pf_size = size;
  w->pf_digest = digest;
}

void sb_pack_writer_drop(sb_pack_writer *w, uint64_t n) {
  w->dropped += n;
}

static void header_seal(header *h) {
  h->check = sb_hash_bytes(h, offsetof(header, check));
}

int sb_pack_writer_finish(sb_pack_writer *w, uint64_t rows, sb_error *err) {
  uint64_t inv_hash = sb_hash_bytes(w->inv.p ? w->inv.p : "", w->inv.len);
  uint64_t inv_len = w->inv.len, reg_len = w->regions.len, ids_len = w->ids.len;
  int rc = SB_OK;
  if (w->people != w->persons)
    rc = sb_error_set(err, SB_EINVAL, w->f.path, "%d persons given of the %d announced",
                      (int)w->people, (int)w->persons);
  /* each id group's digest, now that the blob is complete */
  uint64_t groups = ID_GROUPS(w->persons), *ix = (uint64_t *)w->index.p;
  for (uint64_t g = 0; g < groups && !rc; g++) {
    uint64_t end = g + 1 < groups ? ix[2 * (g + 1)] : ids_len;
    ix[2 * g + 1] = sb_digest_bytes(w->ids.p + ix[2 * g], (size_t)(end - ix[2 * g]));
  }
  uint64_t regions_digest = sb_digest_bytes(w->regions.p ? w->regions.p : "", reg_len);
  uint64_t index_digest = sb_digest_bytes(w->index.p ? w->index.p : "", w->index.len);
  uint64_t people_bytes = reg_len + w->index.len + ids_len;
  if (!rc) rc = sb_outfile_write(&w->f, &w->recs, err);
  if (!rc) rc = sb_outfile_write(&w->f, &w->inv, err);
  if (!rc) rc = sb_outfile_write(&w->f, &w->regions, err);
  if (!rc) rc = sb_outfile_write(&w->f, &w->index, err);
  if (!rc) rc = sb_outfile_write(&w->f, &w->ids, err);
  if (!rc) {
    header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, sizeof MAGIC);
    h.version = SB_PACK_VERSION;
    h.byte_order = BYTE_ORDER_MARK;
    h.header_size = SB_PACK_HEADER_SIZE;
    h.record_size = sizeof(sb_pack_rec);
    h.rows = rows;
    h.dropped = w->dropped;
    h.records = w->records;
    h.involved = w->involved;
    h.inv_off = SB_PACK_HEADER_SIZE + w->records * sizeof(sb_pack_rec);
    h.inv_bytes = inv_len;
    h.people_off = h.inv_off + inv_len;
    h.people_bytes = people_bytes;
    h.regions_digest = regions_digest;
    h.index_digest = index_digest;
    h.ids_bytes = ids_len;
    h.has_persons_file = (uint32_t)w->has_pf;
    h.persons_size = w->pf_size;
    h.persons_digest = w->pf_digest;
    struct stat st;
    if (fstat(w->f.fd, &st) != 0 || (uint64_t)st.st_size != h.people_off + people_bytes) {
      rc = sb_error_set(err, SB_EIO, w->f.path, "cannot check what was written: %s",
                        errno ? strerror(errno) : "a size other than expected");
    } else {
      h.registry_fp = w->fp;
      h.persons = w->persons;
      h.records_sum = w->sum;
      h.inv_hash = inv_hash;
      header_seal(&h);
      if (pwrite(w->f.fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        rc = sb_error_set(err, SB_EIO, w->f.path, "write error: %s", strerror(errno));
    }
  }
  if (!rc) {
    rc = sb_outfile_commit(&w->f, err);
    w->f.path = NULL; /* committed or removed by commit */
  }
  sb_pack_writer_abort(w);
  return rc;
}

void sb_pack_writer_abort(sb_pack_writer *w) {
  if (!w) return;
  sb_outfile_abort(&w->f);
  sb_buf_free(&w->recs);
  sb_buf_free(&w->inv);
  sb_buf_free(&w->regions);
  sb_buf_free(&w->index);
  sb_buf_free(&w->ids);
  free(w);
}

/* ---- reading ------------------------------------------------------------ */

/* An involved entry, parsed; `id` and `target` point into sb_pack.inv_text. */
typedef struct inv_entry {
  uint64_t rec;
  uint32_t pos;
  sb_date date;
  int32_t person;
  uint8_t reversal, id_len, target_len, rejected;
  const char *id, *target;
  int64_t original; /* after resolve: an accepted reversal's original record */
} inv_entry;

struct sb_pack {
  char *path;
  int fd;
  sb_pack_info info;
  uint64_t records_sum;
  char *inv_text;
  inv_entry *inv;
  uint64_t inv_bytes;
  int32_t *regions;            /* the people section's regions */
  uint64_t *id_index;          /* its id index: offset, digest per group */
  uint64_t ids_off, ids_bytes; /* where the id blob lies in the file */
  int has_pf;
  uint64_t pf_size, pf_digest;
  const sb_pack_rec *recs; /* the records, mapped read-only; NULL: read() */
  size_t map_len;          /* the mapping's length (the header and records) */
  /* sb_pack_resolve_begin: the thread resolving, the policy it resolves
  ** under, and how it ended (rc, err) once joined */
  pthread_t resolver;
  int resolving;
  const sb_policy *resolve_pol;
  int resolve_rc;
  sb_error resolve_err;
};

static int corrupt(sb_error *err, const char *path, const char *why) {
  return sb_error_set(err, SB_EINVAL, path,
                      "not a valid claims pack: %s (make it again with "
                      "`sanbao pack` or `sanbao gen --pack`)",
                      why);
}

static int read_full(int fd, void *buf, size_t n, uint64_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t got = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return got == 0 ? 1 : -1; /* 1: the file ends early */
    done += (size_t)got;
  }
  return 0;
}

/* Parse and check the involved table (bytes at t, len of them). */
static int parse_involved(sb_pack *p, sb_error *err) {
  const unsigned char *t = (const unsigned char *)p->inv_text;
  uint64_t at = 0, total = p->inv_bytes;
  for (uint64_t k = 0; k < p->info.involved; k++) {
    if (total - at < INV_FIXED) return corrupt(err, p->path, "the involved table is cut short");
    inv_entry *e = &p->inv[k];
    memcpy(&e->rec, t + at, 8);
    memcpy(&e->pos, t + at + 8, 4);
    memcpy(&e->date, t + at + 12, 4);
    memcpy(&e->person, t + at + 16, 4);
    e->reversal = t[at + 20];
    e->id_len = t[at + 21];
    e->target_len = t[at + 22];
    if (t[at + 23] != 0 || e->reversal > 1 || e->id_len == 0 || e->id_len > 64 ||
        e->target_len > 64 || (!e->reversal && e->target_len))
      return corrupt(err, p->path, "a bad entry in the involved table");
    if (e->rec >= p->info.records || (k > 0 && e->rec <= p->inv[k - 1].rec) || e->person < 0 ||
        e->person >= p->info.persons)
      return corrupt(err, p->path, "an involved entry out of range or order");
    /* its date, as a record's (sb_pack_rec_fits): a crafted one reached the date
    ** arithmetic (fuzzing finding F2, docs/fuzzing.md) */
    if (e->date < SB_DATE_FIRST || e->date > SB_DATE_LAST)
      return corrupt(err, p->path, "an involved entry's date is not a date of years 1 to 9999");
    at += INV_FIXED;
    if (total - at < (uint64_t)e->id_len + e->target_len)
      return corrupt(err, p->path, "the involved table is cut short");
    e->id = (const char *)t + at;
    e->target = (const char *)t + at + e->id_len;
    at += (uint64_t)e->id_len + e->target_len;
    e->original = -1;
  }
  if (at != total) return corrupt(err, p->path, "bytes after the involved table");
  return SB_OK;
}

/*
** Check every group of the id blob against its digest, reading the blob in
** runs of whole groups.  Why at open although a run reads only ~20 ids:
** a pack is either sound or refused before simulate writes anything, and
** this costs one sequential read of the blob (about 10 bytes a person:
** 0.7 GB for 67 million, a fraction of a second from the page cache); the
** blob itself is not kept in memory.
*/
static int check_ids(sb_pack *p, uint64_t groups, sb_error *err) {
  enum { RUN = 8 << 20 };
  unsigned char *buf = malloc(RUN);
  if (!buf) return sb_error_set(err, SB_ENOMEM, p->path, "out of memory");
  int rc = SB_OK;
  for (uint64_t g = 0; g < groups && !rc;) {
    uint64_t at = p->id_index[2 * g], h = g;
    /* whole groups up to RUN bytes (one group is at most 66,560 bytes) */
    while (h < groups && (h + 1 < groups ? p->id_index[2 * h + 2] : p->ids_bytes) - at <= RUN)
      h++;
    uint64_t end = h < groups ? p->id_index[2 * h] : p->ids_bytes;
    int got = read_full(p->fd, buf, (size_t)(end - at), p->ids_off + at);
    if (got) {
      rc = got > 0 ? corrupt(err, p->path, "the file is truncated")
                   : sb_error_set(err, SB_EIO, p->path, "read error: %s", strerror(errno));
      break;
    }
    for (; g < h; g++) {
      uint64_t a = p->id_index[2 * g], b = g + 1 < groups ? p->id_index[2 * g + 2] : p->ids_bytes;
      if (sb_digest_bytes(buf + (a - at), (size_t)(b - a)) != p->id_index[2 * g + 1]) {
        rc = corrupt(err, p->path, "the person ids are damaged");
        break;
      }
    }
  }
  free(buf);
  return rc;
}

/* Read and check the people section: the regions and the id index are
** kept in memory, the id blob is checked and stays on disk (only a
** report's few ids are read from it again). */
static int read_people(sb_pack *p, const header *h, const sb_policy *resolve, sb_error *err) {
  uint64_t np = (uint64_t)h->persons, groups = ID_GROUPS(np);
  p->regions = malloc((size_t)(np ? np : 1) * sizeof *p->regions);
  p->id_index = malloc((size_t)(groups ? groups : 1) * 2 * sizeof *p->id_index);
  if (!p->regions || !p->id_index) return sb_error_set(err, SB_ENOMEM, p->path, "out of memory");
  int got = read_full(p->fd, p->regions, np * 4, h->people_off);
  if (!got) got = read_full(p->fd, p->id_index, groups * 16, h->people_off + np * 4);
  if (got)
    return got > 0 ? corrupt(err, p->path, "the file is truncated")
                   : sb_error_set(err, SB_EIO, p->path, "read error: %s", strerror(errno));
  if (sb_digest_bytes(p->regions, np * 4) != h->regions_digest ||
      sb_digest_bytes(p->id_index, groups * 16) != h->index_digest)
    return corrupt(err, p->path, "the people section is damaged");
  /* groups in order, each at least one id of 2 bytes, at most 65 bytes an id */
  for (uint64_t g = 0; g < groups; g++) {
    uint64_t at = p->id_index[2 * g], end = g + 1 < groups ? p->id_index[2 * g + 2] : h->ids_bytes;
    uint64_t n = g + 1 < groups ? SB_PACK_ID_GROUP : np - g * SB_PACK_ID_GROUP;
    if ((g == 0 && at != 0) || end < at || end - at < 2 * n || end - at > 65 * n ||
        end > h->ids_bytes)
      return corrupt(err, p->path, "the id index of the people section is inconsistent");
  }
  p->ids_off = h->people_off + np * 4 + groups * 16;
  p->ids_bytes = h->ids_bytes;
  /* the involved table and the regions are all resolving reads: it runs
  ** beside the check of the ids (sb_pack_open_resolving) */
  if (resolve) sb_pack_resolve_begin(p, resolve);
  int rc = check_ids(p, groups, err);
  if (rc) return rc;
  p->has_pf = (int)h->has_persons_file;
  p->pf_size = h->persons_size;
  p->pf_digest = h->persons_digest;
  return SB_OK;
}

/* What is wrong with a header whose check hash is right (a crafted or
** miswritten file), or NULL.  Every size is first compared with the file's
** own size, and only then added or multiplied: a file holds fewer than 2^63
** bytes and a section is no larger than its file, so none of the sums and
** products below can wrap in uint64 whatever the header says — a wrapped sum
** could otherwise agree with the file size and send a read far past it. */
static const char *header_problem(const header *h, uint64_t size) {
  if (h->header_size != SB_PACK_HEADER_SIZE || h->record_size != sizeof(sb_pack_rec))
    return "the header describes another record layout";
  if (h->persons < 0) return "the header's person count is negative";
  if (h->has_persons_file > 1) return "the header's persons-file flag is neither 0 nor 1";
  if (h->records > size / sizeof(sb_pack_rec))
    return "the header's record count needs more bytes than the file has";
  if (h->rows < h->records || h->rows - h->records != h->dropped)
    return "the header's row counts do not add up (rows = records + dropped)";
  if (h->involved > h->records) return "the header counts more involved entries than records";
  if (h->inv_bytes > size || h->people_bytes > size || h->ids_bytes > size)
    return "a section in the header is larger than the file";
  if (h->inv_off != SB_PACK_HEADER_SIZE + h->records * sizeof(sb_pack_rec))
    return "the involved table does not start where the records end";
  if (h->inv_bytes < h->involved * INV_FIXED)
    return "the involved table is too short for its entry count";
  if (h->people_off != h->inv_off + h->inv_bytes)
    return "the people section does not start where the involved table ends";
  if (h->ids_bytes < 2 * (uint64_t)h->persons || h->ids_bytes > 65 * (uint64_t)h->persons)
    return "the person ids' length does not fit the person count";
  if (h->people_bytes != 4 * (uint64_t)h->persons + 16 * ID_GROUPS(h->persons) + h->ids_bytes)
    return "the people section's length does not fit the person count";
  if (size < h->people_off + h->people_bytes) return "the file is truncated";
  if (size > h->people_off + h->people_bytes) return "the file is longer than its header says";
  return NULL;
}

static int pack_open(const char *path, const sb_policy *resolve, sb_pack **out, sb_error *err) {
  sb_pack *p = calloc(1, sizeof *p);
  if (p) p->fd = -1;
  if (!p || !(p->path = strdup(path))) {
    free(p);
    return sb_error_set(err, SB_ENOMEM, path, "out of memory");
  }
  p->fd = open(path, O_RDONLY);
  if (p->fd < 0) {
    int rc = sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
    sb_pack_close(p);
    return rc;
  }
  header h;
  struct stat st;
  const char *why;
  int rc = SB_OK;
  int got = fstat(p->fd, &st) == 0 && S_ISREG(st.st_mode) ? read_full(p->fd, &h, sizeof h, 0) : -2;
  uint64_t size = got == 0 ? (uint64_t)st.st_size : 0;
  if (got == -2)
    rc = sb_error_set(err, SB_EINVAL, path, "a pack must be a regular file");
  else if (got < 0)
    rc = sb_error_set(err, SB_EIO, path, "read error: %s", strerror(errno));
  else if (got > 0 || memcmp(h.magic, MAGIC, sizeof MAGIC) != 0)
    rc = corrupt(err, path, "no pack header (a claims CSV goes to --claims)");
  else if (h.byte_order != BYTE_ORDER_MARK)
    rc = corrupt(err, path, "written on a machine of the other byte order");
  else if (h.version != SB_PACK_VERSION)
    rc = sb_error_set(err, SB_EINVAL, path, "pack version %u; this sanbao reads version %d",
                      h.version, SB_PACK_VERSION);
  else if (h.check != sb_hash_bytes(&h, offsetof(header, check)))
    rc = corrupt(err, path, "the header is damaged");
  else if ((why = header_problem(&h, size)) != NULL)
    rc = corrupt(err, path, why);
  if (!rc) {
    p->info = (sb_pack_info){h.rows, h.dropped, h.records, h.involved, h.registry_fp, h.persons};
    p->inv_text = malloc(h.inv_bytes ? h.inv_bytes : 1);
    p->inv = calloc(h.involved ? h.involved : 1, sizeof *p->inv);
    if (!p->inv_text || !p->inv)
      rc = sb_error_set(err, SB_ENOMEM, path, "out of memory");
    else if ((got = read_full(p->fd, p->inv_text, h.inv_bytes, h.inv_off)) != 0)
      rc = got > 0 ? corrupt(err, path, "the file is truncated")
                   : sb_error_set(err, SB_EIO, path, "read error: %s", strerror(errno));
    else if (sb_hash_bytes(p->inv_text, h.inv_bytes) != h.inv_hash)
      rc = corrupt(err, path, "the involved table is damaged");
    else {
      p->inv_bytes = h.inv_bytes;
      rc = parse_involved(p, err);
    }
    p->records_sum = h.records_sum;
  }
  if (!rc) rc = read_people(p, &h, resolve, err);
  if (rc) {
    sb_pack_close(p);
    return rc;
  }
  /* the records mapped for sb_pack_view; without a mapping (no address
  ** space for it, a file system that cannot map) they are read */
  size_t len = (size_t)(SB_PACK_HEADER_SIZE + h.records * sizeof(sb_pack_rec));
  void *m = h.records ? mmap(NULL, len, PROT_READ, MAP_SHARED, p->fd, 0) : MAP_FAILED;
  if (m != MAP_FAILED) {
    p->recs = (const sb_pack_rec *)((const char *)m + SB_PACK_HEADER_SIZE);
    p->map_len = len;
  }
  *out = p;
  return SB_OK;
}

int sb_pack_open(const char *path, sb_pack **out, sb_error *err) {
  return pack_open(path, NULL, out, err);
}

int sb_pack_open_resolving(const char *path, const sb_policy *policy, sb_pack **out,
                           sb_error *err) {
  return pack_open(path, policy, out, err);
}

const char *sb_pack_path(const sb_pack *p) {
  return p->path;
}

const sb_pack_info *sb_pack_get_info(const sb_pack *p) {
  return &p->info;
}

const int32_t *sb_pack_regions(const sb_pack *p) {
  return p->regions;
}

int sb_pack_person_id(const sb_pack *p, int32_t person, char out[65], size_t *len, sb_error *err) {
  if (person < 0 || person >= p->info.persons)
    return sb_error_set(err, SB_EINVAL, p->path, "person %d is not in the pack", (int)person);
  uint64_t g = (uint64_t)person / SB_PACK_ID_GROUP, groups = ID_GROUPS(p->info.persons);
  uint64_t at = p->id_index[2 * g], end = g + 1 < groups ? p->id_index[2 * g + 2] : p->ids_bytes;
  unsigned char *buf = malloc((size_t)(end - at));
  if (!buf) return sb_error_set(err, SB_ENOMEM, p->path, "out of memory");
  int got = read_full(p->fd, buf, (size_t)(end - at), p->ids_off + at), rc = SB_OK;
  if (got)
    rc = got > 0 ? corrupt(err, p->path, "the file is truncated")
                 : sb_error_set(err, SB_EIO, p->path, "read error: %s", strerror(errno));
  else if (sb_digest_bytes(buf, (size_t)(end - at)) != p->id_index[2 * g + 1])
    rc = corrupt(err, p->path, "the person ids are damaged");
  /* walk the group to the person: length byte, id bytes */
  uint64_t k = 0, want = (uint64_t)person % SB_PACK_ID_GROUP;
  for (uint64_t i = 0; !rc; i++) {
    if (k >= end - at || buf[k] < 1 || buf[k] > 64 || buf[k] > end - at - k - 1) {
      rc = corrupt(err, p->path, "the person ids are inconsistent");
      break;
    }
    if (i == want) {
      *len = buf[k];
      memcpy(out, buf + k + 1, *len);
      out[*len] = 0;
      break;
    }
    k += 1 + (uint64_t)buf[k];
  }
  free(buf);
  return rc;
}

int sb_pack_check_persons_file(const sb_pack *p, const char *path, int threads, int *same,
                               sb_error *err) {
  *same = 0;
  if (!p->has_pf) return SB_OK;
  uint64_t size, digest;
  int rc = sb_digest_file(path, threads, &size, &digest, err);
  if (rc) return rc;
  *same = sb_pack_persons_file_is(p, size, digest) == 1;
  return SB_OK;
}

int sb_pack_persons_file_is(const sb_pack *p, uint64_t size, uint64_t digest) {
  if (!p->has_pf) return -1;
  return size == p->pf_size && digest == p->pf_digest;
}

#define NOTE_NAME "user.sanbao.persons"
static const char NOTE_TAG[8] = {'S', 'B', 'P', 'E', 'R', 'S', '0', '1'};

/* The note's value: the tag, then identity, size and digest, in the
** pack's own byte order (little-endian, as its header: a big-endian
** reader refuses the pack anyway). */
int sb_pack_note_persons_file(const char *pack_path, uint64_t identity, uint64_t size,
                              uint64_t digest) {
  if (!identity) return -1;
  uint64_t note[4] = {0, identity, size, digest};
  memcpy(note, NOTE_TAG, 8);
  return setxattr(pack_path, NOTE_NAME, note, sizeof note, 0) == 0 ? 0 : -1;
}

int sb_pack_persons_note(const char *pack_path, uint64_t *identity, uint64_t *size,
                         uint64_t *digest) {
  uint64_t note[5]; /* one more: a longer value is not ours */
  if (getxattr(pack_path, NOTE_NAME, note, sizeof note) != 32 || memcmp(note, NOTE_TAG, 8) != 0)
    return -1;
  *identity = note[1];
  *size = note[2];
  *digest = note[3];
  return *identity ? 0 : -1;
}

int sb_pack_check_registry(const sb_pack *p, const sb_registry *reg, const char *reg_name,
                           sb_error *err) {
  if (p->info.persons != sb_registry_count(reg) ||
      p->info.registry_fp != sb_registry_fingerprint(reg))
    return sb_error_set(err, SB_EINVAL, p->path,
                        "this pack was made with another person registry than %s "
                        "(%d persons there, %d here): make the pack again with this registry",
                        reg_name, (int)p->info.persons, (int)sb_registry_count(reg));
  return SB_OK;
}

int sb_pack_read(const sb_pack *p, uint64_t from, uint64_t n, sb_pack_rec *buf, sb_error *err) {
  if (from > p->info.records || n > p->info.records - from)
    return sb_error_set(err, SB_EINVAL, p->path, "records %llu..%llu are past the end",
                        (unsigned long long)from, (unsigned long long)(from + n));
  int got = read_full(p->fd, buf, n * sizeof *buf, SB_PACK_HEADER_SIZE + from * sizeof *buf);
  if (got)
    return got > 0 ? corrupt(err, p->path, "the file is truncated")
                   : sb_error_set(err, SB_EIO, p->path, "read error: %s", strerror(errno));
  for (uint64_t k = 0; k < n; k++)
    if (sb_pack_rec_valid(p, from + k, &buf[k], err)) return SB_EINVAL;
  return SB_OK;
}

int sb_pack_rec_valid(const sb_pack *p, uint64_t index, const sb_pack_rec *r, sb_error *err) {
  if (sb_pack_rec_fits(r, p->info.persons)) return SB_OK;
  char why[96];
  snprintf(why, sizeof why, "record %llu is damaged", (unsigned long long)index);
  return corrupt(err, p->path, why);
}

int sb_pack_view(const sb_pack *p, uint64_t from, uint64_t n, sb_pack_rec *buf,
                 const sb_pack_rec **out, sb_error *err) {
  if (from > p->info.records || n > p->info.records - from)
    return sb_error_set(err, SB_EINVAL, p->path, "records %llu..%llu are past the end",
                        (unsigned long long)from, (unsigned long long)(from + n));
  if (p->recs) {
    /* Map the range's pages in one call rather than a fault every 64 KiB;
    ** a range the file no longer holds (truncated since it was opened)
    ** fails here with EFAULT, an error instead of SIGBUS.  Kernels before
    ** 5.14 know no MADV_POPULATE_READ (EINVAL): the faults do it there. */
#ifdef MADV_POPULATE_READ
    uintptr_t a = (uintptr_t)(p->recs + from), e = (uintptr_t)(p->recs + from + n);
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    a &= ~(pg - 1);
    if (n && madvise((void *)a, e - a, MADV_POPULATE_READ) != 0 && errno == EFAULT)
      return corrupt(err, p->path, "the file is truncated");
#endif
    *out = p->recs + from;
    return SB_OK;
  }
  int got = read_full(p->fd, buf, n * sizeof *buf, SB_PACK_HEADER_SIZE + from * sizeof *buf);
  if (got)
    return got > 0 ? corrupt(err, p->path, "the file is truncated")
                   : sb_error_set(err, SB_EIO, p->path, "read error: %s", strerror(errno));
  *out = buf;
  return SB_OK;
}

int sb_pack_truncated(const sb_pack *p, sb_error *err) {
  return corrupt(err, p->path, "the file is truncated");
}

void sb_pack_release(const sb_pack *p, uint64_t from, uint64_t n) {
  if (!p->recs || !n) return;
  /* the whole pages inside the range: a page it shares with the next
  ** range stays (one page per range at most) */
  uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t a = ((uintptr_t)(p->recs + from) + pg - 1) & ~(pg - 1);
  uintptr_t e = (uintptr_t)(p->recs + from + n) & ~(pg - 1);
  if (e > a) madvise((void *)a, e - a, MADV_DONTNEED);
}

int sb_pack_verify(const sb_pack *p, uint64_t sum, sb_error *err) {
  return sum == p->records_sum ? SB_OK : corrupt(err, p->path, "the records are damaged");
}

int sb_pack_person_start(const sb_pack *p, uint64_t at, uint64_t *out, sb_error *err) {
  if (at == 0 || at >= p->info.records) {
    *out = at < p->info.records ? at : p->info.records;
    return SB_OK;
  }
  enum { CHUNK = 4096 };
  sb_pack_rec buf[CHUNK];
  int rc = sb_pack_read(p, at - 1, 1, buf, err);
  if (rc) return rc;
  int32_t person = buf[0].person;
  while (at < p->info.records) {
    uint64_t n = p->info.records - at < CHUNK ? p->info.records - at : CHUNK;
    if ((rc = sb_pack_read(p, at, n, buf, err))) return rc;
    for (uint64_t k = 0; k < n; k++)
      if (buf[k].person != person) {
        *out = at + k;
        return SB_OK;
      }
    at += n;
  }
  *out = p->info.records;
  return SB_OK;
}

/* ---- the claim-id bookkeeping of the involved rows ------------------------ */

/* Global canonical order (docs/reference/settlement.md §4): date, claim id
** bytes, input position — as the sort below uses it: on a tie of the date
** and eight bytes of the ids (sb_canon_id_prefix of what follows the
** prefix every involved id shares), the whole of it. */
typedef struct inv_key {
  sb_date date;
  uint64_t prefix;
  inv_entry *e;
} inv_key;

static int inv_cmp(const void *a, const void *b) {
  const inv_key *x = a, *y = b;
  if (x->date != y->date) return x->date < y->date ? -1 : 1;
  if (x->prefix != y->prefix) return x->prefix < y->prefix ? -1 : 1;
  const inv_entry *u = x->e, *v = y->e;
  return sb_canon_cmp(u->date, u->id, u->id_len, u->pos, v->date, v->id, v->id_len, v->pos);
}

int sb_pack_resolve(sb_pack *p, const sb_policy *pol, sb_error *err) {
  uint64_t n = p->info.involved, m = 0;
  /* Sorted by keys beside the entries rather than by the entries: most
  ** comparisons are then decided by the date and the first eight id
  ** bytes in the key array itself, without reaching for the entry and its
  ** id text (1.5 million entries at a province's scale, whose sort was
  ** 3% of a run's time and ran before any settlement could start).  The order is
  ** the canonical order either way: it is total (input positions are
  ** unique), so any sort by it gives the same sequence. */
  inv_key *order = malloc((size_t)(n ? n : 1) * sizeof *order);
  sb_idbook *book = sb_idbook_new((int64_t)n);
  if (!order || !book) {
    free(order), sb_idbook_free(book);
    return sb_error_set(err, SB_ENOMEM, p->path, "out of memory");
  }
  /* The key's eight bytes are taken after the prefix all the ids share.
  ** Why: ids are often numbered behind a fixed stem ("C0000000123"), whose
  ** first eight bytes are then the same for millions of ids; every tie of
  ** the date went to the whole comparison, through the entry's pointer to
  ** its text somewhere in memory (most of the sort's time at a province's
  ** scale, perf).  Cutting a prefix that every id has keeps the order of
  ** the keys that of the ids. */
  size_t shared = n ? p->inv[0].id_len : 0;
  for (uint64_t k = 1; k < n && shared > 0; k++) {
    const inv_entry *e = &p->inv[k];
    size_t l = 0, lim = e->id_len < shared ? e->id_len : shared;
    while (l < lim && e->id[l] == p->inv[0].id[l])
      l++;
    shared = l;
  }
  /* Which rows take part: a reversal always (its checks are all about ids);
  ** a claim only when its year has a policy and the policy covers the
  ** person's region — else it is NO_POLICY or UNKNOWN_REGION and, being
  ** rejected, leaves its id free. */
  sb_ci_memo memo = {{0}, {0}, {0}};
  for (uint64_t k = 0; k < n; k++) {
    /* the persons' regions are read a few dozen persons apart, each a
    ** miss of the cache: asked for ahead */
    if (k + 16 < n) __builtin_prefetch(&p->regions[p->inv[k + 16].person]);
    inv_entry *e = &p->inv[k];
    e->rejected = 0;
    e->original = -1;
    if (!e->reversal) {
      sb_fen T;
      if (sb_date_year(e->date) != pol->year ||
          sb_policy_ci_deductible_memo(pol, &memo, p->regions[e->person], &T)) {
        e->rejected = 1;
        continue;
      }
    }
    order[m++] = (inv_key){e->date, sb_canon_id_prefix(e->id + shared, e->id_len - shared), e};
  }
  qsort(order, (size_t)m, sizeof *order, inv_cmp);
  /* The run's id rules (docs/reference/settlement.md §8), in canonical
  ** order; the holder's ref is the record. */
  /* The entries, their ids' text and the ids' slots are met in date
  ** order, all over memory: each is asked for ahead, in three stages
  ** (the entry 3 * PREFETCH rows ahead, its text, which the entry points
  ** to, 2 * PREFETCH ahead, and the slot, whose place the text's hash
  ** gives, PREFETCH ahead).  Without the middle stage, the hash waited for
  ** the text at every row (perf: the prefetch's own hashing was the
  ** loop's hottest line). */
  enum { PREFETCH = 8 };
  for (uint64_t q = 0; q < m; q++) {
    if (q + 3 * PREFETCH < m) __builtin_prefetch(order[q + 3 * PREFETCH].e);
    if (q + 2 * PREFETCH < m) __builtin_prefetch(order[q + 2 * PREFETCH].e->id);
    if (q + PREFETCH < m) {
      const inv_entry *a = order[q + PREFETCH].e;
      sb_idbook_prefetch(book, a->id, a->id_len);
      if (a->reversal && a->target_len > 0) sb_idbook_prefetch(book, a->target, a->target_len);
    }
    inv_entry *e = order[q].e;
    sb_id_row ir = {e->id,
                    e->id_len,
                    e->date,
                    e->person,
                    e->reversal,
                    e->reversal ? e->target : NULL,
                    e->reversal ? e->target_len : 0,
                    (int64_t)e->rec};
    sb_id_holder orig;
    int reason = sb_idbook_take(book, &ir, &orig);
    if (reason < 0) {
      free(order), sb_idbook_free(book);
      return sb_error_set(err, SB_ENOMEM, p->path, "out of memory");
    }
    e->rejected = reason != SB_OK_ROW;
    if (!reason && e->reversal) e->original = orig.ref;
  }
  free(order);
  sb_idbook_free(book);
  return SB_OK;
}

void sb_pack_involved(const sb_pack *p, uint64_t k, sb_pack_outcome *out) {
  const inv_entry *e = &p->inv[k];
  *out =
      (sb_pack_outcome){e->rec, e->person, e->date, e->pos, e->reversal, e->rejected, e->original};
}

static void *resolve_thread(void *arg) {
  sb_pack *p = arg;
  p->resolve_rc = sb_pack_resolve(p, p->resolve_pol, &p->resolve_err);
  return NULL;
}

void sb_pack_resolve_begin(sb_pack *p, const sb_policy *policy) {
  if (p->resolving) return;
  p->resolve_pol = policy;
  p->resolving = pthread_create(&p->resolver, NULL, resolve_thread, p) == 0;
}

int sb_pack_resolve_end(sb_pack *p, const sb_policy *policy, sb_error *err) {
  if (p->resolving) {
    pthread_join(p->resolver, NULL);
    p->resolving = 0;
    if (p->resolve_pol == policy) {
      if (p->resolve_rc) *err = p->resolve_err;
      return p->resolve_rc;
    }
  }
  return sb_pack_resolve(p, policy, err);
}

void sb_pack_close(sb_pack *p) {
  if (!p) return;
  if (p->resolving) pthread_join(p->resolver, NULL);
  if (p->recs) munmap((char *)p->recs - SB_PACK_HEADER_SIZE, p->map_len);
  if (p->fd >= 0) close(p->fd);
  free(p->path);
  free(p->inv_text);
  free(p->inv);
  free(p->regions);
  free(p->id_index);
  free(p);
}
