/*
** pattern_compile.c - turns a Lua 5.4 pattern into a program
** (pattern_prog.h): literal runs, byte sets as bitmaps, quantified single
** items, captures, %b, %f, back-references and the final '$'; then works
** out from the program how a search may skip start positions.
**
** The pattern is read once, item by item, left to right.  Lua reports a
** malformed item only when its matcher reaches it, and since a program
** runs straight through, "reaching item k" is the same as "having matched
** items 0 .. k-1": so a malformed item becomes an OP_ERROR instruction and
** ends the program; what follows it can never run.  Compilation itself
** never fails.
**
** The same code runs twice: once to count instructions, sets and literal
** bytes (the Builder has no arrays yet), once to fill a block of exactly
** that size.
*/
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pattern_prog.h"

enum { CAP_OPEN = 1, CAP_CLOSED, CAP_POS };

typedef struct Builder {
  Ins *code;             /* NULL while counting */
  PSet *sets;
  PVec *vecs;
  unsigned char *lit;
  uint32_t ncode, nsets, nlit;
  PSet scratch;          /* where sets are built while counting */
  Ins sink;              /* where instructions go while counting */
  int ncap;
  uint8_t cap[MB_MAXCAPTURES];   /* CAP_* of each capture so far */
  int inlit;             /* the last instruction is a literal run that the
                            next literal byte may extend */
} Builder;

typedef const unsigned char *pptr;


/* ---------------- emitting ---------------- */

static Ins *emit(Builder *b, int op) {
  Ins *in = b->code ? &b->code[b->ncode] : &b->sink;
  b->ncode++;
  memset(in, 0, sizeof *in);
  in->op = (uint8_t)op;
  b->inlit = 0;
  return in;
}

/* A fresh, empty set; *index gets its number.  While counting, a
** scratch set that nobody fills. */
static PSet *newset(Builder *b, uint32_t *index) {
  PSet *s = b->sets ? &b->sets[b->nsets] : &b->scratch;
  *index = b->nsets++;
  if (b->sets) memset(s, 0, sizeof *s);
  return s;
}

/* One unquantified literal byte: it joins the run before it, if any.
** The run's bytes sit in lit[] in pattern order. */
static void literal(Builder *b, unsigned char c) {
  if (b->lit) b->lit[b->nlit] = c;
  if (b->inlit) {
    if (b->code) b->code[b->ncode - 1].n++;
  } else {
    Ins *in = emit(b, OP_LIT);
    in->x = b->nlit;
    in->n = 1;
    b->inlit = 1;
  }
  b->nlit++;
}

static void error(Builder *b, int msg, int arg) {
  Ins *in = emit(b, OP_ERROR);
  in->a = (uint8_t)msg;
  in->b = (uint8_t)arg;
}


/* ---------------- byte sets ---------------- */

static void addbyte(PSet *s, unsigned c) { s->w[c >> 6] |= (uint64_t)1 << (c & 63); }

/* Bytes lo .. hi, a word at a time. */
static void addrange(PSet *s, unsigned lo, unsigned hi) {
  while (lo <= hi) {
    unsigned top = (lo | 63) < hi ? (lo | 63) : hi;   /* in lo's word */
    uint64_t bits = ~(uint64_t)0 >> (63 - (top - lo));
    s->w[lo >> 6] |= bits << (lo & 63);
    lo = top + 1;
  }
}

static void complement(PSet *s) {
  int i;
  for (i = 0; i < 4; i++) s->w[i] = ~s->w[i];
}

/* The classes of the C locale (what stock lua5.4 matches with: it never
** calls setlocale), as ranges of bytes. */
static const struct Class {
  char letter;
  unsigned char nr;
  unsigned char r[8];    /* nr ranges lo, hi */
} CLASSES[] = {
  {'a', 2, {'A', 'Z', 'a', 'z'}},
  {'c', 2, {0, 31, 127, 127}},
  {'d', 1, {'0', '9'}},
  {'g', 1, {33, 126}},
  {'l', 1, {'a', 'z'}},
  {'p', 4, {33, 47, 58, 64, 91, 96, 123, 126}},
  {'s', 2, {9, 13, ' ', ' '}},
  {'u', 1, {'A', 'Z'}},
  {'w', 3, {'0', '9', 'A', 'Z', 'a', 'z'}},
  {'x', 3, {'0', '9', 'A', 'F', 'a', 'f'}},
  {'z', 1, {0, 0}},       /* deprecated since Lua 5.2, still there */
};

