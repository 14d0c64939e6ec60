/* The built plugins' TTL, read through lilv as a host reads it, against the
 * port table (plugin/ports.h) and the composer list (src/composers.h) that
 * the build wrote it from: port by port, index, symbol, name, range,
 * default, properties, unit and the enumerations' choices. Every plugin of
 * the bundle, Pianola (MIDI) and Pianola (parts) at their own indices
 * (plugin/variant.h), the parts' audio pairs with their port groups. */
#include <lilv/lilv.h>
#include <lv2/core/lv2.h>
#include <lv2/port-props/port-props.h>
#include <lv2/units/units.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#include "../plugin/ports.h"
#include "../plugin/uris.h"
#include "../plugin/variant.h"

#define RDFS_COMMENT "http://www.w3.org/2000/01/rdf-schema#comment"

static LilvWorld *world;
/* The plugin under test, and which it is. */
static const LilvPlugin *plugin;
static PnlVariant variant;
static const char *plugin_uri;

static LilvNode *uri(const char *text)
{
    return lilv_new_uri(world, text);
}

static int port_has_property(const LilvPort *port, const char *property)
{
    LilvNode *node = uri(property);
    int has = lilv_port_has_property(plugin, port, node);
    lilv_node_free(node);
    return has;
}

/* The port's single value of `predicate` as text, or "" when it has none. */
static void port_value_text(const LilvPort *port, const char *predicate, char *text, size_t size)
{
    LilvNode *node = uri(predicate);
    LilvNodes *values = lilv_port_get_value(plugin, port, node);
    lilv_node_free(node);
    text[0] = '\0';
    if (values && lilv_nodes_size(values) == 1) {
        const LilvNode *value = lilv_nodes_get_first(values);
        snprintf(text, size, "%s", lilv_node_is_uri(value) ? lilv_node_as_uri(value)
                                                            : lilv_node_as_string(value));
    }
    lilv_nodes_free(values);
}

static void test_plugin_is_found(void)
{
    CHECK(plugin, "lilv finds no plugin %s on LV2_PATH=%s", plugin_uri,
          check_env("LV2_PATH", "(unset)"));
    CHECK((int)lilv_plugin_get_num_ports(plugin) == pnl_variant_port_count(variant),
          "%s: expected %d ports (plugin/ports.h), the TTL has %u", plugin_uri,
          pnl_variant_port_count(variant), lilv_plugin_get_num_ports(plugin));
}

static void test_stream_ports_match_the_table(void)
{
    CHECK(plugin, "no plugin");
    static const struct {
        int index;
        const char *symbol;
    } streams[] = {
#define STREAM_PORT(id, index, symbol) {index, symbol},
#define PART_AUDIO_PORT(id, index, symbol, part, side) {index, symbol},
        PNL_STREAM_PORTS(STREAM_PORT) PNL_PART_AUDIO_PORTS(PART_AUDIO_PORT)
#undef STREAM_PORT
#undef PART_AUDIO_PORT
    };
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        int index = pnl_variant_host_index(variant, streams[i].index);
        if (index < 0)
            continue;
        const LilvPort *port = lilv_plugin_get_port_by_index(plugin, (uint32_t)index);
        CHECK(port, "the TTL has no port %d", index);
        const char *symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, port));
        CHECK(!strcmp(symbol, streams[i].symbol),
              "port %d: expected symbol '%s', the TTL says '%s'", streams[i].index,
              streams[i].symbol, symbol);
        LilvNode *control = uri(LV2_CORE__ControlPort);
        int is_control = lilv_port_is_a(plugin, port, control);
        lilv_node_free(control);
        CHECK(!is_control, "port %d (%s) is a control port in the TTL", streams[i].index, symbol);
    }
}

