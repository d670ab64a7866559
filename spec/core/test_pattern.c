/*
** test_pattern.c - the core's Lua pattern engine (mb_pfind, mb_pmatchat,
** and a compiled pattern run by mb_pexec) on byte ranges.  The expected
** results in CASES and in the tables below were produced by Lua 5.4.4's
** own string.find / string.match on the same subjects (the Lua specs and
** the fuzzer compare against the live string library far more widely);
** here the core is checked without Lua (mb_pfind answers as string.find
** does, plain-text rule included): offsets, captures, position captures,
** error codes and messages, the depth limit, one compiled program at many
** starts and from two threads, 32 and 33 captures, errors reached or not,
** zeros and high bytes, long subjects, and subjects that end right before
** an unreadable page.
*/
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapbuf.h"
#include "check.h"
#include "guardpage.h"

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
  {"abc", 3, "(a)(", 4, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "unfinished capture"},
  {"abc", 3, "%", 1, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "malformed pattern (ends with '%')"},
  {"abc", 3, "[a", 2, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "malformed pattern (missing ']')"},
  {"abc", 3, "[^", 2, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "malformed pattern (missing ']')"},
  {"abc", 3, "%f", 2, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "missing '[' after '%f' in pattern"},
  {"abc", 3, "%fa", 3, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "missing '[' after '%f' in pattern"},
  {"abc", 3, "%b", 2, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "malformed pattern (missing arguments to '%b')"},
  {"abc", 3, "%bx", 3, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "malformed pattern (missing arguments to '%b')"},
  {"abc", 3, "(a)%2", 5, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "invalid capture index %2"},
  {"abc", 3, "%0", 2, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "invalid capture index %0"},
  {"abc", 3, ")", 1, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"abc", 3, "x%", 2, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 300, "a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 900, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "pattern too complex"},
  {"abc", 3, "(((((((((((((((((((((((((((((((((", 33, 0, MB_E_PATTERN, 0, 0, 0, {0}, {0}, {0}, "too many captures"},
  {"abc", 3, "()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()()", 64, 0, 1, 0, 0, 32, {NULL, NULL, NULL, NULL}, {0, 0, 0, 0}, {1, 1, 1, 1}, NULL},
  {"abc", 3, "a", 1, 9, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"abc", 3, "c", 1, 2, 1, 2, 3, 0, {NULL}, {0}, {-1}, NULL},
  {"abc", 3, "^b", 2, 1, 1, 1, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"xa)y", 4, "a)", 2, 0, 1, 1, 3, 0, {NULL}, {0}, {-1}, NULL},
  {"a)", 2, "a)", 2, 0, 1, 0, 2, 0, {NULL}, {0}, {-1}, NULL},
  {"abc", 3, "b)", 2, 0, 0, 0, 0, 0, {0}, {0}, {0}, NULL},
  {"ab)", 3, "(b)", 3, 0, 1, 1, 2, 1, {"b"}, {1}, {-1}, NULL},
};

/* Say which case failed (check.h names only the line). */
static void blame(const Case *c, const char *what, int rc, const mb_match *mt) {
  fprintf(stderr, "  case: pattern \"%.*s\" subject \"%.*s\" init %zu: %s "
          "(rc %d%s%s)\n", (int)c->lp, c->p, (int)c->ls, c->s, c->init, what,
          rc, rc == MB_E_PATTERN ? ", " : "", rc == MB_E_PATTERN ? mt->err : "");
}

#define CASECHECK(cond, what) do { int ok_ = (cond); CHECK(ok_); \
    if (!ok_) blame(c, what, rc, &mt); } while (0)

/* Is mt the match the case expects? */
static int expected(const Case *c, const unsigned char *s, const mb_match *mt) {
  int i;
  if (mt->start != c->start || mt->end != c->end || mt->level != c->ncap)
    return 0;
  for (i = 0; i < mt->level && i < 4; i++) {
    const mb_capture *k = &mt->capture[i];
    if (c->pos[i] >= 0) {
      if (k->len != MB_CAP_POSITION || (long)k->init + 1 != c->pos[i]) return 0;
    }
    else if (k->len != (ptrdiff_t)c->caplen[i] ||
             memcmp(s + k->init, c->cap[i], c->caplen[i]) != 0)
      return 0;
  }
  return 1;
}

