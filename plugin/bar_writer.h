/* The bar writer: the bundled model and sampler, writing the timeline's next
 * bar on the LV2 worker in the style of the chosen composer (one of its
 * settings). Owned by the worker thread (created at instantiation, freed at
 * cleanup); never touched by run().
 *
 * Each call composes the notes of one stretch [from_ticks, until_ticks)
 * within a bar, from the notes before it (the last few bars of the
 * timeline: the captured prompt, then what was composed) and a random
 * stream keyed by the seed, the variation (re-roll count) and the bar. The
 * result depends on nothing else, so live play, an export, a restored
 * session and a re-roll all compose the same notes from the same inputs. */
#ifndef PIANOLA_BAR_WRITER_H
#define PIANOLA_BAR_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "timeline.h"

typedef struct {
    int32_t composer_choice; /* index into PNL_COMPOSER_CHOICES (src/composers.h) */
    float temperature;       /* 0 = the best guess */
    float top_p;
    uint32_t seed;
    uint32_t variation;      /* re-roll count */
    int32_t bar_ticks;       /* the meter, from the host */
    int32_t beat_ticks;
} PnlComposeSettings;

typedef struct PnlBarWriter PnlBarWriter;

/* Loads the bundle's model (models/pianola.pnm under bundle_path). NULL with
 * a message when there is none or it is unusable. */
PnlBarWriter *pnl_bar_writer_new(const char *bundle_path, char *message, size_t message_size);
void pnl_bar_writer_free(PnlBarWriter *writer);

/* Composes notes with onsets in [from_ticks, until_ticks) (one bar or the
 * rest of one) after context[0..context_count), the timeline notes before
 * from_ticks. Writes at most max_notes to notes, sorted by onset then
 * pitch, and their number to *note_count. */
int pnl_bar_writer_compose(PnlBarWriter *writer, const PnlComposeSettings *settings,
                           const PnlTimelineNote *context, uint32_t context_count,
                           int32_t from_ticks, int32_t until_ticks, PnlTimelineNote *notes,
                           uint32_t max_notes, uint32_t *note_count, char *message,
                           size_t message_size);

#endif