/* The class that "%e" names (upper case: its complement), or NULL when e
** is no class letter and "%e" is the byte e itself. */
static const struct Class *classof(unsigned e) {
  unsigned l = e - 'A' < 26 ? e + 32 : e;
  size_t i;
  for (i = 0; i < sizeof CLASSES / sizeof CLASSES[0]; i++)
    if ((unsigned char)CLASSES[i].letter == l) return &CLASSES[i];
  return NULL;
}

/* The bytes that "%e" stands for, added to s. */
static void addescape(PSet *s, unsigned e) {
  const struct Class *k = classof(e);
  PSet t;
  int i;
  if (k == NULL) { addbyte(s, e); return; }
  memset(&t, 0, sizeof t);
  for (i = 0; i < k->nr; i++) addrange(&t, k->r[2 * i], k->r[2 * i + 1]);
  if (e - 'A' < 26) complement(&t);
  for (i = 0; i < 4; i++) s->w[i] |= t.w[i];
}

/*
** One past the ']' that closes the set whose '[' is at p, or NULL when
** there is none.  The first byte of the set (after an optional '^') is
** always part of it, ']' included, and a '%' takes the byte after it
** along: "[]]" and "[%]]" are sets of ']'.
*/
static pptr setend(pptr p, pptr pe) {
  pptr q = p + 1;
  if (q < pe && *q == '^') q++;
  do {
    if (q == pe) return NULL;
    if (*q++ == '%' && q < pe) q++;
  } while (q == pe || *q != ']');
  return q + 1;
}

/*
** Fill s with the set whose '[' is at p and whose ']' is at ec.  Inside,
** "%x" is an escape or a class, "a-z" a range (unless its '-' is the
** last byte before ']'), anything else a byte.  The walk goes by those
** units, which need not agree with setend's pairs: in "[a-%%]" the range
** a-% takes the first '%', and the second one escapes the ']' at ec (a
** '%' is never the last byte before ec otherwise).
*/
static void fillset(PSet *s, pptr p, pptr ec) {
  int negate = p[1] == '^';
  pptr q = p + 1 + negate;
  while (q < ec) {
    if (*q == '%') { addescape(s, q[1]); q += 2; }
    else if (q + 2 < ec && q[1] == '-') { addrange(s, q[0], q[2]); q += 3; }
    else addbyte(s, *q++);
  }
  if (negate) complement(s);
}


/* ---------------- items ---------------- */

static int quantifier(int c) {
  return c == '*' || c == '+' || c == '-' || c == '?';
}

/* A set for the bytes that the item at p .. ep-1 ("%x", "[...]" or a
** byte) accepts; its index.  Left empty while counting. */
static uint32_t itemset(Builder *b, pptr p, pptr ep) {
  uint32_t x;
  PSet *set = newset(b, &x);
  if (!b->sets) return x;
  if (*p == '%') addescape(set, p[1]);
  else if (*p == '[') fillset(set, p, ep - 1);
  else addbyte(set, *p);
  return x;
}

/*
** A single-byte item at p: '.', "%x", "[...]" or a byte, and the
** quantifier after it if there is one.  Returns where the next item
** starts, or NULL when the item is malformed (the program ends).
*/
static pptr single(Builder *b, pptr p, pptr pe) {
  pptr ep = p + 1;
  int q;
  Ins *in;
  if (*p == '%') {
    if (p + 1 == pe) { error(b, PE_ENDSWITHESC, 0); return NULL; }
    ep = p + 2;
  }
  else if (*p == '[' && (ep = setend(p, pe)) == NULL) {
    error(b, PE_MISSINGBRACKET, 0);
    return NULL;
  }
  q = ep < pe ? *ep : 0;
  if (!quantifier(q)) {
    if (*p == '.') emit(b, OP_ANY);
    else if (*p == '[' || (*p == '%' && classof(p[1]) != NULL)) {
      uint32_t x = itemset(b, p, ep);
      emit(b, OP_SET)->x = x;
    }
    else literal(b, *p == '%' ? p[1] : *p);
    return ep;
  }
  in = emit(b, q == '*' ? OP_STAR : q == '+' ? OP_PLUS :
               q == '-' ? OP_LAZY : OP_OPT);
  if (*p == '.') in->flags = RF_ANY;
  else in->x = itemset(b, p, ep);
  return ep + 1;
}