static int unfinished(const mb_match *mt) {
  int i;
  for (i = 0; i < mt->level; i++)
    if (mt->capture[i].len == MB_CAP_UNFINISHED) return 1;
  return 0;
}

/* Run one case on a heap copy of exactly ls bytes, so that reading one
** byte past the subject is caught by ASan and valgrind: through mb_pfind,
** and through a compiled pattern where string.find's plain-text rule does
** not decide the answer. */
static void runcase(const Case *c) {
  unsigned char *s = malloc(c->ls ? c->ls : 1);
  mb_match mt;
  mb_pattern *pp;
  int rc;
  memcpy(s, c->s, c->ls);
  rc = mb_pfind(s, c->ls, c->p, c->lp, c->init, &mt);
  if (c->err != NULL && strcmp(c->err, "unfinished capture") == 0) {
    /* the core reports it as a capture; the binding raises, as Lua does */
    CASECHECK(rc == 1 && unfinished(&mt), "an unfinished capture");
  }
  else {
    CASECHECK(rc == c->rc, "the return code");
    if (rc == MB_E_PATTERN && c->err)
      CASECHECK(strcmp(mt.err, c->err) == 0, "the message");
    if (rc == 1 && c->rc == 1) CASECHECK(expected(c, s, &mt), "the match");
  }
  CHECK_RC(mb_pcompile(&pp, c->p, c->lp), 0);
  if (!(mb_pflags(pp) & MB_PPLAIN)) {
    mb_match m2;
    int r2 = mb_pexec(pp, s, c->ls, c->init, MB_PEXEC_FIND, &m2);
    CASECHECK(r2 == rc, "compiled: the return code");
    if (r2 == 1 && rc == 1)
      CASECHECK(m2.start == mt.start && m2.end == mt.end &&
                m2.level == mt.level && (mt.level == 0 ||
                memcmp(m2.capture, mt.capture,
                       sizeof(mb_capture) * (size_t)mt.level) == 0),
                "compiled: the match");
    if (r2 == MB_E_PATTERN && rc == MB_E_PATTERN)
      CASECHECK(strcmp(m2.err, mt.err) == 0, "compiled: the message");
  }
  mb_pfree(pp);
  free(s);
}

/* gmatch's primitive: one attempt at an exact offset, '^' a plain byte. */
static void matchat(void) {
  const unsigned char *s = (const unsigned char *)"a^b ab";
  mb_match mt;
  CHECK(mb_pmatchat(s, 6, "^b", 2, 1, &mt) == 1 && mt.start == 1 &&
        mt.end == 3);
  CHECK(mb_pmatchat(s, 6, "ab", 2, 0, &mt) == 0);
  CHECK(mb_pmatchat(s, 6, "ab", 2, 4, &mt) == 1 && mt.end == 6);
  CHECK(mb_pmatchat(s, 6, "", 0, 6, &mt) == 1 && mt.start == 6 &&
        mt.end == 6);
  CHECK(mb_pmatchat(s, 6, "a", 1, 7, &mt) == 0);
  CHECK(mb_pmatchat(s, 6, "%", 1, 0, &mt) == MB_E_PATTERN &&
        strcmp(mt.err, "malformed pattern (ends with '%')") == 0);
  CHECK(mb_pfind(s, 6, "a", 1, 7, &mt) == 0);
  /* one pattern, the two readings of its '^', one after the other (the
  ** thread's last compiled pattern must not serve the other reading) */
  CHECK(mb_pfind(s + 1, 2, "^b", 2, 0, &mt) == 0);
  CHECK(mb_pmatchat(s + 1, 2, "^b", 2, 0, &mt) == 1 && mt.end == 2);
  CHECK(mb_pfind(s + 1, 2, "^b", 2, 0, &mt) == 0);
  CHECK(mb_pfind(s + 2, 1, "^b", 2, 0, &mt) == 1 && mt.end == 1);
}

