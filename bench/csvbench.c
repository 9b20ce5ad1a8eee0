/*
** csvbench — the CSV reader against libcsv on the same file, in memory.
**
** Usage: csvbench FILE
**
** Why this exists: the project reads CSV with its own RFC 4180 reader
** (src/io/csv.c) instead of Debian's libcsv, because the contract
** needs per-field quoting diagnostics that libcsv does not give (see
** csv.h).  This benchmark shows what that choice costs or saves in speed:
** both parse the whole file from memory, counting fields and records, and
** the MB/s of each is printed.  The counts must agree on well-formed input.
*/
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h> /* libcsv */

#include "io/csv.h" /* ours */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct counts {
  long fields, records, bytes;
} counts;

static void on_field(void *s, size_t len, void *data) {
  counts *c = data;
  (void)s;
  c->fields++;
  c->bytes += (long)len;
}
static void on_record(int ch, void *data) {
  (void)ch;
  ((counts *)data)->records++;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: csvbench FILE\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st)) {
    perror(argv[1]);
    return 2;
  }
  size_t n = (size_t)st.st_size;
  char *buf = malloc(n ? n : 1);
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) return 2;
    got += (size_t)r;
  }
  close(fd);

  counts ours = {0, 0, 0};
  double t0 = now();
  sb_csv_reader *rd = sb_csv_open_mem(buf, n);
  sb_csv_row row;
  while (sb_csv_next(rd, &row) > 0) {
    ours.records++;
    ours.fields += row.n;
    for (int i = 0; i < row.n; i++)
      ours.bytes += row.fields[i].len;
  }
  sb_csv_close(rd);
  double t_ours = now() - t0;

  counts lib = {0, 0, 0};
  struct csv_parser p;
  csv_init(&p, CSV_STRICT | CSV_APPEND_NULL);
  t0 = now();
  if (csv_parse(&p, buf, n, on_field, on_record, &lib) != n) {
    fprintf(stderr, "libcsv: %s\n", csv_strerror(csv_error(&p)));
    return 1;
  }
  csv_fini(&p, on_field, on_record, &lib);
  double t_lib = now() - t0;
  csv_free(&p);

  printf("sanbao csv reader: %ld records, %ld fields, %.3f s, %.0f MB/s\n", ours.records,
         ours.fields, t_ours, (double)n / 1e6 / t_ours);
  printf("libcsv (strict):   %ld records, %ld fields, %.3f s, %.0f MB/s\n", lib.records, lib.fields,
         t_lib, (double)n / 1e6 / t_lib);
  free(buf);
  return ours.fields == lib.fields && ours.records == lib.records ? 0 : 1;
}