/* '(' or "()" at p. */
static pptr opencapture(Builder *b, pptr p, pptr pe) {
  int pos = p + 1 < pe && p[1] == ')';
  if (b->ncap >= MB_MAXCAPTURES) { error(b, PE_TOOMANY, 0); return NULL; }
  emit(b, pos ? OP_POSITION : OP_OPEN)->a = (uint8_t)b->ncap;
  b->cap[b->ncap++] = pos ? CAP_POS : CAP_OPEN;
  return p + 1 + pos;
}

/* ')' closes the innermost capture still open. */
static pptr closecapture(Builder *b, pptr p) {
  int k = b->ncap;
  while (--k >= 0 && b->cap[k] != CAP_OPEN) {}
  if (k < 0) { error(b, PE_PATTERNCAPTURE, 0); return NULL; }
  emit(b, OP_CLOSE)->a = (uint8_t)k;
  b->cap[k] = CAP_CLOSED;
  return p + 1;
}

/* "%b" at p: two bytes must follow. */
static pptr balance(Builder *b, pptr p, pptr pe) {
  Ins *in;
  if (pe - p < 4) { error(b, PE_BALANCEARGS, 0); return NULL; }
  in = emit(b, OP_BALANCE);
  in->a = p[2];
  in->b = p[3];
  return p + 4;
}

/* "%f" at p: a set must follow. */
static pptr frontier(Builder *b, pptr p, pptr pe) {
  pptr q = p + 2, ep;
  uint32_t x;
  PSet *set;
  if (q == pe || *q != '[') { error(b, PE_FRONTIERBRACKET, 0); return NULL; }
  if ((ep = setend(q, pe)) == NULL) { error(b, PE_MISSINGBRACKET, 0); return NULL; }
  set = newset(b, &x);
  if (b->sets) fillset(set, q, ep - 1);
  emit(b, OP_FRONTIER)->x = x;
  return ep;
}

/* "%0" .. "%9" at p: capture d must exist and be closed.  A position
** capture has no text to compare: Lua takes its length as a huge one,
** which never fits, so the item can never match. */
static pptr backref(Builder *b, pptr p) {
  int k = p[1] - '1';
  if (k < 0 || k >= b->ncap || b->cap[k] == CAP_OPEN) {
    error(b, PE_CAPTUREINDEX, p[1]);
    return NULL;
  }
  if (b->cap[k] == CAP_POS) { emit(b, OP_FAIL); return NULL; }
  emit(b, OP_BACKREF)->a = (uint8_t)k;
  return p + 2;
}

/* The program of pattern p .. pe-1, ending in OP_MATCH, or in OP_ERROR or
** OP_FAIL where it can go no further. */
static void compile(Builder *b, pptr p, pptr pe) {
  while (p != NULL && p < pe) {
    switch (*p) {
      case '(': p = opencapture(b, p, pe); break;
      case ')': p = closecapture(b, p); break;
      case '$':
        if (p + 1 == pe) { emit(b, OP_END); p++; }
        else p = single(b, p, pe);
        break;
      case '%':
        if (p + 1 < pe && p[1] == 'b') p = balance(b, p, pe);
        else if (p + 1 < pe && p[1] == 'f') p = frontier(b, p, pe);
        else if (p + 1 < pe && (unsigned)p[1] - '0' < 10) p = backref(b, p);
        else p = single(b, p, pe);
        break;
      default: p = single(b, p, pe); break;
    }
  }
  if (p != NULL) emit(b, OP_MATCH);
}


