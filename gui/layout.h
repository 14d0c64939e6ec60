/* Where everything sits in Pianola's window, and how the piano roll maps
 * beats and pitches to pixels. Pure geometry, no drawing: the UI lays itself
 * out with it, and the UI test uses it to know where to look for the knob's
 * indicator, a note's row or the capture button.
 *
 * Everything is laid out in logical units and multiplied by the HiDPI scale;
 * the window's pixel size is divided by the scale first, so a host that gives
 * an odd size gets a layout stretched or squeezed to it, never a crash. */
#ifndef PIANOLA_GUI_LAYOUT_H
#define PIANOLA_GUI_LAYOUT_H

#include "../src/composers.h"

/* The size asked of the host, in logical units, and the smallest one laid out
 * properly (a smaller window shows the same layout clipped). */
enum {
    PNL_UI_DEFAULT_WIDTH = 1620,
    PNL_UI_DEFAULT_HEIGHT = 500,
    PNL_UI_MIN_WIDTH = 1620,
    PNL_UI_MIN_HEIGHT = 400
};

typedef struct {
    double x, y, width, height;
} PnlRect;

typedef enum {
    PNL_KNOB_TEMPERATURE = 0,
    PNL_KNOB_TOP_P,
    PNL_KNOB_HUMANIZE_VELOCITY,
    PNL_KNOB_HUMANIZE_TIMING,
    PNL_KNOB_KEY,
    PNL_KNOB_REGISTER_LOWEST,
    PNL_KNOB_REGISTER_HIGHEST,
    PNL_KNOB_DYNAMICS,
    PNL_KNOB_DENSITY,
    PNL_KNOB_ENSEMBLE,
    PNL_KNOB_PROMPT_PART, /* before the melody, which Pianola (MIDI) lacks */
    PNL_KNOB_MELODY_INSTRUMENT,
    PNL_KNOB_COUNT
} PnlKnobId;

/* One pill per composer the loaded model offers (the built-in ones until
 * the DSP says otherwise), at most as many as the Composer port holds. */
enum { PNL_UI_COMPOSER_SEGMENTS = PNL_COMPOSER_MAX_CHOICES };

typedef struct {
    double scale; /* device pixels per logical unit */
    PnlRect header;
    PnlRect composer[PNL_UI_COMPOSER_SEGMENTS];
    int composer_count;    /* the pills laid out */
    PnlRect composer_area; /* where they share the room */
    PnlRect model;         /* the model row: its file, and a click chooses another */
    PnlRect tempo;
    PnlRect roll;      /* the whole roll panel, keyboard included */
    PnlRect keyboard;  /* the keys down the roll's left side */
    PnlRect notes;     /* where notes are drawn */
    PnlRect capture;
    PnlRect generate;
    PnlRect reroll;
    PnlRect knob[PNL_KNOB_COUNT]; /* each knob's cell: label, dial, value */
    PnlRect seed;                 /* the numeric field itself */
    PnlRect seed_cell;            /* field and label */
} PnlUiLayout;

static inline PnlRect pnl_rect(double x, double y, double width, double height)
{
    PnlRect rect = {x, y, width, height};
    return rect;
}

static inline PnlRect pnl_rect_scaled(PnlRect rect, double scale)
{
    return pnl_rect(rect.x * scale, rect.y * scale, rect.width * scale, rect.height * scale);
}

static inline int pnl_rect_contains(PnlRect rect, double x, double y)
{
    return x >= rect.x && y >= rect.y && x < rect.x + rect.width && y < rect.y + rect.height;
}

/* The composer pills for `count` choices, 96 units each at most, in the
 * room pnl_ui_layout_compute left them. */
static inline void pnl_ui_layout_composers(PnlUiLayout *layout, int count)
{
    if (count < 1)
        count = 1;
    if (count > PNL_UI_COMPOSER_SEGMENTS)
        count = PNL_UI_COMPOSER_SEGMENTS;
    PnlRect area = layout->composer_area;
    double width = area.width / count;
    if (width > 96.0 * layout->scale)
        width = 96.0 * layout->scale;
    for (int i = 0; i < PNL_UI_COMPOSER_SEGMENTS; i++)
        layout->composer[i] = i < count ? pnl_rect(area.x + i * width, area.y, width, area.height)
                                        : pnl_rect(0, 0, 0, 0);
    layout->composer_count = count;
}

/* Lays out a window of width x height device pixels at the given scale; the
 * rectangles are in device pixels. */
