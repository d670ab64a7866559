/*
** pattern_exec.c - runs a compiled Lua pattern (pattern_prog.h) over
** bytes: one attempt at a start position, with an explicit stack of the
** choices still open; the search over start positions, skipping those the
** program's filters rule out; and the entry points mb_pexec, mb_pfind and
** mb_pmatchat.
**
** Lua's matcher counts its nested calls and stops at 200 with "pattern
** too complex".  Here the same count is kept in `depth`: one for the
** attempt, one more for each capture item passed, for each ? that took
** its byte and for each *, + or - whose byte is there where it starts
** (the places where Lua's matcher calls itself for the rest of the
** pattern).  A choice saves the count its alternatives run with, so
** backtracking restores it.  The alternatives are tried in Lua's order,
** so the first match, or the first error, is the one Lua finds.
*/
#include <stdlib.h>
#include <string.h>

#include "pattern_prog.h"
#include "pattern_sets.h"

/* An alternative not yet tried: the repetition at code[pc], and where
** the rest of the pattern was last tried after it. */
typedef struct Choice {
  sptr at;               /* * + -: the position the rest was tried at;
                            ?: where to go on without the byte */
  sptr lo;               /* * +: the shortest run's end */
  uint32_t pc;
  int depth;             /* Lua's nesting while the alternative runs */
} Choice;

typedef struct Cap {
  sptr init;
  ptrdiff_t len;         /* or MB_CAP_UNFINISHED, MB_CAP_POSITION */
} Cap;

/* The state of one mb_pexec call.  Every choice comes with a nested call
** in Lua's count, so PAT_MAXDEPTH choices always fit: no allocation. */
typedef struct Exec {
  const Prog *pg;
  sptr s0, e;            /* the subject */
  const Ins *err;        /* the OP_ERROR reached; NULL: too complex */
  sptr runend;           /* where the RF_FIRST run of the last attempt
                            ended; NULL: not known */
  Cap cap[MB_MAXCAPTURES];
  Choice stack[PAT_MAXDEPTH];
} Exec;

enum { A_ERROR = -1, A_FAIL = 0, A_MATCH = 1 };


/* ---------------- repetitions ---------------- */

/* Does the byte at q (before e) belong to the repeated item? */
static inline int takes(const Ins *in, const PSet *sets, sptr q, sptr e) {
  return q < e && ((in->flags & RF_ANY) || pset_has(&sets[in->x], *q));
}

/* The end of the run of the item's bytes from q. */
static inline sptr runend(const Ins *in, const Prog *pg, sptr q, sptr e) {
  if (in->flags & RF_ANY) return e;
  return pset_run(&pg->sets[in->x], &pg->vecs[in->x], q, e);
}

/* A * or + giving back: the longest run end below q, and not below lo,
** where the rest can begin; NULL when none is left.  The bytes below q
** all belong to the run. */
static sptr shorter(const Ins *in, const PSet *sets, sptr lo, sptr q) {
  if (in->flags & RF_NEXTBYTE) {
    unsigned b = in->b;
    while (q > lo)
      if (*--q == b) return q;
    return NULL;
  }
  if (in->flags & RF_NEXTSET) {
    const PSet *t = &sets[in->n];
    while (q > lo)
      if (pset_has(t, *--q)) return q;
    return NULL;
  }
  return q > lo ? q - 1 : NULL;
}

/* A - taking one more byte: the next position after q where the rest can
** begin, the bytes in between all taken by the item; NULL when none is
** left.  Lua tries the rest at a position before it asks whether the
** item takes that position's byte, and so does this. */
static sptr longer(const Ins *in, const Prog *pg, sptr q, sptr e) {
  const PSet *sets = pg->sets;
  if (!takes(in, sets, q, e)) return NULL;
  q++;
  if (in->flags & (RF_NEXTBYTE | RF_NEXTSET)) {
    int byte = (in->flags & RF_NEXTBYTE) != 0;
    if (in->flags & RF_ANY) {
      if (byte) return memchr(q, in->b, (size_t)(e - q));
      q = pset_first(&sets[in->n], &pg->vecs[in->n], q, e);
    }
    else
      q = pset_until(&sets[in->x], &pg->vecs[in->x], in->b,
                     byte ? NULL : &sets[in->n], byte ? NULL : &pg->vecs[in->n],
                     q, e);
    /* where it stopped: the rest can begin there, or the item ends */
    if (q == e) return NULL;
    return (byte ? *q == in->b : pset_has(&sets[in->n], *q)) ? q : NULL;
  }
  if (in->flags & RF_NEXTEND) {
    q = runend(in, pg, q, e);
    return q == e ? q : NULL;
  }
  return q;
}


/* ---------------- other items ---------------- */

