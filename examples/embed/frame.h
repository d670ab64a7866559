/*
** frame.h - the sensor frame the embed examples pass around: a fixed
** layout in native byte order, so a Lua script reads it with string.pack
** formats ("=I4", "=i2", ...) at fixed positions.
**
**   Lua pos  C field           format
**   1        magic[4]  "SFRM"  c4
**   5        seq               =I4
**   9        count             =I2   samples in use
**   11       flags             =I2   FRAME_* bits
**   13       sample[16]        =i2   sample k at 13 + 2*k (k from 0)
*/
#ifndef FRAME_H
#define FRAME_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define FRAME_SAMPLES 16
#define FRAME_CALIBRATED 0x0001   /* a script scaled the samples */
#define FRAME_CLIPPED 0x0002      /* some sample hit the int16 range */

struct frame {
  char magic[4];
  uint32_t seq;
  uint16_t count;
  uint16_t flags;
  int16_t sample[FRAME_SAMPLES];
};

_Static_assert(sizeof(struct frame) == 44, "frame layout has no padding");

/* A frame as the sensor would deliver it: a few samples of a slow wave. */
static inline void frame_fill(struct frame *f, uint32_t seq) {
  static const int16_t wave[FRAME_SAMPLES] = {
    0, 38, 71, 92, 100, 92, 71, 38, 0, -38, -71, -92, -100, -92, -71, -38};
  memcpy(f->magic, "SFRM", 4);
  f->seq = seq;
  f->count = 12;
  f->flags = 0;
  memcpy(f->sample, wave, sizeof wave);
}

static inline void frame_print(FILE *out, const struct frame *f) {
  int k;
  fprintf(out, "frame %.4s seq=%u count=%u flags=0x%04x samples:",
          f->magic, (unsigned)f->seq, (unsigned)f->count, (unsigned)f->flags);
  for (k = 0; k < FRAME_SAMPLES; k++) fprintf(out, " %d", f->sample[k]);
  fputc('\n', out);
}

/* Print each field that differs between a and b; returns how many did. */
static inline int frame_diff(FILE *out, const struct frame *a,
                             const struct frame *b) {
  int k, n = 0;
  if (memcmp(a->magic, b->magic, 4) != 0)
    n++, fprintf(out, "  magic: %.4s -> %.4s\n", a->magic, b->magic);
  if (a->seq != b->seq)
    n++, fprintf(out, "  seq: %u -> %u\n", (unsigned)a->seq, (unsigned)b->seq);
  if (a->count != b->count)
    n++, fprintf(out, "  count: %u -> %u\n", (unsigned)a->count,
                 (unsigned)b->count);
  if (a->flags != b->flags)
    n++, fprintf(out, "  flags: 0x%04x -> 0x%04x\n", (unsigned)a->flags,
                 (unsigned)b->flags);
  for (k = 0; k < FRAME_SAMPLES; k++)
    if (a->sample[k] != b->sample[k])
      n++, fprintf(out, "  sample[%d]: %d -> %d\n", k, a->sample[k],
                   b->sample[k]);
  return n;
}

#endif
