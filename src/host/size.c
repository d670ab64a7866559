/*
** size.c - the argument of -s: a decimal number of bytes with an optional
** binary suffix (K, M, G, T; an optional "B" or "iB" after it).
*/
#include <ctype.h>
#include <stdint.h>

#include "host.h"

/* 0 and *out set, or -1 for anything else (empty, junk, overflow). */
int host_parsesize(const char *s, uint64_t *out) {
  uint64_t n = 0;
  int shift = 0;
  if (!isdigit((unsigned char)*s)) return -1;  /* no sign, no blank */
  for (; isdigit((unsigned char)*s); s++) {
    unsigned d = (unsigned)(*s - '0');
    if (n > (UINT64_MAX - d) / 10) return -1;
    n = n * 10 + d;
  }
  switch (toupper((unsigned char)*s)) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    case 'B': case '\0': break;
    default: return -1;
  }
  if (shift) {
    s++;
    if (*s == 'i') s++;
    if (*s == 'B') s++;
  } else if (*s == 'B') {
    s++;
  }
  if (*s != '\0') return -1;
  /* mmap lengths are size_t and file sizes off_t: keep below 2^63 */
  if (n > (UINT64_MAX >> 1) >> shift) return -1;
  *out = n << shift;
  return 0;
}
