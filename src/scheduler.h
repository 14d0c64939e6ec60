/* The scheduler turns the timeline's notes into note-on and note-off messages
 * at exact frames of one stretch of audio (a segment of a run() cycle with a
 * constant tempo), humanized by the amounts given. It remembers which notes
 * sound, so a stop or a jump can end every one of them at once.
 *
 * Runs in run(): no allocation, bounded work per segment. A segment spans
 * [start_ticks, start_ticks + frames * ticks_per_frame); a message at a
 * performed tick p lands on the first frame whose time is at or after p.
 * A note of a bowed or sung part ends its legato (humanize.h) late. */
#ifndef PIANOLA_SCHEDULER_H
#define PIANOLA_SCHEDULER_H

#include <stdint.h>

#include "timeline.h"

typedef enum { PNL_NOTE_OFF = 0, PNL_NOTE_ON = 1 } PnlNoteMessageType;

typedef struct {
    uint32_t frame;   /* within the segment */
    uint8_t type;     /* PnlNoteMessageType */
    uint8_t pitch;
    uint8_t velocity; /* note-on only */
    uint8_t origin;   /* the timeline note's origin */
    uint8_t part;     /* the timeline note's part (its MIDI channel: pnl_part_channel) */
    uint32_t note_index; /* the timeline note (note-on only) */
} PnlNoteMessage;

typedef struct {
    double start_ticks;
    double ticks_per_frame; /* > 0 */
    uint32_t frames;
    double ticks_per_ms;    /* converts humanized deviations at this tempo */
    float humanize_velocity; /* 0..1 */
    float humanize_timing;   /* 0..1 */
} PnlSegment;

enum {
    PNL_SCHEDULER_WINDOW = 256,
    /* A voice is a part's pitch: a violin and the piano may sound one pitch
     * together, and each ends its own. */
    PNL_SCHEDULER_VOICES = PNL_PART_COUNT * 128
};

typedef struct {
    uint32_t cursor;   /* timeline notes before this are done */
    uint64_t done_bits[PNL_SCHEDULER_WINDOW / 64]; /* notes [cursor, cursor+WINDOW) done */
    double floor_ticks; /* notes performed before this are skipped (after a locate) */
    uint8_t sounding[PNL_SCHEDULER_VOICES]; /* by part * 128 + pitch */
    uint8_t sounding_origin[PNL_SCHEDULER_VOICES];
    double off_ticks[PNL_SCHEDULER_VOICES];
    int sounding_count;
} PnlScheduler;

void pnl_scheduler_init(PnlScheduler *scheduler);

/* Jumps to a position: every sounding note ends (note-offs at frame), and
 * the next segment plays from ticks on. Returns the number of messages
 * written. */
int pnl_scheduler_locate(PnlScheduler *scheduler, const PnlTimeline *timeline, double ticks,
                         uint32_t frame, PnlNoteMessage *messages, int max_messages);

/* Ends every sounding note at frame (transport stop, deactivate, generate
 * off). Returns the number of messages written (at most
 * PNL_SCHEDULER_VOICES; the rest end at the next call). */
int pnl_scheduler_release_all(PnlScheduler *scheduler, uint32_t frame,
                              PnlNoteMessage *messages, int max_messages);

/* The messages of one segment, sorted by frame (note-offs before note-ons at
 * the same frame). Notes that do not fit in max_messages wait for the next
 * segment. Returns the number written. */
int pnl_scheduler_segment(PnlScheduler *scheduler, const PnlTimeline *timeline,
                          const PnlSegment *segment, PnlNoteMessage *messages,
                          int max_messages);

/* The timeline was truncated to count notes: forget any bookkeeping about
 * the dropped ones. */
void pnl_scheduler_timeline_truncated(PnlScheduler *scheduler, uint32_t count);

#endif