/* Long subjects: loops, not recursion, for repetitions; the depth limit
** only counts Lua's nested calls. */
static void longsubjects(void) {
  size_t n = 4u << 20, i;
  unsigned char *s = malloc(n);
  mb_match mt;
  int rc;
  memset(s, 'a', n);
  s[n - 1] = 'b';
  rc = mb_pfind(s, n, "^a*b$", 5, 0, &mt);
  CHECK(rc == 1 && mt.end == n);
  rc = mb_pfind(s, n, "^(a-)b", 6, 0, &mt);
  CHECK(rc == 1 && mt.capture[0].len == (ptrdiff_t)(n - 1));
  rc = mb_pfind(s, n, "b", 1, 0, &mt);
  CHECK(rc == 1 && mt.start == n - 1);
  rc = mb_pfind(s, n, "[b]%z?", 6, 0, &mt);
  CHECK(rc == 1 && mt.start == n - 1);
  rc = mb_pfind(s, n, "^.-$", 4, 0, &mt);
  CHECK(rc == 1 && mt.end == n);
  rc = mb_pfind(s, n, "(a+)b", 5, 0, &mt);   /* one attempt, not n */
  CHECK(rc == 1 && mt.start == 0 && mt.capture[0].len == (ptrdiff_t)(n - 1));
  rc = mb_pfind(s, n, "a+c", 3, 0, &mt);
  CHECK(rc == 0);
  /* 199 nested '?' choices fit, 201 do not */
  {
    char p[1000];
    size_t k = 0;
    for (i = 0; i < 199; i++) { p[k++] = 'a'; p[k++] = '?'; }
    rc = mb_pfind(s, n, p, k, 0, &mt);
    CHECK(rc == 1 && mt.end == 199);
    p[k++] = 'a'; p[k++] = '?';
    p[k++] = 'a'; p[k++] = '?';
    rc = mb_pfind(s, n, p, k, 0, &mt);
    CHECK(rc == MB_E_PATTERN && strcmp(mt.err, "pattern too complex") == 0);
  }
  free(s);
}

/* A pattern built from pieces: r1 repeated n1 times, r2 n2 times, ... */
static char *build(size_t *len, const char *r1, int n1, const char *r2,
                   int n2, const char *r3, int n3) {
  size_t l1 = strlen(r1), l2 = strlen(r2), l3 = strlen(r3), k = 0;
  char *p = malloc(l1 * (size_t)n1 + l2 * (size_t)n2 + l3 * (size_t)n3 + 1);
  int i;
  for (i = 0; i < n1; i++, k += l1) memcpy(p + k, r1, l1);
  for (i = 0; i < n2; i++, k += l2) memcpy(p + k, r2, l2);
  for (i = 0; i < n3; i++, k += l3) memcpy(p + k, r3, l3);
  *len = k;
  return p;
}

/* Near the limit of 200 nested calls, in each mode: what counts (each
** capture item, each repetition that took a byte, each '-' whose byte is
** there) and what does not (an item that took nothing). */
static void depthlimit(void) {
  static const struct {
    const char *r1; int n1; const char *r2; int n2; const char *r3; int n3;
    char subject; int slen;   /* slen bytes of subject, or a string */
    const char *str;
    int rc; size_t end;
  } T[] = {
    {"a?", 199, "", 0, "", 0, 'a', 300, NULL, 1, 199},
    {"a?", 200, "", 0, "", 0, 'a', 300, NULL, MB_E_PATTERN, 0},
    {"b?", 300, "", 0, "", 0, 'a', 300, NULL, 1, 0},
    {"a-", 199, "", 0, "", 0, 'a', 1, NULL, 1, 0},
    {"a-", 200, "", 0, "", 0, 'a', 1, NULL, MB_E_PATTERN, 0},
    {"a-", 300, "", 0, "", 0, 'b', 1, NULL, 1, 0},
    {"a*", 300, "", 0, "", 0, 'a', 300, NULL, 1, 300},
    {"a*", 300, "b", 1, "", 0, 'a', 400, NULL, MB_E_PATTERN, 0},
    {"(", 32, "a?", 135, ")", 32, 'a', 300, NULL, 1, 135},
    {"(", 32, "a?", 136, ")", 32, 'a', 300, NULL, MB_E_PATTERN, 0},
    {"()", 32, "a?", 167, "", 0, 'a', 300, NULL, 1, 167},
    {"()", 32, "a?", 168, "", 0, 'a', 300, NULL, MB_E_PATTERN, 0},
    {"x", 1, "a-", 300, "", 0, 0, 0, "aaa", 0, 0},
    {"x", 1, "a-", 300, "", 0, 0, 0, "aaxa", MB_E_PATTERN, 0},
  };
  size_t i;
  for (i = 0; i < sizeof T / sizeof T[0]; i++) {
    size_t lp, ls = T[i].str ? strlen(T[i].str) : (size_t)T[i].slen;
    char *p = build(&lp, T[i].r1, T[i].n1, T[i].r2, T[i].n2, T[i].r3, T[i].n3);
    unsigned char *s = malloc(ls + 1);
    mb_pattern *pp;
    mb_match mt;
    int rc;
    if (T[i].str) memcpy(s, T[i].str, ls);
    else memset(s, T[i].subject, ls);
    rc = mb_pfind(s, ls, p, lp, 0, &mt);
    CHECK(rc == T[i].rc);
    if (rc != T[i].rc) fprintf(stderr, "  depth case %zu: rc %d\n", i, rc);
    if (rc == 1) CHECK(mt.start == 0 && mt.end == T[i].end);
    if (rc == MB_E_PATTERN)
      CHECK(strcmp(mt.err, "pattern too complex") == 0);
    /* the same program, compiled once, in all three modes */
    CHECK_RC(mb_pcompile(&pp, p, lp), 0);
    CHECK(mb_pexec(pp, s, ls, 0, MB_PEXEC_FIND, &mt) == T[i].rc);
    CHECK(mb_pexec(pp, s, ls, 0, MB_PEXEC_NEXT, &mt) == T[i].rc);
    if (T[i].str == NULL)   /* the attempt at 0 decides */
      CHECK(mb_pexec(pp, s, ls, 0, MB_PEXEC_AT, &mt) == T[i].rc);
    mb_pfree(pp);
    free(p);
    free(s);
  }
}

