/* Drawing Pianola's controls with cairo (see widgets.h). Calm and dark:
 * flat panels with a hairline edge, one warm accent for values, colour kept
 * for meaning (teal composed, amber prompt, red recording). */
#include "widgets.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../plugin/uris.h"

static const double pi = 3.14159265358979323846;

const PnlColor pnl_color_background = {0.082, 0.086, 0.102};
const PnlColor pnl_color_panel = {0.129, 0.137, 0.161};
const PnlColor pnl_color_panel_edge = {0.220, 0.231, 0.267};
const PnlColor pnl_color_text = {0.886, 0.863, 0.812};
const PnlColor pnl_color_text_dim = {0.553, 0.565, 0.600};
const PnlColor pnl_color_accent = {0.851, 0.729, 0.494};
const PnlColor pnl_color_generated = {0.392, 0.745, 0.741};
const PnlColor pnl_color_prompt = {0.918, 0.647, 0.329};
const PnlColor pnl_color_live = {0.867, 0.478, 0.557};
const PnlColor pnl_color_record = {0.878, 0.341, 0.373};
/* The hues go round the wheel away from teal, amber and rose, each about
 * as light as the teal so velocity shades them alike on the dark roll. */
const PnlColor pnl_color_parts[PNL_PART_COUNT] = {
    [PNL_PART_PIANO] = {0.392, 0.745, 0.741},    /* teal, the composed piano */
    [PNL_PART_VIOLIN_1] = {0.706, 0.545, 0.945}, /* violet */
    [PNL_PART_VIOLIN_2] = {0.420, 0.588, 0.957}, /* blue */
    [PNL_PART_VIOLA] = {0.576, 0.800, 0.400},    /* green */
    [PNL_PART_CELLO] = {0.925, 0.839, 0.365},    /* yellow */
    [PNL_PART_MELODY] = {0.906, 0.420, 0.878},   /* magenta */
};

void pnl_set_color(cairo_t *cr, PnlColor color, double alpha)
{
    cairo_set_source_rgba(cr, color.red, color.green, color.blue, alpha);
}

PnlColor pnl_color_mix(PnlColor from, PnlColor to, double amount)
{
    PnlColor mixed = {from.red + (to.red - from.red) * amount,
                      from.green + (to.green - from.green) * amount,
                      from.blue + (to.blue - from.blue) * amount};
    return mixed;
}

void pnl_rounded_rect(cairo_t *cr, PnlRect rect, double radius)
{
    double limit = fmin(rect.width, rect.height) / 2;
    if (radius > limit)
        radius = limit;
    double left = rect.x, top = rect.y;
    double right = rect.x + rect.width, bottom = rect.y + rect.height;
    cairo_new_sub_path(cr);
    cairo_arc(cr, right - radius, top + radius, radius, -pi / 2, 0);
    cairo_arc(cr, right - radius, bottom - radius, radius, 0, pi / 2);
    cairo_arc(cr, left + radius, bottom - radius, radius, pi / 2, pi);
    cairo_arc(cr, left + radius, top + radius, radius, pi, 1.5 * pi);
    cairo_close_path(cr);
}

double pnl_draw_text(cairo_t *cr, const char *text, double x, double y, double size,
                     PnlAlign align, PnlColor color, int bold)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text, &extents);
    double left = x;
    if (align == PNL_ALIGN_CENTRE)
        left = x - extents.x_advance / 2;
    else if (align == PNL_ALIGN_RIGHT)
        left = x - extents.x_advance;
    pnl_set_color(cr, color, 1.0);
    cairo_move_to(cr, left, y);
    cairo_show_text(cr, text);
    return extents.x_advance;
}

static void draw_button_body(cairo_t *cr, PnlRect rect, double scale, PnlColor fill,
                             PnlColor edge, int hovered)
{
    pnl_rounded_rect(cr, rect, 8 * scale);
    pnl_set_color(cr, hovered ? pnl_color_mix(fill, pnl_color_text, 0.05) : fill, 1.0);
    cairo_fill_preserve(cr);
    cairo_set_line_width(cr, 1.0 * scale);
    pnl_set_color(cr, edge, 1.0);
    cairo_stroke(cr);
}

