/* The composers Pianola offers: the plugin's Composer choices, in the order
 * of the port's values. This list is the one place they are written; from it
 * come the plugin's enumeration and its scale points in the generated TTL
 * (plugin/ports.h, ttl/control_ports.c), the window's composer pills, the
 * --composer options of pianola-render and pianola-generate, the tokenizer's
 * validation works (tools/tokenize.c), and training's target composers and
 * Romantic blend (train/data.py reads `pianola-tokenize --composers`).
 *
 * Each name is a composer class of the vocabulary (src/vocabulary.c) that the
 * bundled model has learned; the vocabulary and the model file name every
 * class (27 of them), this list names the few a person chooses from. A
 * model file may declare its own choices instead (a composer of one's own,
 * `train own`; src/model.h): this list is then the start of it, and the
 * plugin's window and the tools read the loaded model's.
 * CONTRIBUTING.md says how to add one.
 *
 * Header only, with no LV2 in it: the core, the plugin, the window and the
 * tools all read it.
 *
 *   X(name, label, blend)
 *   name   the vocabulary's composer class (COMPOSER_<name>)
 *   label  what a host shows in its menu
 *   blend  PNL_BLEND_NONE: a composer of the corpus;
 *          PNL_BLEND_SOURCE: one too, whose pieces training also presents as
 *          the blend class, with some probability;
 *          PNL_BLEND_CLASS: the blend class itself, learned from its sources.
 * The composers of the corpus (all but the blend) always get validation
 * works, and their validation loss decides when training stops. */
#ifndef PIANOLA_COMPOSERS_H
#define PIANOLA_COMPOSERS_H

typedef enum { PNL_BLEND_NONE, PNL_BLEND_SOURCE, PNL_BLEND_CLASS } PnlBlendRole;

#define PNL_COMPOSER_CHOICES(X)                                                                   \
    X("mozart", "Mozart", PNL_BLEND_NONE)                                                         \
    X("brahms", "Brahms", PNL_BLEND_SOURCE)                                                       \
    X("schumann", "Schumann", PNL_BLEND_SOURCE)                                                   \
    X("rachmaninoff", "Rachmaninoff", PNL_BLEND_SOURCE)                                           \
    X("romantic", "Romantic blend", PNL_BLEND_CLASS)

/* Helpers to expand the list into arrays, e.g.
 *   static const char *const names[] = {PNL_COMPOSER_CHOICES(PNL_COMPOSER_NAME)}; */
#define PNL_COMPOSER_NAME(name, label, blend) name,
#define PNL_COMPOSER_LABEL(name, label, blend) label,
#define PNL_COMPOSER_BLEND(name, label, blend) blend,
#define PNL_COMPOSER_ONE(name, label, blend) +1

enum { PNL_COMPOSER_CHOICE_COUNT = 0 PNL_COMPOSER_CHOICES(PNL_COMPOSER_ONE) };

/* The most choices a model file may declare (docs/weights-format.md): the
 * Composer port's range is 0..PNL_COMPOSER_MAX_CHOICES - 1, an index into
 * the loaded model's choices, whose first ones a file trained from the
 * bundled model keeps as this list has them. The TTL's scale points are
 * this list's, the bundled model's choices. */
enum { PNL_COMPOSER_MAX_CHOICES = 32 };

#endif
