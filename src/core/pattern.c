/*
** pattern.c - Lua 5.4 patterns over a byte range (const unsigned char *,
** size_t), for searching mapped memory without copying it into a string.
**
** The language, the results and the error messages are those of Lua
** 5.4's string.find / string.match / string.gmatch: a backtracking matcher
** that walks the pattern item by item, recursing only where it must
** (captures, '?', '*', '+', '-'), with the same recursion budget as Lua
** (200 nested calls, then "pattern too complex").  Errors are found lazily,
** exactly when the matcher reaches the malformed part, so a pattern that
** is malformed only after a part that never matches is not an error here
** either.  Errors leave the matcher through longjmp to the entry point,
** which turns them into MB_E_PATTERN and a message in mt->err.
**
** What is added for speed, without changing any result: a pattern that
** has no special characters is a plain memory search (string.find's own
** rule); an unanchored pattern that must begin with known literal bytes
** jumps between their occurrences with the plain search, and one whose
** first item must consume one byte of a known class or set skips with a
** table scan every start position where that byte cannot match.  Those
** skipped attempts would fail at once, before anything that could raise.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mapbuf.h"

#define MAXDEPTH 200     /* nested matcher calls, as Lua's MAXCCALLS */
#define ESC '%'

typedef const unsigned char *sptr;

typedef struct MState {
  sptr src, send;        /* subject */
  sptr pend;             /* end of the pattern */
  int depth;             /* calls left before "pattern too complex" */
  int level;             /* captures open or closed so far */
  struct { sptr init; ptrdiff_t len; } cap[MB_MAXCAPTURES];
  char *err;             /* where to write the message */
  jmp_buf jb;
} MState;

_Noreturn static void pattern_error(MState *ms, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ms->err, sizeof(((mb_match *)0)->err), fmt, ap);
  va_end(ap);
  longjmp(ms->jb, 1);
}

/* The pattern byte at q, or 0 at the end, where Lua reads the string's
** terminating zero (a zero byte inside the pattern looks the same, which
** is harmless: 0 is never one of the bytes these peeks look for). */
#define PAT(ms, q) ((q) < (ms)->pend ? *(q) : 0)


/* ---------------- single characters ---------------- */

/* The classes of the C locale, without <ctype.h>'s locale lookups. */
static int isclass(int c, int lc) {
  unsigned u = (unsigned)c;
  switch (lc) {
    case 'a': return (u | 0x20) - 'a' < 26;
    case 'c': return u < 32 || u == 127;
    case 'd': return u - '0' < 10;
    case 'g': return u - 33 < 94;
    case 'l': return u - 'a' < 26;
    case 'p': return u - 33 < 94 && !(u - '0' < 10 || (u | 0x20) - 'a' < 26);
    case 's': return u == ' ' || u - 9 < 5;
    case 'u': return u - 'A' < 26;
    case 'w': return u - '0' < 10 || (u | 0x20) - 'a' < 26;
    case 'x': return u - '0' < 10 || (u | 0x20) - 'a' < 6;
    case 'z': return u == 0;   /* deprecated, still in Lua 5.4 */
    default: return -1;
  }
}

/* Does byte c match the class letter cl (the byte after '%')?  An upper
** case letter is the complement; any other byte stands for itself. */
static int matchclass(int c, int cl) {
  int upper = (unsigned)cl - 'A' < 26;
  int r = isclass(c, upper ? cl + 32 : cl);
  if (r < 0) return cl == c;
  return upper ? !r : r;
}

/* A set: p at '[', ec at its closing ']'. */
static int matchset(int c, sptr p, sptr ec) {
  int yes = 1;
  if (p[1] == '^') { yes = 0; p++; }
  while (++p < ec) {
    if (*p == ESC) {
      p++;
      if (matchclass(c, *p)) return yes;
    }
    else if (p[1] == '-' && p + 2 < ec) {
      if (p[0] <= c && c <= p[2]) return yes;
      p += 2;
    }
    else if (*p == c) return yes;
  }
  return !yes;
}

