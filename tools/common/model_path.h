/* Where the command-line programs find the bundled model when no --model is
 * given: $PIANOLA_MODEL, else beside the program in a build tree or an
 * install, else the user's LV2 bundle. */
#ifndef PIANOLA_MODEL_PATH_H
#define PIANOLA_MODEL_PATH_H

#include <stddef.h>

/* Fills path with the first model file found; returns 0, or -1 if none. */
int pnl_find_bundled_model(char *path, size_t size);

#endif
