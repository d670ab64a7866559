/*
** string.c (Win32) - memmem, which Windows' C runtime lacks (memrchr too,
** but search.c has its own reverse scan wherever CMake finds none).
** memmem is memchr for the first byte and memcmp for the rest: correct,
** but quadratic on needles that match long partly (search.c uses it only
** as the fallback of its own scans, where glibc's is linear).
*/
#include "os.h"

#include <string.h>

void *memmem(const void *h, size_t hn, const void *n, size_t nn) {
  const unsigned char *p = h, *q = n, *last;
  if (nn == 0) return (void *)p;
  if (nn > hn) return NULL;
  last = p + (hn - nn);
  while (p <= last) {
    p = memchr(p, q[0], (size_t)(last - p) + 1);
    if (p == NULL) return NULL;
    if (memcmp(p, q, nn) == 0) return (void *)p;
    p++;
  }
  return NULL;
}
