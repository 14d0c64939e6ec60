/* The piano roll (see piano_roll.h): a fixed ring of notes and its drawing. */
#include "piano_roll.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../plugin/uris.h"
#include "widgets.h"

static const double longest_note_beats = 64.0;
static const int unknown_velocity = 80;

void pnl_piano_roll_clear(PnlPianoRoll *roll)
{
    memset(roll, 0, sizeof *roll);
}

int pnl_piano_roll_add(PnlPianoRoll *roll, int pitch, int velocity, double onset_beats,
                       double duration_beats, int origin, int part)
{
    if (pitch < 0 || pitch > 127 || velocity < 0 || velocity > 127 || !isfinite(onset_beats) ||
        !isfinite(duration_beats) || duration_beats < 0 || origin < PNL_ORIGIN_GENERATED ||
        origin > PNL_ORIGIN_LIVE || part < 0 || part >= PNL_PART_COUNT)
        return -1;
    if (duration_beats > longest_note_beats)
        duration_beats = longest_note_beats;
    /* Notes played live are reported when released, their velocity not
     * always known (0): shown at a middle shade. */
    if (velocity == 0)
        velocity = unknown_velocity;

    for (unsigned i = 0; i < PNL_ROLL_CAPACITY; i++) {
        PnlRollNote *held = &roll->notes[i];
        if (!held->stored || held->origin != origin || held->part != part)
            continue;
        /* Sent again (the UI reopened): one copy. */
        if (held->pitch == pitch && fabs(held->onset_beats - onset_beats) < 1e-6)
            held->stored = 0;
    }

    PnlRollNote *slot = &roll->notes[roll->next];
    slot->onset_beats = onset_beats;
    slot->duration_beats = duration_beats;
    slot->pitch = (unsigned char)pitch;
    slot->velocity = (unsigned char)velocity;
    slot->origin = (unsigned char)origin;
    slot->part = (unsigned char)part;
    slot->stored = 1;
    roll->next = (roll->next + 1) % PNL_ROLL_CAPACITY;
    return 0;
}

void pnl_piano_roll_forget_origin(PnlPianoRoll *roll, int origin)
{
    for (unsigned i = 0; i < PNL_ROLL_CAPACITY; i++)
        if (roll->notes[i].origin == origin)
            roll->notes[i].stored = 0;
}

void pnl_piano_roll_cut(PnlPianoRoll *roll, double from_beats)
{
    if (!isfinite(from_beats))
        return;
    for (unsigned i = 0; i < PNL_ROLL_CAPACITY; i++) {
        PnlRollNote *note = &roll->notes[i];
        /* Both sides are the same ticks turned into beats: a tiny margin
         * is enough for rounding. */
        if (note->origin != PNL_ORIGIN_LIVE && note->onset_beats >= from_beats - 1e-9)
            note->stored = 0;
    }
}

static int note_in_window(const PnlRollNote *note, double from_beats, double to_beats)
{
    return note->stored && note->onset_beats < to_beats &&
           note->onset_beats + note->duration_beats > from_beats;
}

void pnl_piano_roll_pitch_range(const PnlPianoRoll *roll, double from_beats,
                                double to_beats, int *lowest, int *highest)
{
    int low = PNL_ROLL_LOWEST_DEFAULT, high = PNL_ROLL_HIGHEST_DEFAULT;
    for (unsigned i = 0; i < PNL_ROLL_CAPACITY; i++) {
        const PnlRollNote *note = &roll->notes[i];
        if (!note_in_window(note, from_beats, to_beats))
            continue;
        if (note->pitch < low)
            low = note->pitch / 12 * 12;
        if (note->pitch > high)
            high = (note->pitch + 11) / 12 * 12;
    }
    *lowest = low < 21 ? 21 : low;
    *highest = high > 108 ? 108 : high;
}

static int is_black_key(int pitch)
{
    static const unsigned char black[12] = {0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0};
    return black[pitch % 12];
}

static PnlColor origin_color(int origin)
{
    if (origin == PNL_ORIGIN_PROMPT)
        return pnl_color_prompt;
    if (origin == PNL_ORIGIN_LIVE)
        return pnl_color_live;
    return pnl_color_generated;
}

/* A note's hue: a live note is the player's, whatever part it feeds; the
 * piano's others tell their origin, as in solo piano; every other part
 * shows its own, a prompt in it included. */
