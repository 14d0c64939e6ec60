/* The MIDI a plugin sent while pianola-render ran it, kept with the frame it
 * came at, and written as a Standard MIDI File through libsmf. Times are
 * converted at the render's constant tempo at 960 pulses per quarter note
 * (about 0.5 ms at 120 BPM), so humanized timing survives in the file; the
 * codec's writer would snap notes to its 1/24-quarter grid. */
#ifndef PIANOLA_RENDER_MIDI_H
#define PIANOLA_RENDER_MIDI_H

#include <stddef.h>
#include <stdint.h>

typedef struct PnlMidiRecording PnlMidiRecording;

enum { PNL_MIDI_RECORDING_PPQ = 960 };

PnlMidiRecording *pnl_midi_recording_new(void);
void pnl_midi_recording_free(PnlMidiRecording *recording);

/* Appends a channel message (1..3 bytes) sent at `frame` of the render.
 * Frames must not decrease. */
int pnl_midi_recording_add(PnlMidiRecording *recording, int64_t frame, const uint8_t *bytes,
                           uint8_t size);
size_t pnl_midi_recording_count(const PnlMidiRecording *recording);
/* How many note-ons (velocity > 0) the recording holds. */
size_t pnl_midi_recording_note_ons(const PnlMidiRecording *recording);

/* Writes a format-0 file: the tempo (`beats_per_minute` of 1/`beat_unit`
 * notes), the meter, then the messages. Messages on several channels (an
 * ensemble's parts) make a format-1 file instead: a track of the tempo and
 * the meter, then one per channel, named for the part the plugin sends on
 * it (parts.h) and opening with its program. Errors fill `message` with the path
 * and the reason. */
int pnl_midi_recording_write(const PnlMidiRecording *recording, const char *path,
                             double sample_rate, double beats_per_minute, int beats_per_bar,
                             int beat_unit, char *message, size_t message_size);

#endif