/* 32 captures are the most; a 33rd is an error when reached. */
static void captures(void) {
  size_t lp, i;
  char *p = build(&lp, "(a)", 32, "", 0, "", 0);
  char *q = build(&lp, "x", 1, "(a)", 33, "", 0);
  unsigned char s[64];
  mb_match mt;
  int ok = 1;
  memset(s, 'a', sizeof s);
  CHECK(mb_pfind(s, 40, p, 96, 0, &mt) == 1 && mt.level == 32 && mt.end == 32);
  for (i = 0; i < 32; i++)
    ok &= mt.capture[i].init == i && mt.capture[i].len == 1;
  CHECK(ok);
  CHECK(mb_pfind(s, 40, q, lp, 0, &mt) == 0);   /* no 'x': not reached */
  s[37] = 'x';   /* only two bytes after it: the 33rd is not reached */
  CHECK(mb_pfind(s, 40, q, lp, 0, &mt) == 0);
  s[37] = 'a';
  s[0] = 'x';
  CHECK(mb_pfind(s, 40, q, lp, 0, &mt) == MB_E_PATTERN &&
        strcmp(mt.err, "too many captures") == 0);
  free(p);
  free(q);
}

/* Every error where matching reaches it, and no error where it does not
** (the 'a' before it never matches), in each mode. */
static void lazyerrors(void) {
  static const struct { const char *p, *msg; } E[] = {
    {"a%", "malformed pattern (ends with '%')"},
    {"a[b", "malformed pattern (missing ']')"},
    {"a[^", "malformed pattern (missing ']')"},
    {"a%f", "missing '[' after '%f' in pattern"},
    {"a%fb", "missing '[' after '%f' in pattern"},
    {"a%f[b", "malformed pattern (missing ']')"},
    {"a%b", "malformed pattern (missing arguments to '%b')"},
    {"a%bx", "malformed pattern (missing arguments to '%b')"},
    {"a(%1)", "invalid capture index %1"},
    {"a%2", "invalid capture index %2"},
    {"a%0", "invalid capture index %0"},
    {"a)", "invalid pattern capture"},
    {"a()%9", "invalid capture index %9"},
  };
  const unsigned char *no = (const unsigned char *)"bbb";
  const unsigned char *yes = (const unsigned char *)"bab";
  size_t i;
  for (i = 0; i < sizeof E / sizeof E[0]; i++) {
    mb_pattern *pp;
    mb_match mt;
    size_t lp = strlen(E[i].p);
    CHECK_RC(mb_pcompile(&pp, E[i].p, lp), 0);   /* compiling never fails */
    CHECK(mb_pexec(pp, no, 3, 0, MB_PEXEC_FIND, &mt) == 0);
    CHECK(mb_pexec(pp, no, 3, 0, MB_PEXEC_NEXT, &mt) == 0);
    CHECK(mb_pexec(pp, yes, 3, 0, MB_PEXEC_AT, &mt) == 0);
    CHECK(mb_pexec(pp, yes, 3, 2, MB_PEXEC_FIND, &mt) == 0);
    CHECK(mb_pexec(pp, yes, 3, 0, MB_PEXEC_FIND, &mt) == MB_E_PATTERN &&
          strcmp(mt.err, E[i].msg) == 0);
    CHECK(mb_pexec(pp, yes, 3, 1, MB_PEXEC_AT, &mt) == MB_E_PATTERN &&
          strcmp(mt.err, E[i].msg) == 0);
    CHECK(mb_pexec(pp, yes, 3, 0, MB_PEXEC_NEXT, &mt) == MB_E_PATTERN);
    if (strcmp(E[i].p, "a)") != 0)   /* find takes "a)" as plain text */
      CHECK(mb_pfind(yes, 3, E[i].p, lp, 0, &mt) == MB_E_PATTERN &&
            strcmp(mt.err, E[i].msg) == 0);
    mb_pfree(pp);
  }
}