void pnl_draw_knob(cairo_t *cr, PnlRect cell, double scale, const char *label,
                   const char *value_text, double normalised, int hovered, int dragging)
{
    double centre_x, centre_y, radius;
    pnl_knob_dial(cell, scale, &centre_x, &centre_y, &radius);
    double start = pnl_knob_angle(0), end = pnl_knob_angle(1);
    double angle = pnl_knob_angle(normalised);

    pnl_draw_text(cr, label, centre_x, cell.y + 14 * scale, 11 * scale, PNL_ALIGN_CENTRE,
                  pnl_color_text_dim, 0);

    /* The track, then the value's arc over it. */
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_width(cr, 3.5 * scale);
    cairo_new_path(cr);
    cairo_arc(cr, centre_x, centre_y, radius + 5 * scale, start, end);
    pnl_set_color(cr, pnl_color_panel_edge, 1.0);
    cairo_stroke(cr);
    if (angle > start + 1e-3) {
        cairo_new_path(cr);
        cairo_arc(cr, centre_x, centre_y, radius + 5 * scale, start, angle);
        pnl_set_color(cr, pnl_color_accent, dragging ? 1.0 : 0.85);
        cairo_stroke(cr);
    }

    /* The cap: a soft vertical gradient for a little depth. */
    cairo_pattern_t *shade =
        cairo_pattern_create_linear(0, centre_y - radius, 0, centre_y + radius);
    PnlColor top = hovered ? (PnlColor){0.255, 0.263, 0.294} : (PnlColor){0.224, 0.231, 0.259};
    cairo_pattern_add_color_stop_rgb(shade, 0, top.red, top.green, top.blue);
    cairo_pattern_add_color_stop_rgb(shade, 1, 0.129, 0.133, 0.153);
    cairo_new_path(cr);
    cairo_arc(cr, centre_x, centre_y, radius, 0, 2 * pi);
    cairo_set_source(cr, shade);
    cairo_fill_preserve(cr);
    cairo_pattern_destroy(shade);
    cairo_set_line_width(cr, 1.0 * scale);
    pnl_set_color(cr, (PnlColor){0.302, 0.310, 0.345}, 1.0);
    cairo_stroke(cr);

    /* The indicator: a short ivory line from near the centre to the rim. */
    cairo_set_line_width(cr, 3.0 * scale);
    cairo_move_to(cr, centre_x + cos(angle) * radius * 0.35,
                  centre_y + sin(angle) * radius * 0.35);
    cairo_line_to(cr, centre_x + cos(angle) * radius * 0.82,
                  centre_y + sin(angle) * radius * 0.82);
    pnl_set_color(cr, pnl_color_text, 1.0);
    cairo_stroke(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);

    pnl_draw_text(cr, value_text, centre_x, cell.y + 92 * scale, 12 * scale, PNL_ALIGN_CENTRE,
                  dragging ? pnl_color_accent : pnl_color_text, 0);
}

