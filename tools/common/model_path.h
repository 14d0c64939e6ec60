/* Where the command-line programs find a bundled model when no --model is
 * given: $PIANOLA_MODEL (for the piano's), else beside the program in a
 * build tree or an install, else the user's LV2 bundle. */
#ifndef PIANOLA_MODEL_PATH_H
#define PIANOLA_MODEL_PATH_H

#include <stddef.h>

#include "engine.h" /* PNL_BUNDLED_PIANO_MODEL, PNL_BUNDLED_ENSEMBLE_MODEL */

/* Fills path with the first bundled file of that name found (
 * PNL_BUNDLED_PIANO_MODEL or PNL_BUNDLED_ENSEMBLE_MODEL, engine.h);
 * returns 0, or -1 if none. */
int pnl_find_bundled_model(const char *file, char *path, size_t size);

#endif