/* Zeros and high bytes, in subject and pattern alike. */
static void bytes(void) {
  static const struct { const char *s; size_t ls; const char *p; size_t lp;
                        int rc; size_t start, end; } B[] = {
#define S(x) x, sizeof(x) - 1
    {S("a\0\0b\377\200"), S("\0+"), 1, 1, 3},
    {S("a\0\0b\377\200"), S("[\0-\20]+()"), 1, 1, 3},
    {S("a\0\0b\377\200"), S("\377\200$"), 1, 4, 6},
    {S("ab\0"), S("%f[%z]"), 1, 2, 2},
    {S("ab"), S("%f[%z]"), 1, 2, 2},
    {S("ab"), S("%f[\0]"), 1, 2, 2},
    {S("x\0ab\377y"), S("%b\0\377"), 1, 1, 5},
    {S("\200\201\202abc"), S("[\200-\201]+"), 1, 0, 2},
    {S("\200\201\202abc"), S("[^\200-\201]+"), 1, 2, 6},
    {S("a\0b"), S("a\0b"), 1, 0, 3},
    {S("a\0c"), S("a%zc"), 1, 0, 3},
    {S("a\0c"), S(".%Z"), 1, 1, 3},
    {S("\377\377\377"), S("\377-$"), 1, 0, 3},
#undef S
  };
  size_t i;
  for (i = 0; i < sizeof B / sizeof B[0]; i++) {
    unsigned char *s = malloc(B[i].ls);
    mb_match mt;
    int rc;
    memcpy(s, B[i].s, B[i].ls);
    rc = mb_pfind(s, B[i].ls, B[i].p, B[i].lp, 0, &mt);
    CHECK(rc == B[i].rc);
    if (rc == 1) CHECK(mt.start == B[i].start && mt.end == B[i].end);
    if (rc != B[i].rc || (rc == 1 && mt.end != B[i].end))
      fprintf(stderr, "  bytes case %zu: rc %d\n", i, rc);
    free(s);
  }
}

/* Is c in class letter l ("%l") by <ctype.h> in the C locale (the test
** never calls setlocale)?  Upper case: the complement. */
static int classmember(char l, int c) {
  int r;
  switch (l | 0x20) {
    case 'a': r = isalpha(c); break;
    case 'c': r = iscntrl(c); break;
    case 'd': r = isdigit(c); break;
    case 'g': r = isgraph(c); break;
    case 'l': r = islower(c); break;
    case 'p': r = ispunct(c); break;
    case 's': r = isspace(c); break;
    case 'u': r = isupper(c); break;
    case 'w': r = isalnum(c); break;
    default: r = isxdigit(c); break;
  }
  return (r != 0) != (l >= 'A' && l <= 'Z');
}