static inline void pnl_ui_layout_compute(PnlUiLayout *layout, int width_px, int height_px,
                                         double scale)
{
    if (!(scale >= 0.5 && scale <= 4.0))
        scale = 1.0;
    double width = width_px / scale;
    double height = height_px / scale;
    if (width < PNL_UI_MIN_WIDTH)
        width = PNL_UI_MIN_WIDTH;
    if (height < PNL_UI_MIN_HEIGHT)
        height = PNL_UI_MIN_HEIGHT;

    const double margin = 16.0;
    const double header_height = 58.0;
    const double controls_height = 118.0;
    layout->scale = scale;

    PnlRect header = pnl_rect(0, 0, width, header_height);
    double tempo_x = width - margin - 196;
    /* The model row left of the tempo; the pills share the room before it. */
    double model_width = 236.0, model_x = tempo_x - 8 - model_width;
    layout->model = pnl_rect_scaled(pnl_rect(model_x, 15, model_width, 30), scale);
    layout->composer_area = pnl_rect_scaled(pnl_rect(168.0, 15, model_x - 12 - 168.0, 30), scale);
    /* The built-in choices; the window lays out the model's after this. */
    pnl_ui_layout_composers(layout, PNL_COMPOSER_CHOICE_COUNT);
    layout->tempo = pnl_rect_scaled(pnl_rect(tempo_x, 9, 196, 42), scale);

    PnlRect roll = pnl_rect(margin, header_height, width - 2 * margin,
                            height - header_height - controls_height);
    PnlRect keyboard = pnl_rect(roll.x, roll.y, 30, roll.height);
    PnlRect notes = pnl_rect(roll.x + keyboard.width, roll.y, roll.width - keyboard.width,
                             roll.height);

    double row_y = height - controls_height + 24;
    double button_height = 62;
    PnlRect capture = pnl_rect(margin, row_y + 14, 172, button_height);
    PnlRect generate = pnl_rect(capture.x + capture.width + 10, capture.y, 118, button_height);
    PnlRect reroll = pnl_rect(generate.x + generate.width + 10, capture.y, 96, button_height);
    double knob_x = reroll.x + reroll.width + 22;
    /* Four groups: the model, humanize, the steering and the ensemble,
     * whose knobs are wider for their choices' names ("Melody and piano"). */
    double x = knob_x;
    for (int i = 0; i < PNL_KNOB_COUNT; i++) {
        if (i == PNL_KNOB_HUMANIZE_VELOCITY)
            x += 14;
        else if (i == PNL_KNOB_KEY || i == PNL_KNOB_ENSEMBLE)
            x += 14;
        double cell_width = i >= PNL_KNOB_ENSEMBLE ? 104 : 76;
        layout->knob[i] = pnl_rect_scaled(pnl_rect(x, row_y - 4, cell_width, 96), scale);
        x += cell_width;
    }
    PnlRect seed_cell = pnl_rect(width - margin - 112, row_y - 4, 112, 96);
    PnlRect seed = pnl_rect(seed_cell.x, capture.y + 16, seed_cell.width, 32);

    layout->header = pnl_rect_scaled(header, scale);
    layout->roll = pnl_rect_scaled(roll, scale);
    layout->keyboard = pnl_rect_scaled(keyboard, scale);
    layout->notes = pnl_rect_scaled(notes, scale);
    layout->capture = pnl_rect_scaled(capture, scale);
    layout->generate = pnl_rect_scaled(generate, scale);
    layout->reroll = pnl_rect_scaled(reroll, scale);
    layout->seed_cell = pnl_rect_scaled(seed_cell, scale);
    layout->seed = pnl_rect_scaled(seed, scale);
}

/* A knob's dial: centre and radius inside its cell, and the angle (radians,
 * clockwise from the positive x axis, as cairo measures) of a normalised
 * value 0..1 over a 270 degree sweep starting at 7:30 o'clock. */
static inline void pnl_knob_dial(PnlRect cell, double scale, double *centre_x,
                                 double *centre_y, double *radius)
{
    *centre_x = cell.x + cell.width / 2;
    *centre_y = cell.y + 48 * scale;
    *radius = 21 * scale;
}

static inline double pnl_knob_angle(double normalised)
{
    const double pi = 3.14159265358979323846;
    if (normalised < 0)
        normalised = 0;
    if (normalised > 1)
        normalised = 1;
    return 0.75 * pi + normalised * 1.5 * pi;
}

/* The roll's window on the timeline: the last bars and the lookahead, with
 * the playhead standing still at a fixed place and the music moving past. */
enum { PNL_ROLL_BARS_VISIBLE = 5 };
/* Under three bars heard, over two ahead: the DSP composes two bars ahead. */
static const double pnl_roll_playhead_fraction = 0.56;

/* The pitch range always includes C2..C6 and widens by whole octaves to show
 * every visible note, within the piano's A0..C8. */
enum { PNL_ROLL_LOWEST_DEFAULT = 36, PNL_ROLL_HIGHEST_DEFAULT = 84 };

static inline double pnl_roll_visible_beats(double beats_per_bar)
{
    if (!(beats_per_bar >= 1 && beats_per_bar <= 32))
        beats_per_bar = 4;
    return PNL_ROLL_BARS_VISIBLE * beats_per_bar;
}

static inline double pnl_roll_beat_x(PnlRect notes, double playhead_beats,
                                     double beats_per_bar, double beats)
{
    double visible = pnl_roll_visible_beats(beats_per_bar);
    double start = playhead_beats - pnl_roll_playhead_fraction * visible;
    return notes.x + (beats - start) / visible * notes.width;
}

/* Top of the row of `pitch`, and the row height, for a range lowest..highest. */
static inline double pnl_roll_row_height(PnlRect notes, int lowest, int highest)
{
    return notes.height / (double)(highest - lowest + 1);
}

static inline double pnl_roll_pitch_y(PnlRect notes, int lowest, int highest, int pitch)
{
    return notes.y + (highest - pitch) * pnl_roll_row_height(notes, lowest, highest);
}

#endif
