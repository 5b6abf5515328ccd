/* numbers.h: the phone numbers a mutation touched (whose cached routing it must invalidate): each
 * number once, in the order first added. Adding is O(1) (a hash index beside the list): an
 * agent's change touches every number routed to it, 100,000 and more in a large workspace. */
#ifndef DSP_NUMBERS_H
#define DSP_NUMBERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char **items;     /* owned strings, n of them */
    size_t n;
    size_t cap;
    uint32_t *slots;  /* owned: 1 + the index of an item, 0 = empty; n_slots a power of two */
    size_t n_slots;
} dsp_numbers_t;

/* Adds number unless it is NULL, empty or there already. */
void dsp_numbers_add(dsp_numbers_t *l, const char *number);
void dsp_numbers_cleanup(dsp_numbers_t *l);

#endif