/* Every class against <ctype.h> in the C locale, as an item, in a set and
** in a complemented set. */
static void classes(void) {
  static const char L[] = "acdglpsuwx";
  int (*const F[])(int) = {isalpha, iscntrl, isdigit, isgraph, islower,
                           ispunct, isspace, isupper, isalnum, isxdigit};
  size_t k;
  int bad = 0;
  for (k = 0; k < sizeof F / sizeof F[0]; k++) {
    char p[4][8];
    mb_pattern *pp[4];
    int c, j;
    snprintf(p[0], 8, "%%%c", L[k]);
    snprintf(p[1], 8, "%%%c", L[k] - 32);
    snprintf(p[2], 8, "[%%%c]", L[k]);
    snprintf(p[3], 8, "[^%%%c]", L[k]);
    for (j = 0; j < 4; j++) CHECK_RC(mb_pcompile(&pp[j], p[j], strlen(p[j])), 0);
    for (c = 0; c < 256; c++) {
      unsigned char b = (unsigned char)c;
      mb_match mt;
      int want = F[k](c) != 0;
      bad += mb_pexec(pp[0], &b, 1, 0, MB_PEXEC_AT, &mt) != want;
      bad += mb_pexec(pp[1], &b, 1, 0, MB_PEXEC_AT, &mt) != !want;
      bad += mb_pexec(pp[2], &b, 1, 0, MB_PEXEC_AT, &mt) != want;
      bad += mb_pexec(pp[3], &b, 1, 0, MB_PEXEC_AT, &mt) != !want;
    }
    for (j = 0; j < 4; j++) mb_pfree(pp[j]);
  }
  CHECK(bad == 0);
}

/* The scans over sets (16 bytes at a time where a set is a few ranges,
** byte by byte otherwise) against naive loops over <ctype.h>: a run
** ("^%x*"), the first member ("%x"), a frontier ("%f[%x]"), a lazy
** repetition up to a byte ("^%x-Z"), on subjects of every length up to
** 70 over a small alphabet, so that runs end everywhere in a block. */
static void setscans(void) {
  static const char L[] = "acdglpsuwxACDGLPSUWX";
  static const unsigned char A[] = "aZ9 _.\n\t\377xQ0";
  unsigned seed = 12345;
  size_t k;
  int bad = 0;
  for (k = 0; k < sizeof L - 1; k++) {
    char p[4][16];
    mb_pattern *pp[4];
    int j, round;
    snprintf(p[0], 16, "^%%%c*", L[k]);
    snprintf(p[1], 16, "%%%c", L[k]);
    snprintf(p[2], 16, "%%f[%%%c]", L[k]);
    snprintf(p[3], 16, "^%%%c-Z", L[k]);
    for (j = 0; j < 4; j++) CHECK_RC(mb_pcompile(&pp[j], p[j], strlen(p[j])), 0);
    for (round = 0; round < 300; round++) {
      unsigned char s[80];
      size_t n = (size_t)round % 71, i, want;
      mb_match mt;
      int in[80];
      for (i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        s[i] = A[(seed >> 16) % (sizeof A - 1)];
        in[i] = classmember(L[k], s[i]);
      }
      for (want = 0; want < n && in[want]; want++) {}
      bad += mb_pexec(pp[0], s, n, 0, MB_PEXEC_FIND, &mt) != 1 || mt.end != want;
      for (want = 0; want < n && !in[want]; want++) {}
      bad += want < n ? mb_pexec(pp[1], s, n, 0, MB_PEXEC_FIND, &mt) != 1 ||
                        mt.start != want
                      : mb_pexec(pp[1], s, n, 0, MB_PEXEC_FIND, &mt) != 0;
      for (want = 0; want < n && !(in[want] && (want == 0 ? !classmember(L[k], 0)
                                                 : !in[want - 1])); want++) {}
      if (want == n && (!classmember(L[k], 0) || (n > 0 && in[n - 1])))
        want = MB_NPOS;   /* not even at the end (a zero there) */
      if (n == 0 && classmember(L[k], 0)) want = MB_NPOS;
      bad += want == MB_NPOS ? mb_pexec(pp[2], s, n, 0, MB_PEXEC_FIND, &mt) != 0
                             : mb_pexec(pp[2], s, n, 0, MB_PEXEC_FIND, &mt) != 1 ||
                               mt.start != want;
      for (want = 0; want < n && s[want] != 'Z' && in[want]; want++) {}
      bad += want < n && s[want] == 'Z'
               ? mb_pexec(pp[3], s, n, 0, MB_PEXEC_FIND, &mt) != 1 ||
                 mt.end != want + 1
               : mb_pexec(pp[3], s, n, 0, MB_PEXEC_FIND, &mt) != 0;
    }
    for (j = 0; j < 4; j++) mb_pfree(pp[j]);
  }
  CHECK(bad == 0);
}

