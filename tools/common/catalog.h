/* The corpus and its catalog: where the corpus folder is, and which piece
 * is whose. catalog.tsv has a header line naming its columns; Pianola reads
 * four of them (source, composer, file, work), in whatever order they come,
 * and a fifth where it is there (instruments, the chamber corpus's).
 * pianola-tokenize reads it to write training data, pianola-stats to find a
 * composer's pieces. */
#ifndef PIANOLA_CATALOG_H
#define PIANOLA_CATALOG_H

#include <stddef.h>

#include "vocabulary.h"

typedef struct {
    char *source;   /* "mutopia", "piano-midi.de" */
    char *composer; /* as the vocabulary names composers: "mozart" */
    char *file;     /* the MIDI file, relative to the corpus folder */
    char *work;     /* pieces of one work share it: "mozart:K545" */
    /* The chamber corpus's `instruments`: one name per sounding track
     * ("violin;violin;viola;cello"); NULL where the catalog has no such
     * column (the piano corpus: every file one piano). */
    char *instruments;
} PnlCatalogPiece;

typedef struct {
    PnlCatalogPiece *pieces;
    size_t count;
} PnlCatalog;

/* Reads a catalog; lines that are empty or begin with '#' are skipped.
 * Returns 0, or -1 with `message` naming the file (and line) and what is
 * wrong; `catalog` then holds nothing. */
int pnl_catalog_read(const char *path, PnlCatalog *catalog, char *message, size_t message_size);
void pnl_catalog_free(PnlCatalog *catalog);

/* The kind of a catalog source: the engraving projects (Mutopia, OpenScore),
 * whose MIDI files sound printed dynamics, are engraved; the rest (piano-
 * midi.de's hand-played files) performed. */
PnlSourceKind pnl_catalog_source_kind(const char *source);

/* The corpus folder when none is given: $PIANOLA_CORPUS, else
 * ../shared/corpus from the current folder (the source tree), else
 * ../shared/corpus beside the source tree the program was built in. */
void pnl_default_corpus(char *path, size_t size);

#endif
