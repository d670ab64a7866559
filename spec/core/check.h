/* check.h - the one harness of the core's C tests: checks that count,
** report where they failed, and a closing line the runners read. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_passed, check_failed;

/* Report at most this many failures in full (the count is always right). */
#define CHECK_SHOWN 30

#define CHECK_FAILED_() \
  (check_failed++ < CHECK_SHOWN && \
   fprintf(stderr, "%s:%d: ", __FILE__, __LINE__) > 0)

#define CHECK(cond) do { \
    if (cond) check_passed++; \
    else if (CHECK_FAILED_()) fprintf(stderr, "CHECK failed: %s\n", #cond); \
  } while (0)

/* A check with a message of its own (printf arguments). */
#define CHECK_MSG(cond, ...) do { \
    if (cond) check_passed++; \
    else if (CHECK_FAILED_()) { \
      fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
  } while (0)

/* A core call that must return this code. */
#define CHECK_RC(call, want) do { \
    int rc_ = (call); \
    if (rc_ == (want)) check_passed++; \
    else if (CHECK_FAILED_()) \
      fprintf(stderr, "%s returned %d, want %d\n", #call, rc_, (int)(want)); \
  } while (0)

/* The closing line: "N passed, N failed". */
static int check_done(void) {
  printf("%d passed, %d failed\n", check_passed, check_failed);
  return check_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