static void test_every_control_port_matches_the_table(void)
{
    CHECK(plugin, "no plugin");
    LilvNode *control = uri(LV2_CORE__ControlPort), *input = uri(LV2_CORE__InputPort);
    int controls = 0;
    for (int table_port = 0; table_port < PNL_PORT_COUNT; table_port++) {
        int index = pnl_variant_host_index(variant, table_port);
        if (index < 0)
            continue;
        const PnlControlSpec *spec = pnl_control_spec(table_port);
        const LilvPort *port = lilv_plugin_get_port_by_index(plugin, (uint32_t)index);
        CHECK(port, "the TTL has no port %d", index);
        int is_control = lilv_port_is_a(plugin, port, control);
        CHECK(is_control == (spec != NULL), "port %d: the table says %s, the TTL says %s", index,
              spec ? "a control" : "a stream", is_control ? "a control" : "not a control");
        if (!spec)
            continue;
        controls++;
        CHECK(lilv_port_is_a(plugin, port, input), "port %d (%s) is not an input", index,
              spec->symbol);
        const char *symbol = lilv_node_as_string(lilv_port_get_symbol(plugin, port));
        CHECK(!strcmp(symbol, spec->symbol), "port %d: expected symbol '%s', the TTL says '%s'",
              index, spec->symbol, symbol);
        LilvNode *name = lilv_port_get_name(plugin, port);
        int same_name = name && !strcmp(lilv_node_as_string(name), spec->name);
        lilv_node_free(name);
        CHECK(same_name, "port %s: expected the name '%s'", spec->symbol, spec->name);

        LilvNode *def = NULL, *min = NULL, *max = NULL;
        lilv_port_get_range(plugin, port, &def, &min, &max);
        float got[3] = {def ? lilv_node_as_float(def) : NAN, min ? lilv_node_as_float(min) : NAN,
                        max ? lilv_node_as_float(max) : NAN};
        lilv_node_free(def);
        lilv_node_free(min);
        lilv_node_free(max);
        /* Hosts hold port values as floats: the table's, as floats, exactly. */
        CHECK(got[0] == (float)spec->default_value && got[1] == (float)spec->minimum &&
                  got[2] == (float)spec->maximum,
              "port %s: expected default %g, range %g .. %g; the TTL gives %g, %g .. %g",
              spec->symbol, spec->default_value, spec->minimum, spec->maximum, got[0], got[1],
              got[2]);

        int integer = spec->kind == PNL_CONTROL_INTEGER || spec->kind == PNL_CONTROL_TOGGLE ||
                      spec->kind == PNL_CONTROL_TRIGGER || spec->kind == PNL_CONTROL_ENUMERATION;
        int toggled = spec->kind == PNL_CONTROL_TOGGLE || spec->kind == PNL_CONTROL_TRIGGER ||
                      spec->kind == PNL_CONTROL_FREEWHEEL;
        const struct {
            const char *property;
            int expected;
        } properties[] = {
            {LV2_CORE__integer, integer},
            {LV2_CORE__toggled, toggled},
            {LV2_CORE__enumeration, spec->kind == PNL_CONTROL_ENUMERATION},
            {LV2_PORT_PROPS__trigger, spec->kind == PNL_CONTROL_TRIGGER},
            {LV2_PORT_PROPS__notOnGUI, spec->kind == PNL_CONTROL_FREEWHEEL},
        };
        for (size_t p = 0; p < sizeof properties / sizeof properties[0]; p++)
            CHECK(port_has_property(port, properties[p].property) == properties[p].expected,
                  "port %s: expected %s %s", spec->symbol,
                  properties[p].expected ? "the property" : "no property", properties[p].property);

        char text[512];
        port_value_text(port, LV2_CORE__designation, text, sizeof text);
        CHECK(!strcmp(text, spec->kind == PNL_CONTROL_FREEWHEEL ? LV2_CORE__freeWheeling : ""),
              "port %s: unexpected designation '%s'", spec->symbol, text);
        static const char *const units[] = {[PNL_UNIT_NONE] = "", [PNL_UNIT_COEF] = LV2_UNITS__coef,
                                            [PNL_UNIT_BPM] = LV2_UNITS__bpm,
                                            [PNL_UNIT_DB] = LV2_UNITS__db,
                                            [PNL_UNIT_MIDI_NOTE] = LV2_UNITS__midiNote};
        port_value_text(port, LV2_UNITS__unit, text, sizeof text);
        CHECK(!strcmp(text, units[spec->unit]), "port %s: expected unit '%s', the TTL has '%s'",
              spec->symbol, units[spec->unit], text);
        port_value_text(port, RDFS_COMMENT, text, sizeof text);
        CHECK(!strcmp(text, spec->comment), "port %s: expected the comment '%s', the TTL has '%s'",
              spec->symbol, spec->comment, text);
    }
    lilv_node_free(control);
    lilv_node_free(input);
    CHECK(controls > 0, "the table has no controls");
}