/* ---------------- what the program tells the search ---------------- */

static int repetition(int op) {
  return op == OP_STAR || op == OP_PLUS || op == OP_LAZY || op == OP_OPT;
}

static int capture(int op) {
  return op == OP_OPEN || op == OP_POSITION || op == OP_CLOSE;
}

/* OP_CHAR keeps x and n = 1 of the run it was, so both are runs in lit[] */
static int literalrun(int op) { return op == OP_LIT || op == OP_CHAR; }

static int disjoint(const PSet *a, const PSet *b) {
  int i;
  for (i = 0; i < 4; i++)
    if (a->w[i] & b->w[i]) return 0;
  return 1;
}

/*
** Tell a repetition at code[i] what its continuation must begin with:
** the first instruction after it, looking through captures (which
** consume nothing and cannot fail).  The executor then gives back or
** takes more only where the continuation can begin, and a * or + whose
** continuation cannot begin inside its run keeps the longest run and no
** choice at all.  Every skipped attempt would fail at that instruction,
** right after the captures, which the first attempt (never skipped) has
** passed at the same depth.
*/
static void follow(Ins *code, const PSet *sets, const unsigned char *lit,
                   int i) {
  Ins *in = &code[i], *nx = &code[i + 1];
  int greedy = in->op == OP_STAR || in->op == OP_PLUS;
  if (in->op == OP_OPT) return;
  while (capture(nx->op)) nx++;
  switch (nx->op) {
    case OP_CHAR: case OP_LIT: case OP_BALANCE:
      in->flags |= RF_NEXTBYTE;
      in->b = nx->op == OP_LIT ? lit[nx->x] : nx->a;
      if (greedy && !(in->flags & RF_ANY) &&
          !pset_has(&sets[in->x], in->b))
        in->flags |= RF_KEEP;
      break;
    case OP_SET: case OP_PLUS:
      if (nx->op == OP_PLUS && (nx->flags & RF_ANY)) break;
      in->flags |= RF_NEXTSET;
      in->n = nx->x;
      if (greedy && !(in->flags & RF_ANY) &&
          disjoint(&sets[in->x], &sets[nx->x]))
        in->flags |= RF_KEEP;
      break;
    case OP_END:
      in->flags |= RF_NEXTEND;
      if (greedy) in->flags |= RF_KEEP;
      break;
    case OP_MATCH:   /* the first attempt succeeds */
      in->flags |= RF_KEEP;
      break;
    default: break;
  }
}

/* At most this many nested calls of Lua's matcher for this program: one,
** plus one per capture item and per repetition. */
static int maxdepth(const Ins *code) {
  int d = 1;
  for (; code->op != OP_MATCH && code->op != OP_ERROR &&
         code->op != OP_FAIL; code++)
    if (capture(code->op) || repetition(code->op)) d++;
    else if (code->op == OP_CAPRUN) d += 3;
  return d;
}

/*
** The bytes a match can begin with, into first: walk over captures,
** frontiers and optional items (they may match nothing) to the first item
** that must consume a byte.  Returns 0 when any position may start a
** match (the walk met something that can match empty, or an error that
** an attempt must reach).  *endok: some path reaches '$', so the end of
** the subject may start a match.  A position whose byte is not in first
** fails at once: none of the optional items matched there, so nothing
** but captures ran.
*/
static int firstbytes(const Ins *in, const PSet *sets,
                      const unsigned char *lit, PSet *first, int *endok) {
  memset(first, 0, sizeof *first);
  *endok = 0;
  for (;; in++) {
    switch (in->op) {
      case OP_OPEN: case OP_POSITION: case OP_CLOSE: case OP_FRONTIER:
        continue;
      case OP_CHAR: addbyte(first, in->a); return 1;
      case OP_LIT: addbyte(first, lit[in->x]); return 1;
      case OP_BALANCE: addbyte(first, in->a); return 1;
      case OP_SET: case OP_PLUS: case OP_STAR: case OP_LAZY: case OP_OPT:
      case OP_CAPRUN: {
        int i;
        if (in->flags & RF_ANY) return 0;
        for (i = 0; i < 4; i++) first->w[i] |= sets[in->x].w[i];
        if (in->op == OP_SET || in->op == OP_PLUS || (in->flags & RF_ONE))
          return 1;
        continue;
      }
      case OP_END: *endok = 1; return 1;
      case OP_FAIL: return 1;
      default: return 0;   /* OP_MATCH, OP_ANY, OP_BACKREF, OP_ERROR */
    }
  }
}