static PnlColor note_color(const PnlRollNote *note)
{
    if (note->origin == PNL_ORIGIN_LIVE || note->part == PNL_PART_PIANO)
        return origin_color(note->origin);
    return pnl_color_parts[note->part];
}

static void draw_grid(cairo_t *cr, const PnlUiLayout *layout, int lowest, int highest,
                      double start_beats, double visible_beats, double beats_per_bar)
{
    PnlRect notes = layout->notes;
    double row_height = pnl_roll_row_height(notes, lowest, highest);
    for (int pitch = lowest; pitch <= highest; pitch++) {
        double y = pnl_roll_pitch_y(notes, lowest, highest, pitch);
        cairo_rectangle(cr, notes.x, y, notes.width, row_height);
        if (is_black_key(pitch))
            cairo_set_source_rgb(cr, 0.063, 0.067, 0.082);
        else
            cairo_set_source_rgb(cr, 0.086, 0.090, 0.106);
        cairo_fill(cr);
        if (pitch % 12 == 0) {
            cairo_rectangle(cr, notes.x, y + row_height - layout->scale, notes.width,
                            layout->scale);
            cairo_set_source_rgb(cr, 0.133, 0.141, 0.165);
            cairo_fill(cr);
        }
    }

    /* Beat and bar lines, with the bar's number at the top. */
    double pixels_per_beat = notes.width / visible_beats;
    double first_beat = ceil(start_beats);
    for (double beat = first_beat; beat <= start_beats + visible_beats; beat += 1.0) {
        double x = notes.x + (beat - start_beats) * pixels_per_beat;
        double bar_position = fmod(beat, beats_per_bar);
        if (bar_position < 0)
            bar_position += beats_per_bar;
        int on_bar = fabs(bar_position) < 1e-6 || fabs(bar_position - beats_per_bar) < 1e-6;
        cairo_rectangle(cr, floor(x), notes.y, layout->scale, notes.height);
        if (on_bar)
            cairo_set_source_rgb(cr, 0.200, 0.208, 0.243);
        else
            cairo_set_source_rgb(cr, 0.118, 0.125, 0.145);
        cairo_fill(cr);
        if (on_bar && beat >= 0) {
            char number[16];
            snprintf(number, sizeof number, "%d", (int)floor(beat / beats_per_bar + 0.5) + 1);
            pnl_draw_text(cr, number, x + 4 * layout->scale, notes.y + 12 * layout->scale,
                          9.5 * layout->scale, PNL_ALIGN_LEFT, pnl_color_text_dim, 0);
        }
    }
}

/* sounding[pitch]: the index in the roll of the note sounding there, or -1. */
static void draw_keyboard(cairo_t *cr, const PnlPianoRoll *roll, const PnlUiLayout *layout,
                          int lowest, int highest, const int *sounding)
{
    PnlRect keys = layout->keyboard;
    double row_height = pnl_roll_row_height(layout->notes, lowest, highest);
    double scale = layout->scale;
    cairo_rectangle(cr, keys.x, keys.y, keys.width, keys.height);
    cairo_set_source_rgb(cr, 0.757, 0.737, 0.694);
    cairo_fill(cr);
    for (int pitch = lowest; pitch <= highest; pitch++) {
        double y = pnl_roll_pitch_y(layout->notes, lowest, highest, pitch);
        if (sounding[pitch] >= 0) {
            cairo_rectangle(cr, keys.x, y, keys.width, row_height);
            pnl_set_color(cr, note_color(&roll->notes[sounding[pitch]]), 1.0);
            cairo_fill(cr);
        } else if (is_black_key(pitch)) {
            cairo_rectangle(cr, keys.x, y, keys.width * 0.62, row_height);
            cairo_set_source_rgb(cr, 0.110, 0.114, 0.129);
            cairo_fill(cr);
        }
        if (pitch % 12 == 0 || pitch % 12 == 5) {
            /* The seams between white keys fall under C and F. */
            cairo_rectangle(cr, keys.x, y + row_height - 0.5 * scale, keys.width, 0.5 * scale);
            cairo_set_source_rgb(cr, 0.50, 0.48, 0.45);
            cairo_fill(cr);
        }
        if (pitch % 12 == 0 && pitch != highest && row_height * 3 >= 12 * scale) {
            char name[16];
            snprintf(name, sizeof name, "C%d", pitch / 12 - 1);
            pnl_draw_text(cr, name, keys.x + keys.width - 3 * scale, y + row_height - 1.5 * scale,
                          8 * scale, PNL_ALIGN_RIGHT, (PnlColor){0.30, 0.29, 0.27}, 0);
        }
    }
    cairo_rectangle(cr, keys.x + keys.width - scale, keys.y, scale, keys.height);
    cairo_set_source_rgb(cr, 0.04, 0.04, 0.05);
    cairo_fill(cr);
}

