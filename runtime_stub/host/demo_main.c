/* Host demo for the bundled Fashion-MNIST model: reads a 28x28 float image, runs the generated
 * model from C (the API is extern "C"), prints the class and the RAM figures from the header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fashion_mnist.h"

/* The arena is static here; firmware would place it in SRAM the same way. 16-byte aligned. */
static _Alignas(16) unsigned char arena[FASHION_MNIST_ARENA_SIZE > 0 ? FASHION_MNIST_ARENA_SIZE : 1];
static float image[FASHION_MNIST_INPUT0_SIZE];
static float logits[FASHION_MNIST_OUTPUT0_SIZE];

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s image.bin [classes.txt]\n", argv[0]);
    return 2;
  }
  FILE* f = fopen(argv[1], "rb");
  if (!f || fread(image, sizeof image, 1, f) != 1) {
    fprintf(stderr, "cannot read %zu bytes from %s\n", sizeof image, argv[1]);
    return 2;
  }
  fclose(f);
  char names[FASHION_MNIST_OUTPUT0_SIZE][64];
  for (int i = 0; i < FASHION_MNIST_OUTPUT0_SIZE; ++i) snprintf(names[i], sizeof names[i], "class %d", i);
  if (argc > 2 && (f = fopen(argv[2], "r")) != NULL) {
    for (int i = 0; i < FASHION_MNIST_OUTPUT0_SIZE && fgets(names[i], sizeof names[i], f); ++i)
      names[i][strcspn(names[i], "\r\n")] = 0;
    fclose(f);
  }
  const void* inputs[1] = {image};
  void* outputs[1] = {logits};
  if (fashion_mnist_run(inputs, outputs, arena) != 0) {
    fprintf(stderr, "model run failed\n");
    return 1;
  }
  int best = 0;
  for (int i = 1; i < FASHION_MNIST_OUTPUT0_SIZE; ++i)
    if (logits[i] > logits[best]) best = i;
  printf("logits:");
  for (int i = 0; i < FASHION_MNIST_OUTPUT0_SIZE; ++i) printf(" %.3f", logits[i]);
  printf("\npredicted class: %d %s\n", best, names[best]);
  printf("RAM: arena %d bytes + input %d bytes + output %d bytes = %d bytes\n", FASHION_MNIST_ARENA_SIZE,
         FASHION_MNIST_INPUT0_BYTES, FASHION_MNIST_OUTPUT0_BYTES,
         FASHION_MNIST_ARENA_SIZE + FASHION_MNIST_INPUT0_BYTES + FASHION_MNIST_OUTPUT0_BYTES);
  printf("flash: weights %d bytes (FASHION_MNIST_WEIGHTS_SIZE)\n", FASHION_MNIST_WEIGHTS_SIZE);
  return 0;
}