void pnl_draw_capture_button(cairo_t *cr, PnlRect rect, double scale, int capture_state,
                             int note_count, int hovered)
{
    PnlColor fill = pnl_color_panel, edge = pnl_color_panel_edge;
    PnlColor lamp = pnl_color_text_dim, title_color = pnl_color_text;
    const char *title = "Capture";
    char detail[64] = "record a prompt";
    int lamp_filled = 0;
    switch (capture_state) {
    case PNL_CAPTURE_ARMED:
        fill = (PnlColor){0.176, 0.114, 0.125};
        edge = pnl_color_record;
        lamp = pnl_color_record;
        title = "Armed";
        snprintf(detail, sizeof detail, "play a phrase");
        break;
    case PNL_CAPTURE_RECORDING:
        fill = (PnlColor){0.431, 0.133, 0.157};
        edge = pnl_color_record;
        lamp = (PnlColor){1.0, 0.478, 0.478};
        lamp_filled = 1;
        title = "Recording";
        snprintf(detail, sizeof detail, "%d note%s", note_count, note_count == 1 ? "" : "s");
        break;
    case PNL_CAPTURE_PROMPT_SET:
        fill = (PnlColor){0.290, 0.220, 0.114};
        edge = pnl_color_prompt;
        lamp = pnl_color_prompt;
        lamp_filled = 1;
        title = "Prompt set";
        title_color = (PnlColor){0.984, 0.878, 0.722};
        snprintf(detail, sizeof detail, "%d note%s to continue", note_count,
                 note_count == 1 ? "" : "s");
        break;
    default:
        break;
    }
    draw_button_body(cr, rect, scale, fill, edge, hovered);

    double lamp_x = rect.x + 22 * scale, lamp_y = rect.y + rect.height / 2;
    cairo_new_path(cr);
    cairo_arc(cr, lamp_x, lamp_y, 7 * scale, 0, 2 * pi);
    pnl_set_color(cr, lamp, 1.0);
    if (lamp_filled) {
        cairo_fill(cr);
    } else {
        cairo_set_line_width(cr, 2.0 * scale);
        cairo_stroke(cr);
    }
    pnl_draw_text(cr, title, rect.x + 40 * scale, rect.y + 27 * scale, 14 * scale,
                  PNL_ALIGN_LEFT, title_color, 1);
    pnl_draw_text(cr, detail, rect.x + 40 * scale, rect.y + 45 * scale, 10.5 * scale,
                  PNL_ALIGN_LEFT, pnl_color_mix(title_color, fill, 0.35), 0);
}

void pnl_draw_toggle_button(cairo_t *cr, PnlRect rect, double scale, const char *label,
                            const char *on_text, const char *off_text, int on, int hovered)
{
    PnlColor fill = on ? (PnlColor){0.110, 0.220, 0.227} : pnl_color_panel;
    PnlColor edge = on ? pnl_color_generated : pnl_color_panel_edge;
    draw_button_body(cr, rect, scale, fill, edge, hovered);

    double lamp_x = rect.x + 20 * scale, lamp_y = rect.y + rect.height / 2;
    if (on) {
        cairo_pattern_t *glow =
            cairo_pattern_create_radial(lamp_x, lamp_y, 0, lamp_x, lamp_y, 12 * scale);
        cairo_pattern_add_color_stop_rgba(glow, 0, pnl_color_generated.red,
                                          pnl_color_generated.green, pnl_color_generated.blue,
                                          0.55);
        cairo_pattern_add_color_stop_rgba(glow, 1, pnl_color_generated.red,
                                          pnl_color_generated.green, pnl_color_generated.blue,
                                          0.0);
        cairo_new_path(cr);
        cairo_arc(cr, lamp_x, lamp_y, 12 * scale, 0, 2 * pi);
        cairo_set_source(cr, glow);
        cairo_fill(cr);
        cairo_pattern_destroy(glow);
    }
    cairo_new_path(cr);
    cairo_arc(cr, lamp_x, lamp_y, 5 * scale, 0, 2 * pi);
    pnl_set_color(cr, on ? pnl_color_generated : pnl_color_text_dim, on ? 1.0 : 0.6);
    cairo_fill(cr);

    pnl_draw_text(cr, label, rect.x + 34 * scale, rect.y + 27 * scale, 14 * scale,
                  PNL_ALIGN_LEFT, pnl_color_text, 1);
    pnl_draw_text(cr, on ? on_text : off_text, rect.x + 34 * scale, rect.y + 45 * scale,
                  10.5 * scale, PNL_ALIGN_LEFT, on ? pnl_color_generated : pnl_color_text_dim,
                  0);
}

