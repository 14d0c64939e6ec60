/* Writes the control ports of Pianola's TTL, in Turtle, from the port table
 * (plugin/ports.h) and its enumerations' choices. The build runs
 * it and puts what it prints where ttl/pianola.ttl.in says @CONTROL_PORTS@,
 * so the TTL a host reads and the ranges the plugin clamps to are one table.
 * With `midi`, the MIDI plugin's: the same rows less the piano's sound,
 * at the MIDI plugin's indices (plugin/variant.h), for ttl/pianola_midi.ttl.in.
 * With `parts`, Pianola (parts)'s: the controls and then its audio pair per
 * part, for ttl/pianola_parts.ttl.in; with `parts groups`, the port groups
 * those pairs belong to (a stereo group per part, named as the part).
 * With `ui`, the window's port notifications instead (ttl/pianola_ui.ttl.in):
 * the notify port and every control a person sets, so a control added to
 * the table reaches the window as well.
 *
 *   control_ports [midi | parts] [ui | groups] > ports.ttl */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plugin/ports.h"
#include "../plugin/variant.h"
#include "../src/parts.h"

/* A number as Turtle reads it back to the same double: integers plainly,
 * other values as decimals (120.0, 0.95) with the fewest digits that do. */
static void write_number(FILE *out, double value, int integer)
{
    if (integer) {
        fprintf(out, "%.0f", value);
        return;
    }
    char text[512];
    for (int decimals = 1; decimals <= 340; decimals++) {
        snprintf(text, sizeof text, "%.*f", decimals, value);
        if (strtod(text, NULL) == value)
            break;
    }
    fputs(text, out);
}

/* A Turtle string literal. */
static void write_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (; *text; text++) {
        if (*text == '"' || *text == '\\')
            fputc('\\', out);
        fputc(*text, out);
    }
    fputc('"', out);
}

static const char *property_list(PnlControlKind kind)
{
    switch (kind) {
    case PNL_CONTROL_FLOAT: return NULL;
    case PNL_CONTROL_INTEGER: return "lv2:integer";
    case PNL_CONTROL_TOGGLE: return "lv2:integer , lv2:toggled";
    case PNL_CONTROL_TRIGGER: return "lv2:integer , lv2:toggled , pprop:trigger";
    case PNL_CONTROL_ENUMERATION: return "lv2:integer , lv2:enumeration";
    case PNL_CONTROL_FREEWHEEL: return "lv2:toggled , pprop:notOnGUI";
    }
    return NULL;
}

static const char *unit_name(PnlControlUnit unit)
{
    switch (unit) {
    case PNL_UNIT_NONE: return NULL;
    case PNL_UNIT_COEF: return "units:coef";
    case PNL_UNIT_BPM: return "units:bpm";
    case PNL_UNIT_DB: return "units:db";
    case PNL_UNIT_MIDI_NOTE: return "units:midiNote";
    }
    return NULL;
}

/* An enumeration's choices, as scale points valued 0, 1, 2, ... */
static int write_scale_points(FILE *out, int port)
{
    int count = pnl_control_choice_count(port);
    if (count == 0) {
        fprintf(stderr, "control_ports: the enumeration '%s' has no choices; give them in "
                        "pnl_control_choice_text() (plugin/ports.h)\n",
                pnl_control_spec(port)->symbol);
        return -1;
    }
    for (int choice = 0; choice < count; choice++) {
        fprintf(out, "%s[ rdfs:label ", choice ? " ,\n                       "
                                                : " ;\n        lv2:scalePoint ");
        write_string(out, pnl_control_choice_label(port, choice));
        fprintf(out, " ; rdf:value %d ]", choice);
    }
    return 0;
}

static int write_port(FILE *out, PnlVariant variant, int port, int first)
{
    const PnlControlSpec *spec = pnl_control_spec(port);
    int integer = spec->kind != PNL_CONTROL_FLOAT;
    fprintf(out, "%s        a lv2:InputPort , lv2:ControlPort ;\n", first ? "    [\n" : " , [\n");
    fprintf(out, "        lv2:index %d ;\n        lv2:symbol ",
            pnl_variant_host_index(variant, port));
    write_string(out, spec->symbol);
    fprintf(out, " ;\n        lv2:name ");
    write_string(out, spec->name);
    if (spec->comment[0]) {
        fprintf(out, " ;\n        rdfs:comment ");
        write_string(out, spec->comment);
    }
    if (spec->kind == PNL_CONTROL_FREEWHEEL)
        fprintf(out, " ;\n        lv2:designation lv2:freeWheeling");
    fprintf(out, " ;\n        lv2:default ");
    write_number(out, spec->default_value, integer);
    fprintf(out, " ;\n        lv2:minimum ");
    write_number(out, spec->minimum, integer);
    fprintf(out, " ;\n        lv2:maximum ");
    write_number(out, spec->maximum, integer);
    if (unit_name(spec->unit))
        fprintf(out, " ;\n        units:unit %s", unit_name(spec->unit));
    if (property_list(spec->kind))
        fprintf(out, " ;\n        lv2:portProperty %s", property_list(spec->kind));
    if (spec->kind == PNL_CONTROL_ENUMERATION && write_scale_points(out, port) != 0)
        return -1;
    fprintf(out, "\n    ]");
    return 0;
}

