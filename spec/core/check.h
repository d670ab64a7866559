/* check.h - a minimal harness for the core's C tests. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_passed, check_failed;

#define CHECK(cond) do { \
    if (cond) check_passed++; \
    else { check_failed++; \
           fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
  } while (0)

/* A core call that must return this code. */
#define CHECK_RC(call, want) do { \
    int rc_ = (call); \
    if (rc_ == (want)) check_passed++; \
    else { check_failed++; \
           fprintf(stderr, "%s:%d: %s returned %d, want %d\n", \
                   __FILE__, __LINE__, #call, rc_, (int)(want)); } \
  } while (0)

/* The closing line that the test runners read: "N passed, N failed". */
static int check_done(void) {
  printf("%d passed, %d failed\n", check_passed, check_failed);
  return check_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
