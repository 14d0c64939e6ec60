/* One-line failures for the command-line programs. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

int pnl_cli_fail(const char *program, const char *format, ...)
{
    va_list args;
    fprintf(stderr, "%s: ", program);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    return 1;
}
