/* Host program of the integration tests: runs the model generated as "kws" (by tinyaot_add_model or
 * tinyaot.mk) on a raw float32 input file and prints the scores and the arg-max class:
 *     logits: <s0> <s1> ...
 *     class: <k>
 * With a second argument, a reference file as written by examples/kws-cortex-m4/make_model.py
 * ("class <k>" / "logits <l0> ..." from numpy), it also prints "reference: ..." and exits 1 when a
 * score is off by more than 1e-4 + 1e-3*|ref|.                                                    */
#include <math.h>
#include <stdio.h>

#include "kws.h"

static _Alignas(16) unsigned char arena[KWS_ARENA_SIZE > 0 ? KWS_ARENA_SIZE : 1];
static float input[KWS_INPUT0_SIZE];
static float output[KWS_OUTPUT0_SIZE];

static int check_reference(const char* path) {
  FILE* f = fopen(path, "r");
  int cls = -1;
  if (!f || fscanf(f, " class %d logits", &cls) != 1) {
    fprintf(stderr, "cannot read %s\n", path);
    return 2;
  }
  double max_diff = 0;
  int bad = 0;
  for (int i = 0; i < KWS_OUTPUT0_SIZE; ++i) {
    double ref;
    if (fscanf(f, "%lf", &ref) != 1) {
      fprintf(stderr, "%s: fewer than %d logits\n", path, KWS_OUTPUT0_SIZE);
      fclose(f);
      return 2;
    }
    double d = fabs(output[i] - ref);
    if (d > max_diff) max_diff = d;
    if (d > 1e-4 + 1e-3 * fabs(ref)) bad = 1;
  }
  fclose(f);
  printf("reference: class %d, max |score - numpy| = %.3g: %s\n", cls, max_diff, bad ? "MISMATCH" : "ok");
  return bad;
}

int main(int argc, char** argv) {
  FILE* f = argc >= 2 ? fopen(argv[1], "rb") : NULL;
  if (!f || fread(input, sizeof input, 1, f) != 1) {
    fprintf(stderr, "usage: %s input.bin [reference.txt]  (input: %d bytes of float32)\n", argv[0], KWS_INPUT0_BYTES);
    return 2;
  }
  fclose(f);
  const void* inputs[1] = {input};
  void* outputs[1] = {output};
  if (kws_run(inputs, outputs, arena) != 0) return 1;
  int best = 0;
  printf("logits:");
  for (int i = 0; i < KWS_OUTPUT0_SIZE; ++i) {
    printf(" %.9g", output[i]);
    if (output[i] > output[best]) best = i;
  }
  printf("\nclass: %d\n", best);
  return argc >= 3 ? check_reference(argv[2]) : 0;
}
