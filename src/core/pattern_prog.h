/*
** pattern_prog.h - the compiled form of a Lua pattern: the instruction set
** and the start-position filters shared by the compiler
** (pattern_compile.c) and the executor (pattern_exec.c).  Private to the
** core.
**
** A Lua pattern has no alternation and no repetition of groups, so its
** program is a straight line: every successful match runs every
** instruction once, in order.  Choices exist only inside the quantified
** single-byte items (* + - ?), whose alternatives the executor keeps on
** an explicit stack.  docs/design.md, "The compiled pattern", tells the
** whole story.
*/
#ifndef MAPBUF_PATTERN_PROG_H
#define MAPBUF_PATTERN_PROG_H

#include <stdint.h>

#include "mapbuf.h"

/* Lua's limit on nested matcher calls: "pattern too complex" beyond. */
#define PAT_MAXDEPTH 200

enum {
  OP_MATCH,      /* the match ends here: success */
  OP_CHAR,       /* one byte equal to a */
  OP_LIT,        /* n bytes equal to lit[x .. x+n-1] (n >= 2) */
  OP_ANY,        /* any one byte ('.') */
  OP_SET,        /* one byte of set x */
  OP_STAR,       /* bytes of set x, as many as possible, giving back */
  OP_PLUS,       /* the same, at least one */
  OP_LAZY,       /* bytes of set x, as few as possible ('-') */
  OP_OPT,        /* one byte of set x or none, trying one first ('?') */
  OP_OPEN,       /* capture a starts here */
  OP_POSITION,   /* position capture a ('()') */
  OP_CLOSE,      /* capture a ends here */
  OP_BALANCE,    /* %b with opening byte a and closing byte b */
  OP_FRONTIER,   /* %f[set x]: previous byte not in x, this byte in x */
  OP_BACKREF,    /* the text of closed capture a again */
  OP_END,        /* '$' at the very end: only at the end of the subject */
  OP_FAIL,       /* never matches (a back-reference to a position) */
  OP_ERROR,      /* raise message a (argument b) when reached */
  OP_CAPRUN      /* OP_OPEN a, OP_STAR or OP_PLUS (RF_ONE) of set x that
                    keeps its longest run, OP_CLOSE a: "(%d+)" in one */
};

/* flags of the repetitions (OP_STAR .. OP_OPT) */
#define RF_ANY 1u         /* the item is '.': every byte, no set lookup */
#define RF_KEEP 2u        /* never give back: no choice point (see below) */
#define RF_NEXTBYTE 4u    /* what follows must begin with byte b */
#define RF_NEXTSET 8u     /* what follows must begin with a byte of set n */
#define RF_NEXTEND 16u    /* what follows can only match at the end */
#define RF_ONE 32u        /* OP_CAPRUN: at least one byte, as + */
#define RF_FIRST 64u      /* the run a failed attempt lets the search skip
                             (Scan.skiprun): the attempt notes its end */

/* messages of OP_ERROR, by a */
enum {
  PE_ENDSWITHESC, PE_MISSINGBRACKET, PE_FRONTIERBRACKET, PE_BALANCEARGS,
  PE_CAPTUREINDEX,  /* b: the digit */
  PE_PATTERNCAPTURE, PE_TOOMANY
};

typedef struct Ins {
  uint8_t op;
  uint8_t flags;         /* RF_* */
  uint8_t a, b;          /* a byte, a capture index, a message */
  uint32_t x;            /* a set index or an offset into lit */
  uint32_t n;            /* a literal's length, or the follow set */
} Ins;

/* A set of bytes: bit c of the 256 is byte c (in 64-bit words, so that
** a test is one load and one bit test). */
typedef struct PSet {
  uint64_t w[4];
} PSet;

static inline int pset_has(const PSet *s, unsigned c) {
  return (s->w[c >> 6] & ((uint64_t)1 << (c & 63))) != 0;
}

/* A set as at most three ranges of bytes, or as the complement of at
** most three, so that 16 bytes can be tested at once (pattern_sets.h):
** byte c is in range i when c - lo[i] <= span[i], unsigned. */
typedef struct PVec {
  unsigned char lo[3][16];     /* each range's first byte, 16 times */
  unsigned char span[3][16];   /* its last minus its first, 16 times */
  uint16_t flip;               /* 0xffff: the ranges are the complement */
  uint8_t n;                   /* ranges (unused ones repeat the first);
                                  0: the set has no such form */
} PVec;

/* How the executor finds the start positions worth an attempt. */
enum {
  SCAN_EACH,             /* every position */
  SCAN_PREFIX,           /* where the literal prefix lit[px .. px+pn-1] is */
  SCAN_FIRST,            /* where the byte is in set first */
  SCAN_FRONTIER          /* where frontier set first holds (%f first) */
};

typedef struct Scan {
  uint8_t kind;          /* SCAN_* */
  uint8_t endok;         /* the end of the subject may start a match even
                            when the filter says no byte does */
  uint8_t skiprun;       /* after a failed attempt at s, skip the run of
                            bytes of set runset (1) or all bytes (2) */
  uint32_t first;        /* set index for SCAN_FIRST and SCAN_FRONTIER */
  uint32_t runset;
  uint32_t px, pn;       /* literal prefix */
  uint32_t rx, rn;       /* a literal every match contains (rn 0: none),
                            looked for once an attempt has failed */
} Scan;

/* One compiled program.  A pattern that begins with '^' has two: one
** where it anchors (find, match) and one where it is a byte (gmatch). */
typedef struct Prog {
  const Ins *code;
  const PSet *sets;
  const PVec *vecs;      /* vecs[i] is sets[i] in ranges, for the sets
                            scanned over (n 0 for the others) */
  const unsigned char *lit;
  int ncap;              /* captures a match reports */
  int anchored;          /* one attempt only, at the start position */
  Scan scan;
} Prog;

/* MB_PPLAIN, MB_PANCHOR in flags; the block holds the programs' arrays
** right after the struct. */
struct mb_pattern {
  size_t size;           /* bytes of the whole block */
  unsigned flags;
  Prog prog[2];          /* [0] '^' anchors, [1] '^' is a byte */
};

/* pattern_compile.c: string.find's rule: none of ^$*+?.([%- in p, so it
** is plain text. */
int pat_plain(const char *p, size_t lp);

/* pattern_compile.c: the bytes a block holding the pattern's programs
** needs (a counting pass over the pattern), and the compilation into
** such a block (mem must have at least that many bytes, aligned as malloc
** aligns).  which: the programs wanted (they differ only when the pattern
** begins with '^'); a program not built has code NULL. */
#define PAT_ANCHOR 1     /* prog[0], where '^' anchors */
#define PAT_BYTE 2       /* prog[1], where '^' is a byte */
size_t pat_blocksize(const char *p, size_t lp, int which);
mb_pattern *pat_build(void *mem, const char *p, size_t lp, int which);

#endif
