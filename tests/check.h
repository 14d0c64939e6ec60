/* Pianola's tiny test harness. Each test program runs its test functions
 * through RUN_TEST; every test prints "PASS name" or "FAIL name: why", the
 * lines `./waf test` counts. CHECK fails the current test with a message
 * saying what was expected and what came. */
#ifndef PIANOLA_TESTS_CHECK_H
#define PIANOLA_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed;
static int check_failures_total;

#define CHECK(condition, ...)                                             \
    do {                                                                  \
        if (!(condition)) {                                               \
            if (!check_failed) {                                          \
                printf("FAIL %s: %s:%d: ", check_current_test, __FILE__, __LINE__); \
                printf(__VA_ARGS__);                                      \
                printf("\n");                                             \
            }                                                             \
            check_failed = 1;                                             \
            return;                                                       \
        }                                                                 \
    } while (0)

static const char *check_current_test = "";

#define RUN_TEST(function)                                                \
    do {                                                                  \
        check_current_test = #function;                                   \
        check_failed = 0;                                                 \
        function();                                                       \
        if (check_failed)                                                 \
            check_failures_total++;                                       \
        else                                                              \
            printf("PASS %s\n", #function);                               \
        fflush(stdout);                                                   \
    } while (0)

#define CHECK_EXIT() return check_failures_total ? 1 : 0

/* Environment the test runner sets (see wscript): source tree, build tree and
 * the training corpus beside the repository. */
static inline const char *check_env(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return value && *value ? value : fallback;
}

#endif