/* One compiled program at every start of a subject: each answer of the
** search must be the first position from there where a single attempt
** succeeds, and agree with a fresh mb_pfind. */
static void reuse(void) {
  static const char *const P[] = {
    "(%d+)-(%a+)", "%f[%a]%a+", "k%w*=(%w*)", "(%w+)=(%w+)", "[%[%]]+",
    "\n([^\n]-)ERROR", "%bxy", "()a*()", ".-b", "(a)%1", "$", "%s*$",
  };
  const char *text = "12-ab k=v x xaby 7-x\nfoo ERROR [z]] kk=vv\n ab\nbERRO aa ";
  size_t ls = strlen(text), k, i, j;
  unsigned char *s = malloc(ls);
  int bad = 0;
  memcpy(s, text, ls);
  for (k = 0; k < sizeof P / sizeof P[0]; k++) {
    mb_pattern *pp;
    CHECK_RC(mb_pcompile(&pp, P[k], strlen(P[k])), 0);
    for (i = 0; i <= ls + 1; i++) {
      mb_match a, b, c;
      int ra = mb_pexec(pp, s, ls, i, MB_PEXEC_FIND, &a), rb = 0;
      int rc = mb_pfind(s, ls, P[k], strlen(P[k]), i, &c);
      for (j = i; j <= ls && rb == 0; j++)
        rb = mb_pexec(pp, s, ls, j, MB_PEXEC_AT, &b);
      bad += ra != rb || ra != rc;
      if (ra == 1 && rb == 1)
        bad += a.start != b.start || a.end != b.end || a.level != b.level ||
               memcmp(a.capture, b.capture,
                      sizeof(mb_capture) * (size_t)a.level) != 0 ||
               a.start != c.start || a.end != c.end;
    }
    mb_pfree(pp);
  }
  CHECK(bad == 0);
  free(s);
}

/* gmatch's loop over a compiled pattern: an empty match where the last
** one ended is skipped ("%a*" over "ab  cd" is "ab", "", "cd"). */
static void gmatchloop(void) {
  const unsigned char *s = (const unsigned char *)"ab  cd";
  const size_t want[][2] = {{0, 2}, {3, 3}, {4, 6}};
  mb_pattern *pp;
  mb_match mt;
  size_t src = 0, last = 0, n = 0;
  int haslast = 0, ok = 1;
  CHECK_RC(mb_pcompile(&pp, "%a*", 3), 0);
  while (src <= 6 && mb_pexec(pp, s, 6, src, MB_PEXEC_NEXT, &mt) == 1) {
    if (haslast && mt.end == last) { src = mt.start + 1; continue; }
    ok &= n < 3 && mt.start == want[n][0] && mt.end == want[n][1];
    n++;
    src = last = mt.end;
    haslast = 1;
  }
  CHECK(ok && n == 3);
  mb_pfree(pp);
  /* '^' is a byte for gmatch, an anchor for find */
  CHECK_RC(mb_pcompile(&pp, "^b", 2), 0);
  CHECK(mb_pflags(pp) & MB_PANCHOR);
  CHECK(mb_pexec(pp, (const unsigned char *)"a^b", 3, 0, MB_PEXEC_NEXT, &mt)
        == 1 && mt.start == 1);
  CHECK(mb_pexec(pp, (const unsigned char *)"a^b", 3, 0, MB_PEXEC_FIND, &mt)
        == 0);
  CHECK(mb_pexec(pp, (const unsigned char *)"ba", 2, 0, MB_PEXEC_FIND, &mt)
        == 1 && mt.end == 1);
  mb_pfree(pp);
  /* %f looks at the byte before init */
  CHECK(mb_pfind((const unsigned char *)"ab", 2, "%f[%a]%a", 8, 1, &mt) == 0);
}

static void flags(void) {
  mb_pattern *pp;
  CHECK_RC(mb_pcompile(&pp, "a)b c", 5), 0);
  CHECK(mb_pflags(pp) == MB_PPLAIN && mb_psize(pp) > 0);
  mb_pfree(pp);
  CHECK_RC(mb_pcompile(&pp, "a.b", 3), 0);
  CHECK(mb_pflags(pp) == 0);
  mb_pfree(pp);
  CHECK_RC(mb_pcompile(&pp, "", 0), 0);
  CHECK(mb_pflags(pp) == MB_PPLAIN);
  mb_pfree(pp);
  mb_pfree(NULL);
}