/* One past the single-character class that starts at p. */
static sptr classend(MState *ms, sptr p) {
  int c = *p++;
  if (c == ESC) {
    if (p >= ms->pend) pattern_error(ms, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (c == '[') {
    if (PAT(ms, p) == '^') p++;
    do {   /* the first byte is part of the set even if it is ']' */
      if (p >= ms->pend) pattern_error(ms, "malformed pattern (missing ']')");
      if (*p++ == ESC && p < ms->pend) p++;
    } while (PAT(ms, p) != ']');
    return p + 1;
  }
  return p;
}

/* Does the byte at s match the class p .. ep-1? */
static inline int single(MState *ms, sptr s, sptr p, sptr ep) {
  if (s >= ms->send) return 0;
  switch (*p) {
    case '.': return 1;
    case ESC: return matchclass(*s, p[1]);
    case '[': return matchset(*s, p, ep - 1);
    default: return *p == *s;
  }
}


/* ---------------- the matcher ---------------- */

static sptr domatch(MState *ms, sptr s, sptr p);

/* Longest run first, then give back one byte at a time. */
static sptr greedy(MState *ms, sptr s, sptr p, sptr ep) {
  size_t n = 0;
  while (single(ms, s + n, p, ep)) n++;
  for (;;) {
    sptr r = domatch(ms, s + n, ep + 1);
    if (r) return r;
    if (n-- == 0) return NULL;
  }
}

/* Shortest run first, then take one more byte at a time. */
static sptr lazy(MState *ms, sptr s, sptr p, sptr ep) {
  for (;;) {
    sptr r = domatch(ms, s, ep + 1);
    if (r) return r;
    if (!single(ms, s, p, ep)) return NULL;
    s++;
  }
}

static sptr opencap(MState *ms, sptr s, sptr p, ptrdiff_t what) {
  sptr r;
  if (ms->level >= MB_MAXCAPTURES) pattern_error(ms, "too many captures");
  ms->cap[ms->level].init = s;
  ms->cap[ms->level].len = what;
  ms->level++;
  if ((r = domatch(ms, s, p)) == NULL) ms->level--;
  return r;
}

static sptr closecap(MState *ms, sptr s, sptr p) {
  int l = ms->level;
  sptr r;
  while (--l >= 0 && ms->cap[l].len != MB_CAP_UNFINISHED) {}
  if (l < 0) pattern_error(ms, "invalid pattern capture");
  ms->cap[l].len = s - ms->cap[l].init;
  if ((r = domatch(ms, s, p)) == NULL) ms->cap[l].len = MB_CAP_UNFINISHED;
  return r;
}

/* %b xy: p at x. */
static sptr balance(MState *ms, sptr s, sptr p) {
  int open, close, depth = 1;
  if (ms->pend - p < 2)
    pattern_error(ms, "malformed pattern (missing arguments to '%%b')");
  if (s >= ms->send || *s != p[0]) return NULL;
  open = p[0]; close = p[1];
  while (++s < ms->send) {
    if (*s == close) { if (--depth == 0) return s + 1; }
    else if (*s == open) depth++;
  }
  return NULL;
}

/* %1 .. %9: the text of a closed capture again. */
static sptr backref(MState *ms, sptr s, int d) {
  int l = d - '1';
  size_t len;
  if (l < 0 || l >= ms->level || ms->cap[l].len == MB_CAP_UNFINISHED)
    pattern_error(ms, "invalid capture index %%%d", l + 1);
  len = (size_t)ms->cap[l].len;   /* a position capture: huge, fails */
  if ((size_t)(ms->send - s) >= len && memcmp(ms->cap[l].init, s, len) == 0)
    return s + len;
  return NULL;
}

/*
** Match pattern p at s; the end of the match, or NULL.  Each item that
** leads to exactly one continuation loops back to 'again' instead of
** recursing, so only real choice points use the C stack.
*/
static sptr domatch(MState *ms, sptr s, sptr p) {
  if (ms->depth-- == 0) pattern_error(ms, "pattern too complex");
again:
  if (p == ms->pend) goto done;
  switch (*p) {
    case '(':
      if (PAT(ms, p + 1) == ')') s = opencap(ms, s, p + 2, MB_CAP_POSITION);
      else s = opencap(ms, s, p + 1, MB_CAP_UNFINISHED);
      goto done;
    case ')':
      s = closecap(ms, s, p + 1);
      goto done;
    case '$':
      if (p + 1 != ms->pend) break;   /* an ordinary byte */
      if (s != ms->send) s = NULL;
      goto done;
    case ESC:
      switch (PAT(ms, p + 1)) {
        case 'b':
          if ((s = balance(ms, s, p + 2)) == NULL) goto done;
          p += 4; goto again;
        case 'f': {
          sptr ep;
          int prev, cur;
          p += 2;
          if (PAT(ms, p) != '[')
            pattern_error(ms, "missing '[' after '%%f' in pattern");
          ep = classend(ms, p);
          prev = (s == ms->src) ? 0 : s[-1];
          cur = (s < ms->send) ? *s : 0;
          if (!matchset(prev, p, ep - 1) && matchset(cur, p, ep - 1)) {
            p = ep; goto again;
          }
          s = NULL; goto done;
        }
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
          if ((s = backref(ms, s, p[1])) == NULL) goto done;
          p += 2; goto again;
        default: break;
      }
      break;
    default: break;
  }
  {   /* a single-byte class with an optional quantifier */
    sptr ep = classend(ms, p);
    int q = PAT(ms, ep);
    if (!single(ms, s, p, ep)) {
      if (q == '*' || q == '?' || q == '-') { p = ep + 1; goto again; }
      s = NULL;
    }
    else switch (q) {
      case '?': {
        sptr r = domatch(ms, s + 1, ep + 1);
        if (r) s = r;
        else { p = ep + 1; goto again; }
        break;
      }
      case '+': s = greedy(ms, s + 1, p, ep); break;
      case '*': s = greedy(ms, s, p, ep); break;
      case '-': s = lazy(ms, s, p, ep); break;
      default: s++; p = ep; goto again;
    }
  }
done:
  ms->depth++;
  return s;
}


/* ---------------- entry points ---------------- */

static void setup(MState *ms, const unsigned char *s, size_t ls,
                  const char *p, size_t lp, mb_match *mt) {
  ms->src = s;
  ms->send = s + ls;
  ms->pend = (sptr)p + lp;
  ms->err = mt->err;
  mt->err[0] = '\0';
  mt->level = 0;
}

static void result(MState *ms, sptr start, sptr end, mb_match *mt) {
  int i;
  mt->start = (size_t)(start - ms->src);
  mt->end = (size_t)(end - ms->src);
  mt->level = ms->level;
  for (i = 0; i < ms->level; i++) {
    mt->capture[i].init = (size_t)(ms->cap[i].init - ms->src);
    mt->capture[i].len = ms->cap[i].len;
  }
}

/* One attempt at s, as a fresh match (Lua's reprepstate). */
static inline sptr attempt(MState *ms, sptr s, sptr p) {
  ms->level = 0;
  ms->depth = MAXDEPTH;
  return domatch(ms, s, p);
}

/* string.find's rule: a pattern with none of these bytes is plain text
** (')' among them too, although the matcher would take it for the end of
** a capture: see mb_pfind's comment in mapbuf.h). */
static int isplain(const char *p, size_t lp) {
  size_t i;
  for (i = 0; i < lp; i++)
    switch (p[i]) {
      case '^': case '$': case '*': case '+': case '?': case '.':
      case '(': case '[': case '%': case '-':
        return 0;
      default: break;
    }
  return 1;
}

/* What mb_pfind scans with, fixed before the scan starts (but for the
** table, which is filled on first need). */
enum { SKIP_NONE, SKIP_TEXT, SKIP_ITEM };
#define MAXPREFIX 32
typedef struct Scan {
  sptr init, p;          /* first start position; pattern without '^' */
  int anchor;
  int kind;              /* the filter: none, literal text, or an item */
  size_t nlit;           /* the text: lit[0 .. nlit-1] */
  unsigned char lit[MAXPREFIX];
  sptr ip, iep;          /* the item: ip .. iep-1 */
  int built;             /* set[] filled? */
  unsigned char set[256];
} Scan;

/* If the item at p is one literal byte, that byte (and *ep its end);
** else -1.  Only items that can neither fail to parse nor raise. */
static int litbyte(sptr p, sptr pend, sptr *ep) {
  if (p >= pend) return -1;
  switch (*p) {
    case '(': case ')': case '.': case '[': return -1;
    case '$': if (p + 1 == pend) return -1; break;
    case ESC: {
      unsigned c;
      if (p + 1 >= pend) return -1;
      c = p[1];
      if (c - '0' < 10 || (c | 0x20) - 'a' < 26) return -1;   /* alnum */
      *ep = p + 2;
      return (int)c;
    }
    default: break;
  }
  *ep = p + 1;
  return *p;
}

/*
** The skip filter: if every match must begin with a known text (the
** pattern's leading literal bytes, each without a quantifier that allows
** zero), or with one byte that the first item (ip .. iep-1) accepts,
** record it.  Leading captures are looked through (they consume nothing
** and cannot fail before the item behind them).  Start positions that the
** filter rejects would fail inside those literal bytes or that item, where
** nothing can raise; anything unusual, including a malformed first item,
** gets no filter, so the matcher meets it as usual.
*/
static void skipfilter(Scan *sc, sptr pend) {
  sptr p = sc->p, ep;
  int caps = 0, q, c;
  sc->kind = SKIP_NONE;
  sc->built = 0;
  sc->nlit = 0;
  while (p < pend && *p == '(') {
    if (++caps > MB_MAXCAPTURES) return;
    p += (p + 1 < pend && p[1] == ')') ? 2 : 1;
  }
  while (sc->nlit < MAXPREFIX && (c = litbyte(p, pend, &ep)) >= 0) {
    q = ep < pend ? *ep : 0;
    if (q == '*' || q == '?' || q == '-') break;
    sc->lit[sc->nlit++] = (unsigned char)c;
    if (q == '+') break;   /* one is needed; how many is open */
    p = ep;
  }
  if (sc->nlit > 0) { sc->kind = SKIP_TEXT; return; }
  if (p >= pend) return;
  switch (*p) {
    case ESC:
      if (p + 1 >= pend) return;
      if (p[1] == 'b' || p[1] == 'f' || (unsigned)p[1] - '0' < 10) return;
      ep = p + 2;
      break;
    case '[': {
      sptr e = p + 1;
      if (e < pend && *e == '^') e++;
      do {
        if (e >= pend) return;
        if (*e++ == ESC && e < pend) e++;
      } while (e >= pend || *e != ']');
      ep = e + 1;
      break;
    }
    default: return;   /* '.', ')', '$' at the end, an optional literal */
  }
  q = ep < pend ? *ep : 0;
  if (q == '*' || q == '?' || q == '-') return;
  sc->kind = SKIP_ITEM; sc->ip = p; sc->iep = ep;
}

static int itemmatch(int c, sptr p, sptr ep) {
  return *p == ESC ? matchclass(c, p[1]) : matchset(c, p, ep - 1);
}

/*
** The next start position at or after s that the filter lets through, or
** NULL when none is left.  A short scan tests the item directly; a long
** one first fills a table, whose cost only pays off over many bytes.
*/
static sptr skipto(Scan *sc, sptr s, sptr send) {
  sptr lim;
  if (sc->kind == SKIP_TEXT) {
    size_t at = mb_memfind(s, (size_t)(send - s), sc->lit, sc->nlit);
    return at == MB_NPOS ? NULL : s + at;
  }
  lim = (send - s > 48) ? s + 48 : send;
  for (; s < lim; s++)
    if (itemmatch(*s, sc->ip, sc->iep)) return s;
  if (s == send) return NULL;
  if (!sc->built) {
    int c;
    for (c = 0; c < 256; c++)
      sc->set[c] = (unsigned char)itemmatch(c, sc->ip, sc->iep);
    sc->built = 1;
  }
  while (s < send && !sc->set[*s]) s++;
  return s < send ? s : NULL;
}

static int scan(MState *ms, Scan *sc, mb_match *mt) {
  sptr s1 = sc->init, e;
  if (sc->anchor) {
    if ((e = attempt(ms, s1, sc->p)) == NULL) return 0;
    result(ms, s1, e, mt);
    return 1;
  }
  for (;;) {
    if (sc->kind != SKIP_NONE && (s1 = skipto(sc, s1, ms->send)) == NULL)
      return 0;
    if ((e = attempt(ms, s1, sc->p)) != NULL) {
      result(ms, s1, e, mt);
      return 1;
    }
    if (s1++ >= ms->send) return 0;
  }
}

/* The one place errors land: nothing here changes after setjmp. */
static int protectedscan(MState *ms, Scan *sc, mb_match *mt) {
  if (setjmp(ms->jb)) return MB_E_PATTERN;
  return scan(ms, sc, mt);
}

int mb_pfind(const unsigned char *s, size_t ls, const char *p, size_t lp,
             size_t init, mb_match *mt) {
  MState ms;
  Scan sc;
  setup(&ms, s, ls, p, lp, mt);
  if (init > ls) return 0;
  if (isplain(p, lp)) {
    size_t at = mb_memfind(s + init, ls - init, p, lp);
    if (at == MB_NPOS) return 0;
    mt->start = init + at; mt->end = init + at + lp;
    return 1;
  }
  sc.init = s + init;
  sc.p = (sptr)p;
  sc.anchor = (lp > 0 && *p == '^');
  if (sc.anchor) sc.p++;
  if (sc.anchor) sc.kind = SKIP_NONE;
  else skipfilter(&sc, ms.pend);
  return protectedscan(&ms, &sc, mt);
}

int mb_pmatchat(const unsigned char *s, size_t ls, const char *p, size_t lp,
                size_t at, mb_match *mt) {
  MState ms;
  Scan sc;
  setup(&ms, s, ls, p, lp, mt);
  if (at > ls) return 0;
  sc.init = s + at;
  sc.p = (sptr)p;
  sc.anchor = 1;   /* one attempt; the pattern's '^' stays a byte */
  sc.kind = SKIP_NONE;
  return protectedscan(&ms, &sc, mt);
}