/* The index of the lowest set bit of w (w != 0). */
static int lowest(uint64_t w) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_ctzll(w);
#else
  int n = 0;
  while (!(w & 1)) { w >>= 1; n++; }
  return n;
#endif
}

/* The ranges of members of s (of non-members when inv), at most most of
** them, into lo[] and hi[]; their number, or -1 when there are more.
** Jumps from boundary to boundary. */
static int ranges(const PSet *s, int inv, unsigned *lo, unsigned *hi,
                  int most) {
  int n = 0, in = 0;
  unsigned c = 0;
  while (c < 256) {
    uint64_t w = inv ? ~s->w[c >> 6] : s->w[c >> 6];
    uint64_t ends = (in ? ~w : w) >> (c & 63);   /* what changes the state */
    if (ends == 0) { c = (c | 63) + 1; continue; }
    c += (unsigned)lowest(ends);
    if (in) hi[n - 1] = c - 1;
    else if (n == most) return -1;
    else lo[n++] = c;
    in = !in;
  }
  if (in) hi[n - 1] = 255;
  return n;
}

/* The 16-byte form of set s, if it has one. */
static void plan(const PSet *s, PVec *v) {
  unsigned lo[3], hi[3];
  int n = ranges(s, 0, lo, hi, 3), i;
  v->flip = 0;
  v->n = 0;
  if (n < 0) {
    n = ranges(s, 1, lo, hi, 3);
    v->flip = 0xffff;
  }
  if (n <= 0) return;   /* empty (as such or as a complement), or no form */
  for (i = 0; i < 3; i++) {
    int k = i < n ? i : 0;
    memset(v->lo[i], (int)lo[k], 16);
    memset(v->span[i], (int)(hi[k] - lo[k]), 16);
  }
  v->n = (uint8_t)n;
}

static int fullset(const PSet *s) {
  int i;
  for (i = 0; i < 4; i++)
    if (s->w[i] != ~(uint64_t)0) return 0;
  return 1;
}

/* How a search finds start positions for this program (see Scan). */
static void derive(Prog *pg, Ins *code, PSet *firstslot,
                   uint32_t firstindex) {
  Ins *in = code;
  Scan *sc = &pg->scan;
  int hasbackref = 0, endok, i;
  memset(sc, 0, sizeof *sc);
  for (i = 0; code[i].op != OP_MATCH && code[i].op != OP_ERROR &&
              code[i].op != OP_FAIL; i++)
    if (code[i].op == OP_BACKREF) hasbackref = 1;
  while (capture(in->op)) in++;
  /* the literal prefix: literal runs, with only captures between them,
  ** lie next to each other in lit[] */
  if (literalrun(in->op)) {
    const Ins *r = in;
    sc->kind = SCAN_PREFIX;
    sc->px = in->x;
    for (; literalrun(r->op) || capture(r->op); r++)
      if (literalrun(r->op)) sc->pn += r->n;
  }
  else if (in->op == OP_FRONTIER) {
    sc->kind = SCAN_FRONTIER;
    sc->first = in->x;
    sc->endok = 1;
  }
  else if (firstbytes(in, pg->sets, pg->lit, firstslot, &endok) &&
           !fullset(firstslot)) {
    sc->kind = SCAN_FIRST;
    sc->first = firstindex;
    sc->endok = (uint8_t)endok;
  }
  /* a failed attempt at s that began with a run of set S fails for every
  ** start inside that run too: those attempts try a subset of the same
  ** ends, and without back-references nothing else depends on the start */
  if (!hasbackref && (in->op == OP_STAR || in->op == OP_PLUS ||
                      in->op == OP_LAZY || in->op == OP_CAPRUN)) {
    sc->skiprun = (in->flags & RF_ANY) ? 2 : 1;
    sc->runset = in->x;
    in->flags |= RF_FIRST;
  }
  /* a literal every match contains, when no attempt can end in "pattern
  ** too complex" before reaching it: the longest run after the prefix */
  if (maxdepth(code) <= PAT_MAXDEPTH) {
    const Ins *r = in;
    if (sc->kind == SCAN_PREFIX)
      while (literalrun(r->op) || capture(r->op)) r++;
    for (; r->op != OP_MATCH && r->op != OP_ERROR && r->op != OP_FAIL; r++)
      if (literalrun(r->op) && r->n > sc->rn) { sc->rx = r->x; sc->rn = r->n; }
  }
}