/* A pattern too long for mb_pfind's per-thread block is compiled on the
** heap for the call; it must agree with mb_pcompile's. */
static void longpattern(void) {
  size_t lp, ls = 3000;
  char *p = build(&lp, "%a?", 1000, "(%d+)", 1, "[x]*", 1000);
  unsigned char *s = malloc(ls);
  mb_pattern *pp;
  mb_match a, b;
  memset(s, '7', ls);
  memcpy(s + 100, "abc", 3);
  CHECK_RC(mb_pcompile(&pp, p, lp), 0);
  CHECK(mb_pfind(s, ls, p, lp, 0, &a) == 1 && a.start == 0 && a.end == 100 &&
        a.level == 1 && a.capture[0].len == 100);
  CHECK(mb_pexec(pp, s, ls, 0, MB_PEXEC_FIND, &b) == 1 && b.end == a.end);
  CHECK(mb_pfind(s, ls, p, lp, 101, &a) == 1 && a.start == 101 &&
        a.end == ls && a.capture[0].init == 103);
  mb_pfree(pp);
  free(p);
  free(s);
}

/* Subjects that end right before a page that cannot be read: a byte read
** past the end is a crash, not a silent zero. */
static void pageend(void) {
  static const char *const P[] = {
    "%a*$", ".-$", "%f[%z]", "%b()", "(a)%1", "abc", "a+c", "[ab]-$",
    "%f[%a]%a+", "(.-)c", "x?$", ".*y", "ab(c?)", "%s", "()",
  };
  size_t pg, ls = 40, k, i;
  unsigned char *m = guardpage_new(&pg), *s;
  int bad = 0;
  CHECK(m != NULL);
  if (m == NULL) return;
  s = m + pg - ls;
  memset(s, 'a', ls);
  s[ls - 2] = '(';
  s[ls - 1] = 'a';
  for (k = 0; k < sizeof P / sizeof P[0]; k++) {
    mb_pattern *pp;
    CHECK_RC(mb_pcompile(&pp, P[k], strlen(P[k])), 0);
    for (i = 0; i <= ls; i++) {
      mb_match mt;
      bad += mb_pexec(pp, s, ls, i, MB_PEXEC_FIND, &mt) < 0;
      bad += mb_pexec(pp, s, ls, i, MB_PEXEC_AT, &mt) < 0;
      bad += mb_pexec(pp, s, ls, i, MB_PEXEC_NEXT, &mt) < 0;
      bad += mb_pfind(s, ls, P[k], strlen(P[k]), i, &mt) < 0;
    }
    mb_pfree(pp);
  }
  CHECK(bad == 0);
  guardpage_free(m, pg);
}

/* One compiled program used by two threads at once. */
typedef struct Shared { const mb_pattern *pp; const unsigned char *s;
                        size_t ls; long found; } Shared;

static void *worker(void *arg) {
  Shared *sh = arg;
  size_t src = 0;
  mb_match mt;
  int round;
  for (round = 0; round < 20; round++)
    for (src = 0; src <= sh->ls &&
         mb_pexec(sh->pp, sh->s, sh->ls, src, MB_PEXEC_NEXT, &mt) == 1;
         src = mt.end > mt.start ? mt.end : mt.start + 1)
      sh->found++;
  return NULL;
}

static void threads(void) {
  size_t ls = 1 << 16, i;
  unsigned char *s = malloc(ls);
  mb_pattern *pp;
  Shared a, b;
  pthread_t t;
  for (i = 0; i < ls; i++) s[i] = (unsigned char)"ab1 (x=y)\n"[i % 10];
  CHECK_RC(mb_pcompile(&pp, "(%w+)=(%w+)", 11), 0);
  a.pp = b.pp = pp;
  a.s = b.s = s;
  a.ls = b.ls = ls;
  a.found = b.found = 0;
  CHECK(pthread_create(&t, NULL, worker, &a) == 0);
  worker(&b);
  pthread_join(t, NULL);
  CHECK(a.found == b.found && a.found == 20 * (long)(ls / 10));
  mb_pfree(pp);
  free(s);
}

int main(void) {
  size_t i;
  for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++) runcase(&CASES[i]);
  matchat();
  longsubjects();
  depthlimit();
  captures();
  lazyerrors();
  bytes();
  classes();
  setscans();
  reuse();
  gmatchloop();
  flags();
  longpattern();
  pageend();
  threads();
  return check_done();
}
