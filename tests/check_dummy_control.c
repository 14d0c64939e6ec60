/* Adding a control is one row in plugin/ports.h. The build compiles this
 * test, the TTL writer (ttl/control_ports.c) and pianola-render once more
 * with a dummy row added to the table (DUMMY_CONTROL in the wscript), and
 * this test finds the dummy, with its range and default, in what they give:
 * a port of the TTL, a port notification of the window's TTL, an option of
 * pianola-render with its --help line, and that option's range check. The plugin and the window take every range and
 * default from the same table by port (pnl_control_spec), and the TTL test
 * (test_control_ports.c) compares the real TTL with it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#include "../plugin/ports.h"
#include "../plugin/variant.h"

enum { OUTPUT_SIZE = 65536 };

/* The build folder of the dummy-control programs. */
static void dummy_path(const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/tests/dummy-control/%s", check_env("PIANOLA_BUILD", "."), name);
}

/* What `command` prints (stdout and stderr), and its exit status. */
static int run(const char *command, char *output, size_t size)
{
    output[0] = '\0';
    FILE *pipe = popen(command, "r");
    if (!pipe)
        return -1;
    size_t length = fread(output, 1, size - 1, pipe);
    output[length] = '\0';
    return pclose(pipe);
}

static void format_number(double value, char *text, size_t size)
{
    snprintf(text, size, "%.10g", value);
}

static void test_the_dummy_is_in_the_table(void)
{
    const PnlControlSpec *spec = pnl_control_spec(PNL_PORT_DUMMY);
    CHECK(spec && !strcmp(spec->symbol, "dummy_control"),
          "expected the dummy control at port %d of this build's table", PNL_PORT_DUMMY);
    CHECK(PNL_PORT_COUNT == PNL_PORT_DUMMY + 1, "expected the dummy last, port %d of %d",
          PNL_PORT_DUMMY, PNL_PORT_COUNT);
}

static void test_the_written_ttl_has_the_dummy_port(void)
{
    const PnlControlSpec *spec = pnl_control_spec(PNL_PORT_DUMMY);
    char path[4096], ttl[OUTPUT_SIZE];
    dummy_path("control_ports.ttl", path, sizeof path);
    FILE *file = fopen(path, "r");
    CHECK(file, "cannot read %s, the dummy build's control ports", path);
    size_t length = fread(ttl, 1, sizeof ttl - 1, file);
    ttl[length] = '\0';
    fclose(file);

    char expected[512];
    snprintf(expected, sizeof expected, "lv2:index %d ;\n        lv2:symbol \"%s\"",
             pnl_variant_host_index(PNL_VARIANT_PIANO, PNL_PORT_DUMMY), spec->symbol);
    const char *block = strstr(ttl, expected);
    CHECK(block, "expected a port block with '%s' in %s", expected, path);
    char minimum[32], value[32], maximum[32];
    format_number(spec->minimum, minimum, sizeof minimum);
    format_number(spec->default_value, value, sizeof value);
    format_number(spec->maximum, maximum, sizeof maximum);
    const char *end = strchr(block, ']');
    CHECK(end, "the dummy's port block does not end");
    const struct {
        const char *predicate, *number;
    } range[] = {{"lv2:minimum ", minimum}, {"lv2:default ", value}, {"lv2:maximum ", maximum}};
    for (size_t i = 0; i < 3; i++) {
        const char *at = strstr(block, range[i].predicate);
        CHECK(at && at < end, "the dummy's port has no %s", range[i].predicate);
        double written = strtod(at + strlen(range[i].predicate), NULL);
        CHECK(written == strtod(range[i].number, NULL), "the dummy's %s is %g, expected %s",
              range[i].predicate, written, range[i].number);
    }
}

static void test_the_window_is_notified_of_the_dummy(void)
{
    char path[4096], ttl[OUTPUT_SIZE];
    dummy_path("ui_notifications.ttl", path, sizeof path);
    FILE *file = fopen(path, "r");
    CHECK(file, "cannot read %s, the dummy build's port notifications", path);
    size_t length = fread(ttl, 1, sizeof ttl - 1, file);
    ttl[length] = '\0';
    fclose(file);

    char expected[512];
    snprintf(expected, sizeof expected, "ui:portIndex %d ;\n        ui:protocol ui:floatProtocol",
             pnl_variant_host_index(PNL_VARIANT_PIANO, PNL_PORT_DUMMY));
    CHECK(strstr(ttl, expected), "expected a notification with '%s' in %s", expected, path);
}

static void test_render_has_an_option_for_the_dummy(void)
{
    const PnlControlSpec *spec = pnl_control_spec(PNL_PORT_DUMMY);
    char render[4096], command[8192], output[OUTPUT_SIZE];
    dummy_path("pianola-render", render, sizeof render);
    snprintf(command, sizeof command, "'%s' --help 2>&1", render);
    CHECK(run(command, output, sizeof output) == 0, "%s failed: %s", command, output);
    char expected[256];
    snprintf(expected, sizeof expected, "--dummy-control X");
    const char *line = strstr(output, expected);
    CHECK(line, "expected '%s' in pianola-render --help:\n%s", expected, output);
    char range[128];
    snprintf(range, sizeof range, "%.10g .. %.10g [%.10g]", spec->minimum, spec->maximum,
             spec->default_value);
    const char *found = strstr(line, range);
    CHECK(found && !memchr(line, '\n', (size_t)(found - line)),
          "expected the dummy's range and default '%s' on its --help line", range);

    /* A value above the table's maximum is refused, naming the range. */
    char too_high[32];
    format_number(spec->maximum + 1, too_high, sizeof too_high);
    snprintf(command, sizeof command, "'%s' -o /nonexistent/never.wav --dummy-control %s 2>&1",
             render, too_high);
    int status = run(command, output, sizeof output);
    snprintf(expected, sizeof expected, "--dummy-control: %s is outside %.10g .. %.10g",
             too_high, spec->minimum, spec->maximum);
    CHECK(status != 0 && strstr(output, expected), "expected '%s' from %s; got status %d: %s",
          expected, command, status, output);
}

int main(void)
{
    RUN_TEST(test_the_dummy_is_in_the_table);
    RUN_TEST(test_the_written_ttl_has_the_dummy_port);
    RUN_TEST(test_the_window_is_notified_of_the_dummy);
    RUN_TEST(test_render_has_an_option_for_the_dummy);
    CHECK_EXIT();
}