/* "(", a * or + that keeps its longest run, ")" of the same capture
** become one OP_CAPRUN: two dispatches fewer for the commonest capture.
** The program gets shorter (its block keeps the room). */
static void fuse(Builder *b) {
  Ins *code = b->code;
  uint32_t i, j = 0;
  for (i = 0; i < b->ncode; i++) {
    const Ins *in = &code[i];
    if (in->op == OP_OPEN && i + 2 < b->ncode &&
        (in[1].op == OP_STAR || in[1].op == OP_PLUS) &&
        (in[1].flags & RF_KEEP) && in[2].op == OP_CLOSE && in[2].a == in->a) {
      Ins f = in[1];
      if (f.op == OP_PLUS) f.flags |= RF_ONE;
      f.op = OP_CAPRUN;
      f.a = in->a;
      code[j++] = f;
      i += 2;
    }
    else code[j++] = *in;
  }
  b->ncode = j;
}

/* Literal runs of one byte become OP_CHAR; repetitions learn what
** follows them; simple captures are fused. */
static void finish(Builder *b, Prog *pg, int anchored) {
  uint32_t i, firstindex;
  PSet *firstslot = newset(b, &firstindex);
  for (i = 0; i < b->ncode; i++) {
    Ins *in = &b->code[i];
    if (in->op == OP_LIT && in->n == 1) {
      in->op = OP_CHAR;
      in->a = b->lit[in->x];
    }
  }
  for (i = 0; i < b->ncode; i++)
    if (repetition(b->code[i].op)) follow(b->code, b->sets, b->lit, (int)i);
  fuse(b);
  pg->code = b->code;
  pg->sets = b->sets;
  pg->vecs = b->vecs;
  pg->lit = b->lit;
  pg->ncap = b->ncap;
  pg->anchored = anchored;
  derive(pg, b->code, firstslot, firstindex);
  /* 16-byte forms only for the sets that are scanned over */
  for (i = 0; i < b->nsets; i++) b->vecs[i].n = 0;
  for (i = 0; b->code[i].op != OP_MATCH && b->code[i].op != OP_ERROR &&
              b->code[i].op != OP_FAIL; i++) {
    const Ins *in = &b->code[i];
    if ((repetition(in->op) || in->op == OP_CAPRUN) && !(in->flags & RF_ANY))
      plan(&b->sets[in->x], &b->vecs[in->x]);
    if (in->op == OP_LAZY && (in->flags & RF_NEXTSET))
      plan(&b->sets[in->n], &b->vecs[in->n]);
  }
  if (pg->scan.kind == SCAN_FIRST || pg->scan.kind == SCAN_FRONTIER)
    plan(&b->sets[pg->scan.first], &b->vecs[pg->scan.first]);
}


/* ---------------- the block ---------------- */

int pat_plain(const char *p, size_t lp) {
  size_t i;
  for (i = 0; i < lp; i++)
    if (memchr("^$*+?.([%-", p[i], 10) != NULL) return 0;
  return 1;
}

static size_t rnd8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Counts for one program: the program of p .. p+lp-1, plus one set for
** the start filter.  (The arrays are not there yet: nothing is written.) */
static void count(Builder *b, pptr p, size_t lp) {
  memset(b, 0, sizeof *b);
  compile(b, p, p + lp);
  b->nsets++;
}