/* %b: the end of the balanced text that starts at s, or NULL. */
static sptr balanced(const Ins *in, sptr s, sptr e) {
  int open = 1;
  if (s >= e || *s != in->a) return NULL;
  while (++s < e) {
    if (*s == in->b) {
      if (--open == 0) return s + 1;
    }
    else if (*s == in->a) open++;
  }
  return NULL;
}

/* %f: the byte before s (a zero at the start of the subject) is not in
** the set, the byte at s (a zero at its end) is. */
static int frontier(const PSet *set, sptr s0, sptr s, sptr e) {
  unsigned prev = s > s0 ? s[-1] : 0, cur = s < e ? *s : 0;
  return !pset_has(set, prev) && pset_has(set, cur);
}

/* n bytes at a equal those at b?  Literal runs are short: no call. */
static inline int same(sptr a, const unsigned char *b, size_t n) {
  size_t i;
  if (n > 16) return memcmp(a, b, n) == 0;
  for (i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

static void push(Choice *c, uint32_t pc, sptr at, sptr lo, int depth) {
  c->pc = pc;
  c->at = at;
  c->lo = lo;
  c->depth = depth;
}


/* ---------------- one attempt ---------------- */

/* Take the latest alternative left: the instruction to go on with, *s and
** *depth set for it; NULL when no choice has one.  A * or + gives back, a
** - takes one more byte, a ? goes on without its byte (once). */
static const Ins *backtrack(Exec *x, int *sp, sptr *s, int *depth) {
  while (*sp > 0) {
    Choice *c = &x->stack[*sp - 1];
    const Ins *ci = &x->pg->code[c->pc];
    sptr q;
    if (ci->op == OP_OPT) {
      q = c->at;
      --*sp;
    }
    else {
      q = ci->op == OP_LAZY ? longer(ci, x->pg, c->at, x->e)
                            : shorter(ci, x->pg->sets, c->lo, c->at);
      if (q == NULL) { --*sp; continue; }
      c->at = q;
    }
    *s = q;
    *depth = c->depth;
    return ci + 1;
  }
  return NULL;
}

/*
** Match the program at s: A_MATCH with *endp, A_FAIL, or A_ERROR (x->err
** says which).  The loop runs instructions while they succeed; a failure
** resumes the latest choice that has an alternative left.
*/
static int attempt(Exec *x, sptr s, sptr *endp) {
  const Ins *const code = x->pg->code;
  const PSet *const sets = x->pg->sets;
  const unsigned char *const lit = x->pg->lit;
  const sptr e = x->e;
  Choice *const stack = x->stack;
  const Ins *in = code;
  int sp = 0, depth = 1;
  x->runend = NULL;
  for (;;) {
    switch (in->op) {
      case OP_MATCH:
        *endp = s;
        return A_MATCH;
      case OP_CHAR:
        if (s < e && *s == in->a) { s++; in++; continue; }
        break;
      case OP_LIT:
        if ((size_t)(e - s) >= in->n && same(s, lit + in->x, in->n)) {
          s += in->n; in++; continue;
        }
        break;
      case OP_ANY:
        if (s < e) { s++; in++; continue; }
        break;
      case OP_SET:
        if (s < e && pset_has(&sets[in->x], *s)) { s++; in++; continue; }
        break;
      case OP_STAR: case OP_PLUS: {
        sptr lo = in->op == OP_PLUS ? s + 1 : s;
        if (!takes(in, sets, s, e)) {
          if (in->op == OP_PLUS) break;
          in++;   /* nothing taken: Lua goes on without a nested call */
          continue;
        }
        if (depth >= PAT_MAXDEPTH) goto toodeep;
        depth++;
        s = runend(in, x->pg, s + 1, e);
        if (in->flags & RF_FIRST) x->runend = s;
        if (!(in->flags & RF_KEEP))
          push(&stack[sp++], (uint32_t)(in - code), s, lo, depth);
        in++;
        continue;
      }
      case OP_LAZY:
        if (!takes(in, sets, s, e)) { in++; continue; }
        if (depth >= PAT_MAXDEPTH) goto toodeep;
        depth++;
        if (!(in->flags & RF_KEEP))
          push(&stack[sp++], (uint32_t)(in - code), s, NULL, depth);
        in++;
        continue;
      case OP_OPT:
        if (!takes(in, sets, s, e)) { in++; continue; }
        if (depth >= PAT_MAXDEPTH) goto toodeep;
        /* without the byte, the rest runs in this call again */
        push(&stack[sp++], (uint32_t)(in - code), s, NULL, depth);
        depth++;
        s++;
        in++;
        continue;
      case OP_OPEN: case OP_POSITION:
        if (depth >= PAT_MAXDEPTH) goto toodeep;
        depth++;
        x->cap[in->a].init = s;
        x->cap[in->a].len = in->op == OP_OPEN ? MB_CAP_UNFINISHED
                                              : MB_CAP_POSITION;
        in++;
        continue;
      case OP_CLOSE:
        if (depth >= PAT_MAXDEPTH) goto toodeep;
        depth++;
        x->cap[in->a].len = s - x->cap[in->a].init;
        in++;
        continue;
      case OP_CAPRUN:   /* Lua's three nested calls, checked in its order */
        if (depth >= PAT_MAXDEPTH) goto toodeep;
        depth++;
        x->cap[in->a].init = s;
        if (takes(in, sets, s, e)) {
          if (depth >= PAT_MAXDEPTH) goto toodeep;
          depth++;
          s = runend(in, x->pg, s + 1, e);
          if (in->flags & RF_FIRST) x->runend = s;
        }
        else if (in->flags & RF_ONE) break;
        if (depth >= PAT_MAXDEPTH) goto toodeep;
        depth++;
        x->cap[in->a].len = s - x->cap[in->a].init;
        in++;
        continue;
      case OP_BALANCE: {
        sptr q = balanced(in, s, e);
        if (q != NULL) { s = q; in++; continue; }
        break;
      }
      case OP_FRONTIER:
        if (frontier(&sets[in->x], x->s0, s, e)) { in++; continue; }
        break;
      case OP_BACKREF: {
        const Cap *c = &x->cap[in->a];
        size_t n = (size_t)c->len;
        if ((size_t)(e - s) >= n && memcmp(s, c->init, n) == 0) {
          s += n; in++; continue;
        }
        break;
      }
      case OP_END:
        if (s == e) { in++; continue; }
        break;
      case OP_FAIL:
        break;
      default:   /* OP_ERROR */
        x->err = in;
        return A_ERROR;
    }
    /* this path failed */
    if ((in = backtrack(x, &sp, &s, &depth)) == NULL) return A_FAIL;
  }
toodeep:
  x->err = NULL;
  return A_ERROR;
}


/* ---------------- the search ---------------- */

/* The first start position at or after s (s <= e) that the program's
** filter lets through, or NULL when none is left. */
static sptr candidate(const Exec *x, sptr s) {
  const Prog *pg = x->pg;
  const Scan *sc = &pg->scan;
  sptr e = x->e;
  switch (sc->kind) {
    case SCAN_PREFIX: {
      size_t at;
      if (sc->pn == 1) return memchr(s, pg->lit[sc->px], (size_t)(e - s));
      at = mb_memfind(s, (size_t)(e - s), pg->lit + sc->px, sc->pn);
      return at == MB_NPOS ? NULL : s + at;
    }
    case SCAN_FIRST:
      s = pset_first(&pg->sets[sc->first], &pg->vecs[sc->first], s, e);
      break;
    case SCAN_FRONTIER: {
      const PSet *f = &pg->sets[sc->first];
      s = pset_frontier(f, &pg->vecs[sc->first], s, e,
                        s > x->s0 && pset_has(f, s[-1]));
      break;
    }
    default:
      return s;
  }
  return s < e ? s : sc->endok ? e : NULL;
}

/* Where to look next after a failed attempt at s (s < e): one byte on,
** or past the run the program begins with (see derive in
** pattern_compile.c: every start inside it fails too). */
static sptr onward(const Exec *x, sptr s) {
  const Prog *pg = x->pg;
  const Scan *sc = &pg->scan;
  sptr q = s;
  if (sc->skiprun == 2) return x->e;
  if (sc->skiprun == 1)
    q = x->runend ? x->runend
                  : pset_run(&pg->sets[sc->runset], &pg->vecs[sc->runset],
                             s, x->e);
  return q > s ? q : s + 1;
}

/* The first match at or after s: A_MATCH with *startp and *endp, A_FAIL
** or A_ERROR.  The required literal is looked for only once an attempt
** has failed: where matches are dense (a gmatch loop) the first attempt
** mostly succeeds, and the search would cost more than it saves. */
static int search(Exec *x, sptr s, sptr *startp, sptr *endp) {
  const Scan *sc = &x->pg->scan;
  sptr need = NULL;   /* an occurrence of the required literal, >= s */
  int failed = 0;
  for (;;) {
    int r;
    if ((s = candidate(x, s)) == NULL) return A_FAIL;
    if (failed && sc->rn > 0 && (need == NULL || need < s)) {
      size_t at = mb_memfind(s, (size_t)(x->e - s), x->pg->lit + sc->rx,
                             sc->rn);
      if (at == MB_NPOS) return A_FAIL;
      need = s + at;
    }
    if ((r = attempt(x, s, endp)) != A_FAIL) {
      *startp = s;
      return r;
    }
    if (s == x->e) return A_FAIL;
    s = onward(x, s);
    failed = 1;
  }
}


/* ---------------- entry points ---------------- */

static void message(char *err, const Ins *in) {
  static const char *const text[] = {
    "malformed pattern (ends with '%')",
    "malformed pattern (missing ']')",
    "missing '[' after '%f' in pattern",
    "malformed pattern (missing arguments to '%b')",
    "invalid capture index %",
    "invalid pattern capture",
    "too many captures"
  };
  const char *t = in == NULL ? "pattern too complex" : text[in->a];
  size_t n = strlen(t);
  memcpy(err, t, n + 1);
  if (in != NULL && in->a == PE_CAPTUREINDEX) {   /* the digit */
    err[n] = (char)in->b;
    err[n + 1] = '\0';
  }
}

int mb_pexec(const mb_pattern *pp, const unsigned char *s, size_t ls,
             size_t init, int mode, mb_match *mt) {
  static const unsigned char empty[1];
  Exec x;
  sptr start, end;
  int r, i;
  mt->level = 0;
  mt->err[0] = '\0';
  if (init > ls) return 0;
  if (s == NULL) s = empty;   /* a closed or empty map: no arithmetic on NULL */
  x.pg = &pp->prog[mode == MB_PEXEC_FIND ? 0 : 1];
  x.s0 = s;
  x.e = s + ls;
  start = s + init;
  if (mode == MB_PEXEC_AT || x.pg->anchored) r = attempt(&x, start, &end);
  else r = search(&x, start, &start, &end);
  if (r == A_ERROR) {
    message(mt->err, x.err);
    return MB_E_PATTERN;
  }
  if (r == A_FAIL) return 0;
  mt->start = (size_t)(start - s);
  mt->end = (size_t)(end - s);
  mt->level = x.pg->ncap;
  for (i = 0; i < x.pg->ncap; i++) {
    mt->capture[i].init = (size_t)(x.cap[i].init - s);
    mt->capture[i].len = x.cap[i].len;
  }
  return 1;
}

/*
** The last pattern each thread compiled for mb_pfind or mb_pmatchat: a
** gmatch loop through them asks for the same pattern at every step, and
** compiling took longer than the step.  A fixed block per thread, so
** nothing is allocated or leaked, and no thread sees another's.
*/
#define LASTPATTERN 256
static _Thread_local struct Last {
  size_t lp;
  int which;             /* PAT_ANCHOR or PAT_BYTE; 0: empty */
  char p[LASTPATTERN];
  union { max_align_t align; unsigned char b[8192]; } block;
} last;

/* Run p compiled, from the thread's last block when it is p again, else
** compiled into it when it fits, else into an exact heap block. */
static int oneshot(const unsigned char *s, size_t ls, const char *p,
                   size_t lp, size_t init, int mode, mb_match *mt) {
  int which = mode == MB_PEXEC_FIND ? PAT_ANCHOR : PAT_BYTE, rc;
  size_t size;
  void *mem;
  if (last.which == which && last.lp == lp && memcmp(last.p, p, lp) == 0)
    return mb_pexec((const mb_pattern *)last.block.b, s, ls, init, mode, mt);
  size = lp > ((size_t)1 << 30) ? 0 : pat_blocksize(p, lp, which);
  if (size > 0 && size <= sizeof last.block && lp <= LASTPATTERN) {
    last.which = which;
    last.lp = lp;
    memcpy(last.p, p, lp);
    pat_build(last.block.b, p, lp, which);
    return mb_pexec((const mb_pattern *)last.block.b, s, ls, init, mode, mt);
  }
  if (size == 0 || (mem = malloc(size)) == NULL) {
    mt->level = 0;
    strcpy(mt->err, "not enough memory");
    return MB_E_PATTERN;
  }
  rc = mb_pexec(pat_build(mem, p, lp, which), s, ls, init, mode, mt);
  free(mem);
  return rc;
}

int mb_pfind(const unsigned char *s, size_t ls, const char *p, size_t lp,
             size_t init, mb_match *mt) {
  static const unsigned char empty[1];
  mt->level = 0;
  mt->err[0] = '\0';
  if (init > ls) return 0;
  if (s == NULL) s = empty;
  if (pat_plain(p, lp)) {
    size_t at = mb_memfind(s + init, ls - init, p, lp);
    if (at == MB_NPOS) return 0;
    mt->start = init + at;
    mt->end = init + at + lp;
    return 1;
  }
  return oneshot(s, ls, p, lp, init, MB_PEXEC_FIND, mt);
}

int mb_pmatchat(const unsigned char *s, size_t ls, const char *p, size_t lp,
                size_t at, mb_match *mt) {
  return oneshot(s, ls, p, lp, at, MB_PEXEC_AT, mt);
}