/* Whether the TTL's scale points of `port` are `labels`, valued 0, 1, ... */
static void check_choices(int port, const char *const *labels, int choice_count,
                          const char *source)
{
    CHECK(plugin, "no plugin");
    const LilvPort *lilv_port = lilv_plugin_get_port_by_index(
        plugin, (uint32_t)pnl_variant_host_index(variant, port));
    CHECK(lilv_port, "no port %d", port);
    LilvScalePoints *points = lilv_port_get_scale_points(plugin, lilv_port);
    int count = points ? (int)lilv_scale_points_size(points) : 0;
    int matched = 0;
    LILV_FOREACH (scale_points, i, points) {
        const LilvScalePoint *point = lilv_scale_points_get(points, i);
        float value = lilv_node_as_float(lilv_scale_point_get_value(point));
        const char *label = lilv_node_as_string(lilv_scale_point_get_label(point));
        int choice = (int)value;
        if ((float)choice == value && choice >= 0 && choice < choice_count &&
            !strcmp(label, labels[choice]))
            matched++;
        else
            printf("# unexpected scale point %g '%s'\n", value, label);
    }
    lilv_scale_points_free(points);
    CHECK(count == choice_count && matched == count,
          "expected the %d choices of %s as scale points 0..%d; the TTL has %d, %d of them "
          "matching", choice_count, source, choice_count - 1, count, matched);
}

static void test_composer_choices_are_the_composer_list(void)
{
    static const char *const labels[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_LABEL)};
    check_choices(PNL_PORT_COMPOSER, labels, PNL_COMPOSER_CHOICE_COUNT, "src/composers.h");
}

static void test_key_choices_are_automatic_and_the_24_keys(void)
{
    static const char *const labels[] = {PNL_KEY_CHOICES(PNL_CHOICE_LABEL)};
    CHECK(PNL_KEY_CHOICE_COUNT == 25, "expected 25 Key choices, got %d", PNL_KEY_CHOICE_COUNT);
    check_choices(PNL_PORT_KEY, labels, PNL_KEY_CHOICE_COUNT, "PNL_KEY_CHOICES");
}

static void test_dynamics_choices_are_as_composed_and_pp_to_ff(void)
{
    static const char *const labels[] = {PNL_DYNAMICS_CHOICES(PNL_CHOICE_LABEL)};
    check_choices(PNL_PORT_DYNAMICS, labels, PNL_DYNAMICS_CHOICE_COUNT, "PNL_DYNAMICS_CHOICES");
}

static void test_density_choices_are_automatic_and_the_five_steps(void)
{
    static const char *const labels[] = {PNL_DENSITY_CHOICES(PNL_CHOICE_LABEL)};
    CHECK(PNL_DENSITY_CHOICE_COUNT == 1 + PNL_DENSITY_COUNT,
          "expected Automatic and %d steps, got %d choices", PNL_DENSITY_COUNT,
          PNL_DENSITY_CHOICE_COUNT);
    check_choices(PNL_PORT_DENSITY, labels, PNL_DENSITY_CHOICE_COUNT, "PNL_DENSITY_CHOICES");
}

static void select_plugin(PnlVariant which)
{
    variant = which;
    plugin_uri = which == PNL_VARIANT_MIDI    ? PIANOLA_MIDI_URI
                 : which == PNL_VARIANT_PARTS ? PIANOLA_PARTS_URI
                                              : PIANOLA_URI;
    LilvNode *node = uri(plugin_uri);
    plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), node);
    lilv_node_free(node);
}

/* The same checks on Pianola (MIDI): its ports are the table's less the
 * piano's sound, renumbered. */
static void test_the_midi_plugins_ports_match_the_table(void)
{
    select_plugin(PNL_VARIANT_MIDI);
    void (*const checks[])(void) = {test_plugin_is_found, test_stream_ports_match_the_table,
                                    test_every_control_port_matches_the_table,
                                    test_composer_choices_are_the_composer_list,
                                    test_key_choices_are_automatic_and_the_24_keys,
                                    test_dynamics_choices_are_as_composed_and_pp_to_ff,
                                    test_density_choices_are_automatic_and_the_five_steps};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0] && !check_failed; i++)
        checks[i]();
    select_plugin(PNL_VARIANT_PIANO);
}