void pnl_draw_reroll_button(cairo_t *cr, PnlRect rect, double scale, int lit, int hovered)
{
    draw_button_body(cr, rect, scale, lit ? (PnlColor){0.243, 0.212, 0.153} : pnl_color_panel,
                     lit ? pnl_color_accent : pnl_color_panel_edge, hovered);
    double centre_x = rect.x + rect.width / 2, centre_y = rect.y + 24 * scale;
    double radius = 9 * scale;
    PnlColor ink = lit ? pnl_color_accent : pnl_color_text;
    cairo_set_line_width(cr, 2.0 * scale);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_new_path(cr);
    cairo_arc(cr, centre_x, centre_y, radius, -0.35 * pi, 1.35 * pi);
    pnl_set_color(cr, ink, 1.0);
    cairo_stroke(cr);
    /* The arrow head at the arc's open end. */
    double tip_angle = -0.35 * pi;
    double tip_x = centre_x + cos(tip_angle) * radius, tip_y = centre_y + sin(tip_angle) * radius;
    cairo_move_to(cr, tip_x + 4.5 * scale, tip_y - 3.5 * scale);
    cairo_line_to(cr, tip_x, tip_y);
    cairo_line_to(cr, tip_x - 1.0 * scale, tip_y - 5.5 * scale);
    cairo_stroke(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    pnl_draw_text(cr, "Re-roll", centre_x, rect.y + 51 * scale, 11.5 * scale, PNL_ALIGN_CENTRE,
                  pnl_color_text, 0);
}

void pnl_draw_composer_selector(cairo_t *cr, const PnlRect *segments, int count,
                                const char *const *names, int selected, int hovered,
                                double scale)
{
    if (count <= 0)
        return;
    PnlRect whole = segments[0];
    whole.width = segments[count - 1].x + segments[count - 1].width - segments[0].x;
    pnl_rounded_rect(cr, whole, 15 * scale);
    pnl_set_color(cr, pnl_color_panel, 1.0);
    cairo_fill_preserve(cr);
    cairo_set_line_width(cr, 1.0 * scale);
    pnl_set_color(cr, pnl_color_panel_edge, 1.0);
    cairo_stroke(cr);

    for (int i = 0; i < count; i++) {
        PnlRect segment = segments[i];
        PnlRect pill = pnl_rect(segment.x + 3 * scale, segment.y + 3 * scale,
                                segment.width - 6 * scale, segment.height - 6 * scale);
        if (i == selected) {
            pnl_rounded_rect(cr, pill, 12 * scale);
            pnl_set_color(cr, pnl_color_accent, 1.0);
            cairo_fill(cr);
        } else if (i == hovered) {
            pnl_rounded_rect(cr, pill, 12 * scale);
            pnl_set_color(cr, pnl_color_text, 0.07);
            cairo_fill(cr);
        }
        /* A name stored lower case (a model class name) is shown capitalised;
         * display names (UTF-8, up to 64 bytes) are shown as they are. */
        char name[80];
        snprintf(name, sizeof name, "%s", names[i]);
        if (name[0] >= 'a' && name[0] <= 'z')
            name[0] = (char)(name[0] - 'a' + 'A');
        /* The chosen name is bold; shrink a long one to stay in its pill. */
        double size = 12 * scale;
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                               i == selected ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr, size);
        cairo_text_extents_t extents;
        cairo_text_extents(cr, name, &extents);
        double room = pill.width - 10 * scale;
        if (extents.x_advance > room && extents.x_advance > 0)
            size *= room / extents.x_advance;
        pnl_draw_text(cr, name, segment.x + segment.width / 2, segment.y + 19.5 * scale, size,
                      PNL_ALIGN_CENTRE, i == selected ? pnl_color_background : pnl_color_text,
                      i == selected);
    }
}

void pnl_draw_model_row(cairo_t *cr, PnlRect rect, double scale, const char *file_name,
                        int hovered)
{
    pnl_rounded_rect(cr, rect, 15 * scale);
    pnl_set_color(cr, hovered ? pnl_color_mix(pnl_color_panel, pnl_color_text, 0.07)
                              : pnl_color_panel, 1.0);
    cairo_fill_preserve(cr);
    cairo_set_line_width(cr, 1.0 * scale);
    pnl_set_color(cr, pnl_color_panel_edge, 1.0);
    cairo_stroke(cr);
    double baseline = rect.y + 19.5 * scale;
    pnl_draw_text(cr, "Model", rect.x + 12 * scale, baseline, 10.5 * scale, PNL_ALIGN_LEFT,
                  pnl_color_text_dim, 0);
    /* The file's name between the caption and the button, clipped. */
    PnlRect name = pnl_rect(rect.x + 54 * scale, rect.y, rect.width - 54 * scale - 70 * scale,
                            rect.height);
    cairo_save(cr);
    cairo_rectangle(cr, name.x, name.y, name.width, name.height);
    cairo_clip(cr);
    pnl_draw_text(cr, file_name, name.x, baseline, 12 * scale, PNL_ALIGN_LEFT, pnl_color_text,
                  0);
    cairo_restore(cr);
    PnlRect button = pnl_rect(rect.x + rect.width - 66 * scale, rect.y + 4 * scale,
                              62 * scale, rect.height - 8 * scale);
    pnl_rounded_rect(cr, button, 11 * scale);
    pnl_set_color(cr, hovered ? pnl_color_accent : pnl_color_text, hovered ? 1.0 : 0.08);
    cairo_fill(cr);
    pnl_draw_text(cr, "Choose\u2026", button.x + button.width / 2, baseline, 11 * scale,
                  PNL_ALIGN_CENTRE, hovered ? pnl_color_background : pnl_color_text, 0);
}