/* The legend's entries, right to left: the player's notes, the prompt,
 * then the composed piano as "composed" in solo piano, or each part of the
 * ensemble under its name, the piano's among them. */
typedef struct {
    const char *name;
    PnlColor color;
} LegendEntry;

static int legend_entries(const PnlRollLegend *legend, LegendEntry *entries)
{
    static const char *const part_names[PNL_PART_COUNT] = {
        [PNL_PART_PIANO] = "piano",   [PNL_PART_VIOLIN_1] = "violin I",
        [PNL_PART_VIOLIN_2] = "violin II", [PNL_PART_VIOLA] = "viola",
        [PNL_PART_CELLO] = "cello",   [PNL_PART_MELODY] = "melody"};
    int count = 0;
    entries[count++] = (LegendEntry){"live", pnl_color_live};
    entries[count++] = (LegendEntry){"prompt", pnl_color_prompt};
    PnlPartSet parts = legend ? legend->parts : 0;
    if (!parts) {
        entries[count++] = (LegendEntry){"composed", pnl_color_generated};
        return count;
    }
    /* Placed right to left: the lowest part nearest the origins, so the
     * legend reads top part first, as a score does. */
    static const int score_order_reversed[PNL_PART_COUNT] = {
        PNL_PART_PIANO,    PNL_PART_CELLO,    PNL_PART_VIOLA,
        PNL_PART_VIOLIN_2, PNL_PART_VIOLIN_1, PNL_PART_MELODY};
    for (int i = 0; i < PNL_PART_COUNT; i++) {
        int part = score_order_reversed[i];
        if (!(parts & PNL_PART_BIT(part)))
            continue;
        const char *name = part_names[part];
        if (part == PNL_PART_MELODY && legend->melody_name && legend->melody_name[0])
            name = legend->melody_name;
        entries[count++] = (LegendEntry){name, pnl_color_parts[part]};
    }
    return count;
}

static double draw_legend(cairo_t *cr, const PnlUiLayout *layout, const PnlRollLegend *legend)
{
    LegendEntry entries[2 + PNL_PART_COUNT];
    int count = legend_entries(legend, entries);
    double scale = layout->scale;
    double right = layout->notes.x + layout->notes.width - 10 * scale;
    double y = layout->notes.y + layout->notes.height - 8 * scale;

    /* A dark backing first, so the notes passing under stay out of the way. */
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 9.5 * scale);
    double total = 0;
    for (int i = 0; i < count; i++) {
        cairo_text_extents_t extents;
        cairo_text_extents(cr, entries[i].name, &extents);
        total += extents.x_advance + 26 * scale;
    }
    double left = right - total + 6 * scale;
    pnl_rounded_rect(cr, pnl_rect(left, y - 12 * scale, total, 16 * scale), 4 * scale);
    pnl_set_color(cr, pnl_color_background, 0.85);
    cairo_fill(cr);

    double x = right;
    for (int i = 0; i < count; i++) {
        double width = pnl_draw_text(cr, entries[i].name, x, y, 9.5 * scale, PNL_ALIGN_RIGHT,
                                     pnl_color_text_dim, 0);
        cairo_rectangle(cr, x - width - 14 * scale, y - 7 * scale, 9 * scale, 6 * scale);
        pnl_set_color(cr, entries[i].color, 1.0);
        cairo_fill(cr);
        x -= width + 26 * scale;
    }
    return left;
}

