/* The roles of an ensemble and the ensembles the plugin offers; see
 * parts.h. */
#include "parts.h"

#include <stddef.h>
#include <string.h>

/* Ranges: the lowest note is the open lowest string (violin G3, viola C3,
 * cello C2); the highest is where the chamber corpus
 * (../shared/corpus-chamber, 2.3 million notes) stops, less two stray
 * violin notes (G#7 once, B7 once; 5 reach G7): violin G7, viola and cello
 * E6 (docs/vocabulary.md, "Ensembles", has the figures). The melody spans
 * the songs' voice lines, G3..A#5. Programs are General
 * MIDI's (0-based): 0 acoustic grand, 40 violin, 41 viola, 42 cello, and
 * 68 (oboe) for the melody, as MuseScore wrote the songs' voice lines (the
 * plugin lets the player choose another). The pans place the players as
 * a listener in the hall sees them: a quartet's first violin far left, the
 * second left of centre, the viola right of centre, the cello right; a
 * soloist or a singer a little left of the piano, which keeps the centre. */
static const PnlPartRole roles[PNL_PART_COUNT] = {
    [PNL_PART_PIANO] = {"piano", "Piano", 0, 21, 108, PNL_PART_UNLIMITED, 64},
    [PNL_PART_VIOLIN_1] = {"violin_1", "Violin I", 40, 55, 103, 2, 34},
    [PNL_PART_VIOLIN_2] = {"violin_2", "Violin II", 40, 55, 103, 2, 52},
    [PNL_PART_VIOLA] = {"viola", "Viola", 41, 48, 88, 2, 76},
    [PNL_PART_CELLO] = {"cello", "Cello", 42, 36, 88, 2, 94},
    [PNL_PART_MELODY] = {"melody", "Melody", 68, 55, 82, 1, 46},
};

#define ENSEMBLE_ROW(name, label, parts) {name, label, parts},
static const PnlEnsemble ensembles[] = {PNL_ENSEMBLE_CHOICES(ENSEMBLE_ROW)};
#undef ENSEMBLE_ROW

int pnl_melody_instrument_program(int index)
{
#define PROGRAM(name, label, program) program,
    static const int programs[] = {PNL_MELODY_INSTRUMENT_CHOICES(PROGRAM)};
#undef PROGRAM
    return programs[index >= 0 && index < PNL_MELODY_INSTRUMENT_COUNT ? index : 0];
}

const PnlPartRole *pnl_part_role(int part)
{
    return part >= 0 && part < PNL_PART_COUNT ? &roles[part] : NULL;
}

int pnl_part_index(const char *name)
{
    for (int part = 0; name && part < PNL_PART_COUNT; part++)
        if (!strcmp(name, roles[part].name))
            return part;
    return -1;
}

int pnl_part_in_range(int part, int pitch)
{
    const PnlPartRole *role = pnl_part_role(part);
    return role && pitch >= role->lowest && pitch <= role->highest;
}

int pnl_ensemble_count(void)
{
    return (int)(sizeof ensembles / sizeof ensembles[0]);
}

const PnlEnsemble *pnl_ensemble(int index)
{
    return index >= 0 && index < pnl_ensemble_count() ? &ensembles[index] : NULL;
}

int pnl_ensemble_index(const char *name)
{
    for (int i = 0; name && i < pnl_ensemble_count(); i++)
        if (!strcmp(name, ensembles[i].name))
            return i;
    return -1;
}

int pnl_ensemble_prompt_part(PnlPartSet parts, int choice)
{
    if (!parts || (choice != PNL_PROMPT_PART_TOP && (parts & PNL_PART_BIT(PNL_PART_PIANO))))
        return PNL_PART_PIANO;
    /* The top part: the first role after the piano, in role order (the
     * first violin, then the second, the viola, the cello, the melody). */
    for (int part = PNL_PART_PIANO + 1; part < PNL_PART_COUNT; part++)
        if (parts & PNL_PART_BIT(part))
            return part;
    return PNL_PART_PIANO;
}
