/* What the command-line programs share in talking to a person: a failure is
 * one line on stderr, "PROGRAM: reason", and a non-zero exit. */
#ifndef PIANOLA_CLI_H
#define PIANOLA_CLI_H

/* Prints "program: <formatted reason>" and a newline to stderr; returns 1,
 * the exit status, so callers can `return pnl_cli_fail(...)`. */
int pnl_cli_fail(const char *program, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