double pnl_piano_roll_draw(cairo_t *cr, const PnlPianoRoll *roll, const PnlUiLayout *layout,
                           double playhead_beats, double beats_per_bar, int have_playhead,
                           const PnlRollLegend *legend)
{
    PnlRect notes = layout->notes;
    double scale = layout->scale;
    if (!(beats_per_bar >= 1 && beats_per_bar <= 32))
        beats_per_bar = 4;
    if (!isfinite(playhead_beats))
        playhead_beats = 0;
    double visible_beats = pnl_roll_visible_beats(beats_per_bar);
    double start_beats = playhead_beats - pnl_roll_playhead_fraction * visible_beats;
    double end_beats = start_beats + visible_beats;
    int lowest, highest;
    pnl_piano_roll_pitch_range(roll, start_beats, end_beats, &lowest, &highest);
    double row_height = pnl_roll_row_height(notes, lowest, highest);
    double pixels_per_beat = notes.width / visible_beats;

    cairo_save(cr);
    pnl_rounded_rect(cr, layout->roll, 6 * scale);
    cairo_clip(cr);
    draw_grid(cr, layout, lowest, highest, start_beats, visible_beats, beats_per_bar);

    /* Before the first bar there is no music: darker still. */
    double start_x = pnl_roll_beat_x(notes, playhead_beats, beats_per_bar, 0.0);
    if (start_x > notes.x) {
        cairo_rectangle(cr, notes.x, notes.y, fmin(start_x, notes.x + notes.width) - notes.x,
                        notes.height);
        cairo_set_source_rgba(cr, 0.0, 0.0, 0.0, 0.35);
        cairo_fill(cr);
    }

    /* The lookahead, not yet heard, sits under a faint veil. */
    double playhead_x = pnl_roll_beat_x(notes, playhead_beats, beats_per_bar, playhead_beats);
    cairo_rectangle(cr, playhead_x, notes.y, notes.x + notes.width - playhead_x, notes.height);
    cairo_set_source_rgba(cr, 0.0, 0.0, 0.0, 0.22);
    cairo_fill(cr);

    int sounding[128];
    for (int pitch = 0; pitch < 128; pitch++)
        sounding[pitch] = -1;
    for (unsigned i = 0; i < PNL_ROLL_CAPACITY; i++) {
        const PnlRollNote *note = &roll->notes[i];
        if (!note_in_window(note, start_beats, end_beats))
            continue;
        double x = notes.x + (note->onset_beats - start_beats) * pixels_per_beat;
        double width = fmax(note->duration_beats * pixels_per_beat, 2.0 * scale);
        double y = pnl_roll_pitch_y(notes, lowest, highest, note->pitch);
        double inset = row_height > 4 * scale ? 0.5 * scale : 0.0;
        PnlColor base = note_color(note);
        /* Velocity as shade: pianissimo sinks toward the background. */
        double loudness = 0.30 + 0.70 * note->velocity / 127.0;
        PnlColor fill = pnl_color_mix(pnl_color_background, base, loudness);
        int heard = note->onset_beats <= playhead_beats;
        int now = heard && note->onset_beats + note->duration_beats > playhead_beats;
        if (now && have_playhead)
            sounding[note->pitch] = (int)i;
        PnlRect box = pnl_rect(x, y + inset, width, row_height - 2 * inset);
        /* Rounded corners only where they can be seen: plain boxes are many
         * times cheaper for cairo to fill, and a dense roll has hundreds. */
        if (row_height >= 8 * scale)
            pnl_rounded_rect(cr, box, 1.5 * scale);
        else
            cairo_rectangle(cr, box.x, box.y, box.width, box.height);
        pnl_set_color(cr, fill, heard ? 1.0 : 0.78);
        cairo_fill(cr);
        if (now) {
            cairo_rectangle(cr, box.x, box.y, box.width, box.height);
            cairo_set_line_width(cr, 1.0 * scale);
            pnl_set_color(cr, pnl_color_mix(base, pnl_color_text, 0.6), 0.9);
            cairo_stroke(cr);
        }
    }

    /* The playhead: an ivory line with a soft halo. */
    cairo_rectangle(cr, playhead_x - 3 * scale, notes.y, 6 * scale, notes.height);
    pnl_set_color(cr, pnl_color_accent, 0.10);
    cairo_fill(cr);
    cairo_rectangle(cr, playhead_x - 0.75 * scale, notes.y, 1.5 * scale, notes.height);
    pnl_set_color(cr, pnl_color_accent, have_playhead ? 0.95 : 0.4);
    cairo_fill(cr);
    cairo_move_to(cr, playhead_x - 5 * scale, notes.y);
    cairo_line_to(cr, playhead_x + 5 * scale, notes.y);
    cairo_line_to(cr, playhead_x, notes.y + 6 * scale);
    cairo_close_path(cr);
    cairo_fill(cr);

    draw_keyboard(cr, roll, layout, lowest, highest, sounding);
    double legend_left = draw_legend(cr, layout, legend);
    cairo_restore(cr);

    pnl_rounded_rect(cr, layout->roll, 6 * scale);
    cairo_set_line_width(cr, 1.0 * scale);
    pnl_set_color(cr, pnl_color_panel_edge, 1.0);
    cairo_stroke(cr);
    return legend_left;
}