/* Pianola (parts): each part's pair is a stereo output group named as the
 * part, left and right designated, so a host names the tracks it records. */
static void test_the_parts_pairs_are_stereo_groups_named_as_the_parts(void)
{
    CHECK(plugin, "no plugin");
    LilvNode *group_predicate = uri("http://lv2plug.in/ns/ext/port-groups#group");
    LilvNode *designation = uri(LV2_CORE__designation);
    LilvNode *label = uri("http://www.w3.org/2000/01/rdf-schema#label");
    LilvNode *audio = uri(LV2_CORE__AudioPort), *output = uri(LV2_CORE__OutputPort);
    static const struct {
        int index, part, side;
    } pairs[] = {
#define PART_AUDIO_PORT(id, index, symbol, part, side) {index, part, side},
        PNL_PART_AUDIO_PORTS(PART_AUDIO_PORT)
#undef PART_AUDIO_PORT
    };
    char problem[512] = "";
    for (size_t i = 0; !problem[0] && i < sizeof pairs / sizeof pairs[0]; i++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(
            plugin, (uint32_t)pnl_variant_host_index(variant, pairs[i].index));
        LilvNodes *groups = port ? lilv_port_get_value(plugin, port, group_predicate) : NULL;
        LilvNodes *sides = port ? lilv_port_get_value(plugin, port, designation) : NULL;
        const LilvNode *group = groups ? lilv_nodes_get_first(groups) : NULL;
        LilvNode *name = group ? lilv_world_get(world, group, label, NULL) : NULL;
        const char *side = sides && lilv_nodes_size(sides) == 1
                               ? lilv_node_as_uri(lilv_nodes_get_first(sides))
                               : "";
        const char *wanted_side = pairs[i].side ? "port-groups#right" : "port-groups#left";
        const PnlPartRole *role = pnl_part_role(pairs[i].part);
        if (!port || !lilv_port_is_a(plugin, port, audio) || !lilv_port_is_a(plugin, port, output))
            snprintf(problem, sizeof problem, "table port %d is no audio output", pairs[i].index);
        else if (!name || strcmp(lilv_node_as_string(name), role->label))
            snprintf(problem, sizeof problem, "table port %d: expected the group '%s', got '%s'",
                     pairs[i].index, role->label, name ? lilv_node_as_string(name) : "none");
        else if (!strstr(side, wanted_side))
            snprintf(problem, sizeof problem, "table port %d: expected the designation %s, "
                     "got '%s'", pairs[i].index, wanted_side, side);
        lilv_node_free(name);
        lilv_nodes_free(groups);
        lilv_nodes_free(sides);
    }
    lilv_node_free(group_predicate);
    lilv_node_free(designation);
    lilv_node_free(label);
    lilv_node_free(audio);
    lilv_node_free(output);
    CHECK(!problem[0], "%s", problem);
}

/* The same checks on Pianola (parts): the piano's ports less its mix, with
 * a pair per part after the controls. */
static void test_the_parts_plugins_ports_match_the_table(void)
{
    select_plugin(PNL_VARIANT_PARTS);
    void (*const checks[])(void) = {test_plugin_is_found, test_stream_ports_match_the_table,
                                    test_every_control_port_matches_the_table,
                                    test_composer_choices_are_the_composer_list,
                                    test_the_parts_pairs_are_stereo_groups_named_as_the_parts};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0] && !check_failed; i++)
        checks[i]();
    select_plugin(PNL_VARIANT_PIANO);
}

int main(void)
{
    world = lilv_world_new();
    lilv_world_load_all(world);
    select_plugin(PNL_VARIANT_PIANO);
    RUN_TEST(test_plugin_is_found);
    RUN_TEST(test_stream_ports_match_the_table);
    RUN_TEST(test_every_control_port_matches_the_table);
    RUN_TEST(test_composer_choices_are_the_composer_list);
    RUN_TEST(test_key_choices_are_automatic_and_the_24_keys);
    RUN_TEST(test_dynamics_choices_are_as_composed_and_pp_to_ff);
    RUN_TEST(test_density_choices_are_automatic_and_the_five_steps);
    RUN_TEST(test_the_midi_plugins_ports_match_the_table);
    RUN_TEST(test_the_parts_plugins_ports_match_the_table);
    lilv_world_free(world);
    CHECK_EXIT();
}
