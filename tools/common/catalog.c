/* Reading the corpus catalog; see catalog.h. */
#include "catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *copy_string(const char *text)
{
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    if (copy)
        memcpy(copy, text, length + 1);
    return copy;
}

/* Splits a TSV line in place into at most `max` fields. */
static int split_fields(char *line, char **fields, int max)
{
    int count = 0;
    line[strcspn(line, "\r\n")] = '\0';
    fields[count++] = line;
    for (char *at = line; *at && count < max; at++)
        if (*at == '\t') {
            *at = '\0';
            fields[count++] = at + 1;
        }
    return count;
}

static int fail(FILE *file, PnlCatalog *catalog, char *message, size_t message_size,
                const char *why)
{
    fclose(file);
    pnl_catalog_free(catalog);
    snprintf(message, message_size, "%s", why);
    return -1;
}

int pnl_catalog_read(const char *path, PnlCatalog *catalog, char *message, size_t message_size)
{
    FILE *file = fopen(path, "r");
    char line[8192], why[8192 + 256];
    char *fields[64];
    int column_source = -1, column_composer = -1, column_file = -1, column_work = -1;
    int column_instruments = -1;
    int columns;
    size_t capacity = 0, line_number = 1;
    memset(catalog, 0, sizeof *catalog);
    if (!file) {
        snprintf(message, message_size, "%s: cannot open the catalog: %s", path,
                 strerror(errno));
        return -1;
    }
    if (!fgets(line, sizeof line, file)) {
        snprintf(why, sizeof why, "%s: the catalog is empty", path);
        return fail(file, catalog, message, message_size, why);
    }
    columns = split_fields(line, fields, 64);
    for (int i = 0; i < columns; i++) {
        if (!strcmp(fields[i], "source")) column_source = i;
        if (!strcmp(fields[i], "composer")) column_composer = i;
        if (!strcmp(fields[i], "file")) column_file = i;
        if (!strcmp(fields[i], "work")) column_work = i;
        if (!strcmp(fields[i], "instruments")) column_instruments = i;
    }
    if (column_source < 0 || column_composer < 0 || column_file < 0 || column_work < 0) {
        snprintf(why, sizeof why,
                 "%s: the catalog's header lacks one of the columns source, composer, file, work",
                 path);
        return fail(file, catalog, message, message_size, why);
    }
    while (fgets(line, sizeof line, file)) {
        int count;
        PnlCatalogPiece *piece;
        line_number++;
        if (line[0] == '\n' || line[0] == '\0' || line[0] == '#')
            continue;
        count = split_fields(line, fields, 64);
        if (count <= column_source || count <= column_composer || count <= column_file ||
            count <= column_work) {
            snprintf(why, sizeof why, "%s:%zu: the row has only %d columns", path, line_number,
                     count);
            return fail(file, catalog, message, message_size, why);
        }
        if (catalog->count == capacity) {
            PnlCatalogPiece *grown;
            capacity = capacity ? capacity * 2 : 512;
            grown = realloc(catalog->pieces, capacity * sizeof *grown);
            if (!grown)
                return fail(file, catalog, message, message_size, "out of memory");
            catalog->pieces = grown;
        }
        piece = &catalog->pieces[catalog->count++];
        piece->source = copy_string(fields[column_source]);
        piece->composer = copy_string(fields[column_composer]);
        piece->file = copy_string(fields[column_file]);
        piece->work = copy_string(fields[column_work]);
        piece->instruments = column_instruments >= 0 && count > column_instruments
                                 ? copy_string(fields[column_instruments])
                                 : NULL;
        if (!piece->source || !piece->composer || !piece->file || !piece->work ||
            (column_instruments >= 0 && count > column_instruments && !piece->instruments))
            return fail(file, catalog, message, message_size, "out of memory");
    }
    fclose(file);
    return 0;
}

void pnl_catalog_free(PnlCatalog *catalog)
{
    for (size_t i = 0; i < catalog->count; i++) {
        free(catalog->pieces[i].source);
        free(catalog->pieces[i].composer);
        free(catalog->pieces[i].file);
        free(catalog->pieces[i].work);
        free(catalog->pieces[i].instruments);
    }
    free(catalog->pieces);
    catalog->pieces = NULL;
    catalog->count = 0;
}

static int has_catalog(const char *folder)
{
    char path[4096 + 16];
    struct stat info;
    snprintf(path, sizeof path, "%s/catalog.tsv", folder);
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

void pnl_default_corpus(char *path, size_t size)
{
    const char *variable = getenv("PIANOLA_CORPUS");
    char self[2048];
    ssize_t length;
    if (variable && *variable) {
        snprintf(path, size, "%s", variable);
        return;
    }
    snprintf(path, size, "../shared/corpus");
    if (has_catalog(path))
        return;
    /* A program in the build tree (SRC/build/) or beside it. */
    length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (length <= 0)
        return;
    self[length] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    char beside[4096];
    snprintf(beside, sizeof beside, "%s/../../shared/corpus", self);
    if (has_catalog(beside))
        snprintf(path, size, "%s", beside);
}

PnlSourceKind pnl_catalog_source_kind(const char *source)
{
    static const char *const engraving_projects[] = {"mutopia", "openscore"};
    for (size_t i = 0; i < sizeof engraving_projects / sizeof engraving_projects[0]; i++)
        if (source && !strcmp(source, engraving_projects[i]))
            return PNL_SOURCE_ENGRAVED;
    return PNL_SOURCE_PERFORMED;
}
