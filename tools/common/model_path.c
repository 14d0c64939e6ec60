/* Finding the bundled models for pianola-generate and pianola-score. */
#include "model_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int file_exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

int pnl_find_bundled_model(const char *file, char *path, size_t size)
{
    const char *variable = getenv("PIANOLA_MODEL");
    if (variable && *variable && !strcmp(file, PNL_BUNDLED_PIANO_MODEL)) {
        snprintf(path, size, "%s", variable);
        return 0;
    }
    char self[2048]; /* leaves room for the suffixes below in a 4096-byte path */
    ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (length <= 0)
        return -1;
    self[length] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    /* The build tree's bundle, the source tree, then an install's share/ or LV2 bundle. */
    static const char *const beside[] = {
        "pianola.lv2/models/", "../models/", "../share/pianola/", "../lib/lv2/pianola.lv2/models/",
    };
    for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
        snprintf(path, size, "%s/%s%s", self, beside[i], file);
        if (file_exists(path))
            return 0;
    }
    const char *home = getenv("HOME");
    if (home) {
        snprintf(path, size, "%s/.lv2/pianola.lv2/models/%s", home, file);
        if (file_exists(path))
            return 0;
    }
    return -1;
}