void pnl_draw_seed_field(cairo_t *cr, PnlRect cell, PnlRect field, double scale,
                         const char *text, int editing, int hovered)
{
    pnl_draw_text(cr, "Seed", field.x + field.width / 2, cell.y + 14 * scale, 11 * scale,
                  PNL_ALIGN_CENTRE, pnl_color_text_dim, 0);
    pnl_rounded_rect(cr, field, 6 * scale);
    pnl_set_color(cr, editing ? (PnlColor){0.063, 0.067, 0.078} : pnl_color_panel, 1.0);
    cairo_fill_preserve(cr);
    cairo_set_line_width(cr, (editing ? 1.5 : 1.0) * scale);
    pnl_set_color(cr,
                  editing ? pnl_color_accent
                          : hovered ? pnl_color_mix(pnl_color_panel_edge, pnl_color_text, 0.2)
                                    : pnl_color_panel_edge,
                  1.0);
    cairo_stroke(cr);

    cairo_select_font_face(cr, "monospace", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 14 * scale);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text, &extents);
    double text_x = field.x + (field.width - extents.x_advance) / 2;
    double baseline = field.y + field.height / 2 + 5 * scale;
    pnl_set_color(cr, pnl_color_text, 1.0);
    cairo_move_to(cr, text_x, baseline);
    cairo_show_text(cr, text);
    if (editing) {
        double caret_x = text_x + extents.x_advance + 2 * scale;
        cairo_rectangle(cr, caret_x, baseline - 12 * scale, 1.5 * scale, 15 * scale);
        pnl_set_color(cr, pnl_color_accent, 1.0);
        cairo_fill(cr);
    }
    pnl_draw_text(cr, editing ? "Enter to set" : "scroll, or click to type",
                  field.x + field.width / 2, field.y + field.height + 16 * scale, 9.5 * scale,
                  PNL_ALIGN_CENTRE, pnl_color_text_dim, 0);
}

void pnl_draw_tempo(cairo_t *cr, PnlRect rect, double scale, double bpm, int host_time,
                    int have_position, double beats, double beats_per_bar)
{
    char text[64];
    double right = rect.x + rect.width;
    snprintf(text, sizeof text, "%.1f", bpm);
    double number_width = pnl_draw_text(cr, "BPM", right, rect.y + 24 * scale, 10 * scale,
                                        PNL_ALIGN_RIGHT, pnl_color_text_dim, 0);
    pnl_draw_text(cr, text, right - number_width - 6 * scale, rect.y + 24 * scale,
                  20 * scale, PNL_ALIGN_RIGHT, pnl_color_text, 0);

    if (have_position && beats_per_bar >= 1) {
        double bar = floor(beats / beats_per_bar);
        double beat = floor(beats - bar * beats_per_bar);
        snprintf(text, sizeof text, "%s tempo \xc2\xb7 bar %d beat %d",
                 host_time ? "host" : "internal", (int)bar + 1, (int)beat + 1);
    } else {
        snprintf(text, sizeof text, "%s tempo", host_time ? "host" : "internal");
    }
    pnl_draw_text(cr, text, right, rect.y + 40 * scale, 10 * scale, PNL_ALIGN_RIGHT,
                  host_time ? pnl_color_generated : pnl_color_text_dim, 0);
}