/* The layout of a block: which programs, from where, and room for each. */
typedef struct Layout {
  int n;                 /* programs to build: 1 or 2 */
  int slot[2];           /* where each goes in prog[] */
  pptr src[2];
  size_t len[2];
  Builder b[2];          /* their counts */
  size_t size;
} Layout;

static void add(Layout *L, int slot, pptr p, size_t lp) {
  Builder *b = &L->b[L->n];
  L->slot[L->n] = slot;
  L->src[L->n] = p;
  L->len[L->n] = lp;
  count(b, p, lp);
  L->size += rnd8(b->nsets * sizeof(PSet)) + rnd8(b->nsets * sizeof(PVec)) +
             rnd8(b->ncode * sizeof(Ins)) + b->nlit;
  L->n++;
}

/* Without a leading '^' one program serves both ways of reading it. */
static void layout(Layout *L, const char *p, size_t lp, int which) {
  pptr u = (pptr)p;
  L->n = 0;
  L->size = rnd8(sizeof(mb_pattern));
  if (lp == 0 || p[0] != '^') add(L, 0, u, lp);
  else {
    if (which & PAT_ANCHOR) add(L, 0, u + 1, lp - 1);
    if (which & PAT_BYTE) add(L, 1, u, lp);
  }
}

size_t pat_blocksize(const char *p, size_t lp, int which) {
  Layout L;
  layout(&L, p, lp, which);
  return L.size;
}

mb_pattern *pat_build(void *mem, const char *p, size_t lp, int which) {
  Layout L;
  mb_pattern *pat = (mb_pattern *)mem;
  unsigned char *at = (unsigned char *)mem + rnd8(sizeof(mb_pattern));
  int i, caret = lp > 0 && p[0] == '^';
  layout(&L, p, lp, which);
  memset(pat, 0, sizeof *pat);
  pat->size = L.size;
  pat->flags = (pat_plain(p, lp) ? MB_PPLAIN : 0) |
               (caret ? MB_PANCHOR : 0);
  /* sets, their ranges, instructions, literal bytes: each region starts
  ** at a multiple of 8 */
  for (i = 0; i < L.n; i++) {
    L.b[i].sets = (PSet *)at;
    at += rnd8(L.b[i].nsets * sizeof(PSet));
  }
  for (i = 0; i < L.n; i++) {
    L.b[i].vecs = (PVec *)at;
    at += rnd8(L.b[i].nsets * sizeof(PVec));
  }
  for (i = 0; i < L.n; i++) {
    L.b[i].code = (Ins *)at;
    at += rnd8(L.b[i].ncode * sizeof(Ins));
  }
  for (i = 0; i < L.n; i++) {
    L.b[i].lit = at;
    at += L.b[i].nlit;
  }
  for (i = 0; i < L.n; i++) {
    Builder *b = &L.b[i];
    Ins *code = b->code;
    PSet *sets = b->sets;
    PVec *vecs = b->vecs;
    unsigned char *lit = b->lit;
    memset(b, 0, sizeof *b);
    b->code = code; b->sets = sets; b->vecs = vecs; b->lit = lit;
    compile(b, L.src[i], L.src[i] + L.len[i]);
    finish(b, &pat->prog[L.slot[i]], caret && L.slot[i] == 0);
  }
  if (!caret) pat->prog[1] = pat->prog[0];
  return pat;
}


/* ---------------- the public side ---------------- */

#define MAXPATTERN ((size_t)1 << 30)   /* offsets in Ins stay in 32 bits */

int mb_pcompile(mb_pattern **out, const char *p, size_t lp) {
  size_t size;
  void *mem;
  *out = NULL;
  if (lp > MAXPATTERN) return ENOMEM;
  size = pat_blocksize(p, lp, PAT_ANCHOR | PAT_BYTE);
  if ((mem = malloc(size)) == NULL) return ENOMEM;
  *out = pat_build(mem, p, lp, PAT_ANCHOR | PAT_BYTE);
  return 0;
}

void mb_pfree(mb_pattern *pp) { free(pp); }

unsigned mb_pflags(const mb_pattern *pp) { return pp->flags; }

size_t mb_psize(const mb_pattern *pp) { return pp->size; }
