/*
** test_pattern.c - the core's Lua pattern matcher (mb_pfind, mb_pmatchat)
** on byte ranges.  The expected results in CASES were produced by Lua
** 5.4.4's own string.find / string.match on the same subjects (the Lua
** specs compare against the live string library far more widely); here
** the core is checked without Lua (mb_pfind answers as string.find does,
** plain-text rule included): offsets, captures, position captures,
** error codes and messages, the depth limit, long subjects, and subjects
** that are not NUL-terminated.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapbuf.h"

static int fails = 0, checks = 0;

#define CHECK(c, ...) do { checks++; if (!(c)) { fails++; \
  if (fails < 30) { printf("FAIL %s:%d: ", __FILE__, __LINE__); \
  printf(__VA_ARGS__); printf("\n"); } } } while (0)

typedef struct Case {
  const char *s; size_t ls;
  const char *p; size_t lp;
  size_t init;
  int rc;                  /* 1, 0, or MB_E_PATTERN */
  size_t start, end;       /* 0-based, end exclusive */
  int ncap;
  const char *cap[4];      /* string captures (NULL: a position) */
  size_t caplen[4];
  long pos[4];             /* position captures, 1-based */
  const char *err;
} Case;

static const Case CASES[] = {
  {"hello world", 11, "o w", 3, 0, 1, 4, 7, 0, {NULL}, {0}, {-1}, NULL},
  {"hello world", 11, "o", 1, 5, 1, 7, 8, 0, {NULL}, {0}, {-1}, NULL},
  {"hello", 5, "xyz", 3, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"", 0, "", 0, 0, 1, 0, 0, 0, {NULL}, {0}, {-1}, NULL},
  {"abc", 3, "", 0, 3, 1, 3, 3, 0, {NULL}, {0}, {-1}, NULL},
  {"abc", 3, "", 0, 1, 1, 1, 1, 0, {NULL}, {0}, {-1}, NULL},
  {"a\000b", 3, "%z", 2, 0, 1, 1, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"a\000b", 3, "[%z]", 4, 0, 1, 1, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"a\000b\377", 4, "[\200-\377]", 5, 0, 1, 3, 4, 0, {NULL}, {0}, {-1}, NULL},
  {"  key = value  ", 15, "(%w+)%s*=%s*(%w+)", 17, 0, 1, 2, 13, 2, {"key", "value"}, {3, 5}, {-1, -1}, NULL},
  {"x = 12;", 7, "()=()", 5, 0, 1, 2, 3, 2, {NULL, NULL}, {0, 0}, {3, 4}, NULL},
  {"THE (quick) fox", 15, "%((%a+)%)", 9, 0, 1, 4, 11, 1, {"quick"}, {5}, {-1}, NULL},
  {"f(a(b)c)d", 9, "%b()", 4, 0, 1, 1, 8, 0, {NULL}, {0}, {-1}, NULL},
  {"THE (quick) fox", 15, "%f[%a]%a+", 9, 4, 1, 5, 10, 0, {NULL}, {0}, {-1}, NULL},
  {"aaa", 3, "a-b", 3, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"aaab", 4, "a-b", 3, 0, 1, 0, 4, 0, {NULL}, {0}, {-1}, NULL},
  {"aaab", 4, "^a-$", 4, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"aaab", 4, "a*", 2, 0, 1, 0, 3, 0, {NULL}, {0}, {-1}, NULL},
  {"aaab", 4, "a+b", 3, 0, 1, 0, 4, 0, {NULL}, {0}, {-1}, NULL},
  {"aaab", 4, "ab?", 3, 0, 1, 0, 1, 0, {NULL}, {0}, {-1}, NULL},
  {"hello hello", 11, "(h%a+) %1", 9, 0, 1, 0, 11, 1, {"hello"}, {5}, {-1}, NULL},
  {"abcabc", 6, "(a)(b)(c)%3?", 12, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"a.b", 3, "%.", 2, 0, 1, 1, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"a.b", 3, ".", 1, 0, 1, 0, 1, 0, {NULL}, {0}, {-1}, NULL},
  {"a]b", 3, "[]]", 3, 0, 1, 1, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"a^b", 3, "[%^]", 4, 0, 1, 1, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"a-b", 3, "[a-]+", 5, 0, 1, 0, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"x$y", 3, "$y", 2, 0, 1, 1, 3, 0, {NULL}, {0}, {-1}, NULL},
  {"xy", 2, "y$", 2, 0, 1, 1, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"xy", 2, "^y", 2, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"^y", 2, "^^y", 3, 0, 1, 0, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"abc", 3, "[^%a]", 5, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"12ab", 4, "%x+", 3, 0, 1, 0, 4, 0, {NULL}, {0}, {-1}, NULL},
  {"12ab", 4, "%X", 2, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"ab\012\011c", 5, "%s+", 3, 0, 1, 2, 4, 0, {NULL}, {0}, {-1}, NULL},
  {"ab\012\011c", 5, "%c", 2, 0, 1, 2, 3, 0, {NULL}, {0}, {-1}, NULL},
  {"AbC", 3, "%u%l%u", 6, 0, 1, 0, 3, 0, {NULL}, {0}, {-1}, NULL},
  {"a,b;c", 5, "%p", 2, 0, 1, 1, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"a b", 3, "%g+", 3, 0, 1, 0, 1, 0, {NULL}, {0}, {-1}, NULL},
  {"abc", 3, "%w-c", 4, 0, 1, 0, 3, 0, {NULL}, {0}, {-1}, NULL},
  {"abc", 3, "(a)(", 4, 0, -100, 0, 0, 0, {0}, {0}, {0}, "unfinished capture"},
  {"abc", 3, "%", 1, 0, -100, 0, 0, 0, {0}, {0}, {0}, "malformed pattern (ends with '%')"},
  {"abc", 3, "[a", 2, 0, -100, 0, 0, 0, {0}, {0}, {0}, "malformed pattern (missing ']')"},
  {"abc", 3, "[^", 2, 0, -100, 0, 0, 0, {0}, {0}, {0}, "malformed pattern (missing ']')"},
  {"abc", 3, "%f", 2, 0, -100, 0, 0, 0, {0}, {0}, {0}, "missing '[' after '%f' in pattern"},
  {"abc", 3, "%fa", 3, 0, -100, 0, 0, 0, {0}, {0}, {0}, "missing '[' after '%f' in pattern"},
  {"abc", 3, "%b", 2, 0, -100, 0, 0, 0, {0}, {0}, {0}, "malformed pattern (missing arguments to '%b')"},
  {"abc", 3, "%bx", 3, 0, -100, 0, 0, 0, {0}, {0}, {0}, "malformed pattern (missing arguments to '%b')"},
  {"abc", 3, "(a)%2", 5, 0, -100, 0, 0, 0, {0}, {0}, {0}, "invalid capture index %2"},
  {"abc", 3, "%0", 2, 0, -100, 0, 0, 0, {0}, {0}, {0}, "invalid capture index %0"},
  {"abc", 3, ")", 1, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"abc", 3, "x%", 2, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 300, "a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 900, 0, -100, 0, 0, 0, {0}, {0}, {0}, "pattern too complex"},
  {"abc", 3, "(((((((((((((((((((((((((((((((((", 33, 0, -100, 0, 0, 0, {0}, {0}, {0}, "too many captures"},
  {"abc", 3, "()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()", 64, 0, 1, 0, 0, 32, {NULL, NULL, NULL, NULL}, {0, 0, 0, 0}, {1, 1, 1, 1}, NULL},
  {"abc", 3, "a", 1, 9, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"abc", 3, "c", 1, 2, 1, 2, 3, 0, {NULL}, {0}, {-1}, NULL},
  {"abc", 3, "^b", 2, 1, 1, 1, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"xa)y", 4, "a)", 2, 0, 1, 1, 3, 0, {NULL}, {0}, {-1}, NULL},
  {"a)", 2, "a)", 2, 0, 1, 0, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"abc", 3, "b)", 2, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"ab)", 3, "(b)", 3, 0, 1, 1, 2, 1, {"b"}, {1}, {-1}, NULL},
};

/* Run one case on a heap copy of exactly ls bytes, so that reading one
** byte past the subject is caught by ASan. */
static void runcase(const Case *c) {
  unsigned char *s = malloc(c->ls ? c->ls : 1);
  mb_match mt;
  int rc, i;
  memcpy(s, c->s, c->ls);
  rc = mb_pfind(s, c->ls, c->p, c->lp, c->init, &mt);
  if (c->err != NULL && strcmp(c->err, "unfinished capture") == 0) {
    /* the core reports it as a capture; the binding raises, as Lua does */
    int unfinished = 0;
    CHECK(rc == 1, "%s: rc %d", c->p, rc);
    for (i = 0; rc == 1 && i < mt.level; i++)
      unfinished |= mt.capture[i].len == MB_CAP_UNFINISHED;
    CHECK(unfinished, "%s: no unfinished capture", c->p);
    free(s);
    return;
  }
  CHECK(rc == c->rc, "pattern %s on %s: rc %d, want %d (%s)", c->p, c->s, rc,
        c->rc, rc == MB_E_PATTERN ? mt.err : "");
  if (rc == MB_E_PATTERN && c->err)
    CHECK(strcmp(mt.err, c->err) == 0, "pattern %s: message '%s', want '%s'",
          c->p, mt.err, c->err);
  if (rc == 1 && c->rc == 1) {
    CHECK(mt.start == c->start && mt.end == c->end,
          "pattern %s on %s: %zu..%zu, want %zu..%zu", c->p, c->s, mt.start,
          mt.end, c->start, c->end);
    CHECK(mt.level == c->ncap, "pattern %s: %d captures, want %d", c->p,
          mt.level, c->ncap);
    for (i = 0; i < mt.level && i < c->ncap && i < 4; i++) {
      const mb_capture *k = &mt.capture[i];
      if (c->pos[i] >= 0)
        CHECK(k->len == MB_CAP_POSITION && (long)k->init + 1 == c->pos[i],
              "pattern %s: capture %d not position %ld", c->p, i, c->pos[i]);
      else
        CHECK(k->len == (ptrdiff_t)c->caplen[i] &&
              memcmp(s + k->init, c->cap[i], c->caplen[i]) == 0,
              "pattern %s: capture %d differs", c->p, i);
    }
  }
  free(s);
}

/* gmatch's primitive: one attempt at an exact offset, '^' a plain byte. */
static void matchat(void) {
  const unsigned char *s = (const unsigned char *)"a^b ab";
  mb_match mt;
  CHECK(mb_pmatchat(s, 6, "^b", 2, 1, &mt) == 1 && mt.start == 1 &&
        mt.end == 3, "pmatchat ^ is a byte");
  CHECK(mb_pmatchat(s, 6, "ab", 2, 0, &mt) == 0, "pmatchat is anchored");
  CHECK(mb_pmatchat(s, 6, "ab", 2, 4, &mt) == 1 && mt.end == 6, "pmatchat at");
  CHECK(mb_pmatchat(s, 6, "", 0, 6, &mt) == 1 && mt.start == 6 &&
        mt.end == 6, "pmatchat empty at the end");
  CHECK(mb_pmatchat(s, 6, "a", 1, 7, &mt) == 0, "pmatchat beyond the end");
  CHECK(mb_pmatchat(s, 6, "%", 1, 0, &mt) == MB_E_PATTERN &&
        strcmp(mt.err, "malformed pattern (ends with '%')") == 0,
        "pmatchat error");
  CHECK(mb_pfind(s, 6, "a", 1, 7, &mt) == 0, "pfind init beyond the end");
}

/* Long subjects: loops, not recursion, for repetitions; the depth limit
** only counts real choice points. */
static void longsubjects(void) {
  size_t n = 4u << 20, i;
  unsigned char *s = malloc(n);
  mb_match mt;
  int rc;
  memset(s, 'a', n);
  s[n - 1] = 'b';
  rc = mb_pfind(s, n, "^a*b$", 5, 0, &mt);
  CHECK(rc == 1 && mt.end == n, "^a*b$ on 4 MiB");
  rc = mb_pfind(s, n, "^(a-)b", 6, 0, &mt);
  CHECK(rc == 1 && mt.capture[0].len == (ptrdiff_t)(n - 1), "^(a-)b");
  rc = mb_pfind(s, n, "b", 1, 0, &mt);
  CHECK(rc == 1 && mt.start == n - 1, "plain b at the end");
  rc = mb_pfind(s, n, "[b]%z?", 6, 0, &mt);
  CHECK(rc == 1 && mt.start == n - 1, "filtered set at the end");
  rc = mb_pfind(s, n, "^.-$", 4, 0, &mt);
  CHECK(rc == 1 && mt.end == n, "^.-$");
  /* 199 nested '?' choices fit, 201 do not */
  {
    char p[1000];
    size_t k = 0;
    for (i = 0; i < 199; i++) { p[k++] = 'a'; p[k++] = '?'; }
    rc = mb_pfind(s, n, p, k, 0, &mt);
    CHECK(rc == 1 && mt.end == 199, "199 choices: %d %s", rc, mt.err);
    p[k++] = 'a'; p[k++] = '?';
    p[k++] = 'a'; p[k++] = '?';
    rc = mb_pfind(s, n, p, k, 0, &mt);
    CHECK(rc == MB_E_PATTERN && strcmp(mt.err, "pattern too complex") == 0,
          "201 choices: %d", rc);
  }
  free(s);
}

int main(void) {
  size_t i;
  for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++) runcase(&CASES[i]);
  matchat();
  longsubjects();
  printf("test_pattern: %d checks, %d failures\n", checks, fails);
  return fails != 0;
}
