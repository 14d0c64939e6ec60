/* Pianola's controls, drawn with cairo: the palette, text, knobs, buttons,
 * the composer selector, the numeric seed field and the tempo readout. Each
 * function draws one control in the state it is given; the UI (pianola_ui.c)
 * owns the state, the layout (layout.h) says where, and hit-testing is
 * pnl_rect_contains on the same rectangles. */
#ifndef PIANOLA_GUI_WIDGETS_H
#define PIANOLA_GUI_WIDGETS_H

#include <cairo.h>

#include "../src/parts.h"
#include "layout.h"

typedef struct {
    double red, green, blue;
} PnlColor;

/* The palette: a dark, warm-grey desk, ivory text, teal for what the model
 * composes, amber for the captured prompt, rose for notes played live. */
extern const PnlColor pnl_color_background;
extern const PnlColor pnl_color_panel;
extern const PnlColor pnl_color_panel_edge;
extern const PnlColor pnl_color_text;
extern const PnlColor pnl_color_text_dim;
extern const PnlColor pnl_color_accent;
extern const PnlColor pnl_color_generated;
extern const PnlColor pnl_color_prompt;
extern const PnlColor pnl_color_live;
extern const PnlColor pnl_color_record;
/* One hue a part of an ensemble (src/parts.h), for its notes on the roll:
 * the piano's entry is the composed teal, and the piano keeps the colours
 * of its notes' origins; the strings and the melody each have their own,
 * apart from those three and from each other. */
extern const PnlColor pnl_color_parts[PNL_PART_COUNT];

void pnl_set_color(cairo_t *cr, PnlColor color, double alpha);
PnlColor pnl_color_mix(PnlColor from, PnlColor to, double amount);
void pnl_rounded_rect(cairo_t *cr, PnlRect rect, double radius);

typedef enum { PNL_ALIGN_LEFT, PNL_ALIGN_CENTRE, PNL_ALIGN_RIGHT } PnlAlign;

/* Draws text with its baseline at y; size in device pixels. Returns its width. */
double pnl_draw_text(cairo_t *cr, const char *text, double x, double y, double size,
                     PnlAlign align, PnlColor color, int bold);

/* A rotary knob in its cell: label above, dial, value text below. The arc
 * fills from the sweep's start to the value; `normalised` is 0..1. */
void pnl_draw_knob(cairo_t *cr, PnlRect cell, double scale, const char *label,
                   const char *value_text, double normalised, int hovered, int dragging);

/* The capture button's looks, one per PnlCaptureState (plugin/uris.h). */
void pnl_draw_capture_button(cairo_t *cr, PnlRect rect, double scale, int capture_state,
                             int note_count, int hovered);

/* A toggle with a lamp: "Compose" on or off. */
void pnl_draw_toggle_button(cairo_t *cr, PnlRect rect, double scale, const char *label,
                            const char *on_text, const char *off_text, int on, int hovered);

/* The re-roll trigger: a circular arrow; lit while the trigger is high. */
void pnl_draw_reroll_button(cairo_t *cr, PnlRect rect, double scale, int lit, int hovered);

/* The composer selector: one segment per composer, the chosen one lit. */
void pnl_draw_composer_selector(cairo_t *cr, const PnlRect *segments, int count,
                                const char *const *names, int selected, int hovered,
                                double scale);

/* The seed: a numeric field; while editing, the typed text and a caret. */
void pnl_draw_seed_field(cairo_t *cr, PnlRect cell, PnlRect field, double scale,
                         const char *text, int editing, int hovered);

/* The model row: "Model", the file's name, and a button that opens the
 * host's file dialog (the whole row answers a click). */
void pnl_draw_model_row(cairo_t *cr, PnlRect rect, double scale, const char *file_name,
                        int hovered);

/* The tempo in use and where the playhead stands. */
void pnl_draw_tempo(cairo_t *cr, PnlRect rect, double scale, double bpm, int host_time,
                    int have_position, double beats, double beats_per_bar);

#endif