/* A part's stereo group: its URI is the plugin's with #<role>_out. */
static void write_part_group(FILE *out, int part)
{
    const PnlPartRole *role = pnl_part_role(part);
    fprintf(out, "<@PLUGIN_URI@#%s_out>\n    a pg:StereoGroup , pg:OutputGroup ;\n", role->name);
    fprintf(out, "    lv2:symbol \"%s_out\" ;\n    rdfs:label ", role->name);
    write_string(out, role->label);
    fprintf(out, " .\n\n");
}

/* One side of a part's audio pair in Pianola (parts). */
static void write_part_audio_port(FILE *out, PnlVariant variant, int port, int first)
{
#define PART_AUDIO_ROW(id, index, symbol, part, side) [index] = {symbol, part, side},
    static const struct {
        const char *symbol;
        int part, side;
    } rows[PNL_PORT_COUNT] = {PNL_PART_AUDIO_PORTS(PART_AUDIO_ROW)};
#undef PART_AUDIO_ROW
    const PnlPartRole *role = pnl_part_role(rows[port].part);
    char name[64];
    snprintf(name, sizeof name, "%s %s", role->label, rows[port].side ? "right" : "left");
    fprintf(out, "%s        a lv2:OutputPort , lv2:AudioPort ;\n", first ? "    [\n" : " , [\n");
    fprintf(out, "        lv2:index %d ;\n        lv2:symbol ", pnl_variant_host_index(variant, port));
    write_string(out, rows[port].symbol);
    fprintf(out, " ;\n        lv2:name ");
    write_string(out, name);
    fprintf(out, " ;\n        pg:group <@PLUGIN_URI@#%s_out> ;\n", role->name);
    fprintf(out, "        lv2:designation pg:%s\n    ]", rows[port].side ? "right" : "left");
}

/* One ui:portNotification object; the build puts the plugin's URI where
 * @PLUGIN_URI@ stands. */
static void write_notification(FILE *out, PnlVariant variant, int port, const char *protocol,
                               int first)
{
    fprintf(out, "%s        ui:plugin <@PLUGIN_URI@> ;\n", first ? "    [\n" : " , [\n");
    fprintf(out, "        ui:portIndex %d ;\n", pnl_variant_host_index(variant, port));
    fprintf(out, "        ui:protocol %s\n    ]", protocol);
}

int main(int argc, char **argv)
{
    PnlVariant variant = PNL_VARIANT_PIANO;
    int notifications = 0, groups = 0;
    for (int arg = 1; arg < argc; arg++) {
        if (!strcmp(argv[arg], "midi")) {
            variant = PNL_VARIANT_MIDI;
        } else if (!strcmp(argv[arg], "parts")) {
            variant = PNL_VARIANT_PARTS;
        } else if (!strcmp(argv[arg], "ui")) {
            notifications = 1;
        } else if (!strcmp(argv[arg], "groups")) {
            groups = 1;
        } else {
            fprintf(stderr, "usage: control_ports [midi | parts] [ui | groups] > ports.ttl\n");
            return 2;
        }
    }
    if (groups) {
        if (pnl_variant_has_port(variant, PNL_PORT_PIANO_LEFT))
            for (int part = 0; part < PNL_PART_COUNT; part++)
                write_part_group(stdout, part);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    }
#define STREAM_PORT(id, index, symbol) [index] = 1,
    static const char is_stream[PNL_PORT_COUNT] = {PNL_STREAM_PORTS(STREAM_PORT)};
#undef STREAM_PORT
    int first = 1;
    if (notifications) {
        write_notification(stdout, variant, PNL_PORT_NOTIFY_OUT, "atom:eventTransfer", first);
        first = 0;
    }
    for (int port = 0; port < PNL_PORT_COUNT; port++) {
        if (is_stream[port] || !pnl_variant_has_port(variant, port))
            continue;
        if (pnl_port_is_part_audio(port)) { /* audio: no notification */
            if (!notifications) {
                write_part_audio_port(stdout, variant, port, first);
                first = 0;
            }
            continue;
        }
        if (!pnl_control_spec(port)) {
            fprintf(stderr, "control_ports: no port has index %d (plugin/ports.h)\n", port);
            return 1;
        }
        if (notifications) {
            if (pnl_control_spec(port)->kind != PNL_CONTROL_FREEWHEEL)
                write_notification(stdout, variant, port, "ui:floatProtocol", first);
        } else if (write_port(stdout, variant, port, first) != 0) {
            return 1;
        }
        first = 0;
    }
    fputc('\n', stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
