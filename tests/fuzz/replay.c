/*
** sanbao fuzz targets — the replay driver: a main() that feeds every file
** of the directories (or the files) given as arguments to
** LLVMFuzzerTestOneInput, in name order, one call per file with a buffer of
** exactly the file's size (so that AddressSanitizer sees any read past it).
** Linked with each target into replay_NAME; ctest runs it over
** tests/fuzz/corpus/NAME/ in every build, so that every input the fuzzer
** ever kept — crashers included — is replayed forever after.
**
** A bug found shows as a crash: the sanitizers' report, or a target's
** fz_fail() (abort).  Either way the driver first names the input on
** stderr.  An input that cannot be read counts as failed; so does finding
** no input at all.  The last line is "NAME: N passed, N failed".
*/
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Under a sanitizer, a hook run before the process dies of a report. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static const char *current; /* the input being run */

static void say_current(void) {
  fz_scratch_abandon(); /* a dying process leaves no scratch files behind */
  if (!current) return;
  static const char a[] = "\nreplay: crashed on input ";
  if (write(2, a, sizeof a - 1) < 0 || write(2, current, strlen(current)) < 0 ||
      write(2, "\n", 1) < 0)
    return;
}

static void on_signal(int sig) {
  say_current();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Run one file; 0 when it was run, -1 when it could not be read. */
static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return -1;
  }
  size_t cap = 1 << 16, len = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      uint8_t *nb = realloc(buf, cap *= 2);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  int bad = !buf || ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    fprintf(stderr, "replay: cannot read %s\n", path);
    return -1;
  }
  /* exactly `len` bytes: a read past the input is a read past the buffer */
  uint8_t *in = malloc(len ? len : 1);
  if (!in) {
    free(buf);
    return -1;
  }
  memcpy(in, buf, len);
  free(buf);
  current = path;
  LLVMFuzzerTestOneInput(in, len);
  current = NULL;
  free(in);
  return 0;
}

static int visible(const struct dirent *e) {
  return e->d_name[0] != '.';
}

int main(int argc, char **argv) {
  const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR|FILE...\n", name);
    return 2;
  }
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(say_current);
  signal(SIGABRT, on_signal);
  signal(SIGSEGV, on_signal);
  signal(SIGBUS, on_signal);
  signal(SIGFPE, on_signal);
  int passed = 0, failed = 0;
  for (int a = 1; a < argc; a++) {
    struct stat st;
    if (stat(argv[a], &st) != 0) {
      fprintf(stderr, "replay: no such file or directory: %s\n", argv[a]);
      failed++;
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      run_file(argv[a]) ? failed++ : passed++;
      continue;
    }
    struct dirent **list;
    int n = scandir(argv[a], &list, visible, alphasort);
    if (n < 0) {
      fprintf(stderr, "replay: cannot list %s\n", argv[a]);
      failed++;
      continue;
    }
    for (int k = 0; k < n; k++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[a], list[k]->d_name);
      struct stat fs;
      if (stat(path, &fs) == 0 && S_ISREG(fs.st_mode)) run_file(path) ? failed++ : passed++;
      free(list[k]);
    }
    free(list);
  }
  if (passed + failed == 0) {
    fprintf(stderr, "replay: no input found\n");
    failed = 1;
  }
  printf("%s: %d passed, %d failed\n", name, passed, failed);
  return failed ? 1 : 0;
}
