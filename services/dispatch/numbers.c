/* numbers.c: a list of distinct phone numbers with an open-addressing index (see numbers.h). */
#include "numbers.h"

#include <stdlib.h>
#include <string.h>

#include "oi/hash.h"
#include "oi/mem.h"

/* The slot that holds number, or the empty slot where it would go. */
static uint32_t *slot_of(const dsp_numbers_t *l, const char *number)
{
    size_t mask = l->n_slots - 1;
    for (size_t i = oi_fnv1a_str(OI_FNV1A_SEED, number) & mask;; i = (i + 1) & mask) {
        uint32_t *s = &l->slots[i];
        if (*s == 0 || strcmp(l->items[*s - 1], number) == 0)
            return s;
    }
}

/* Twice the slots, every item indexed again (kept at most half full). */
static void grow_index(dsp_numbers_t *l)
{
    free(l->slots);
    l->n_slots = l->n_slots ? l->n_slots * 2 : 16;
    l->slots = oi_xcalloc(l->n_slots, sizeof *l->slots);
    for (size_t i = 0; i < l->n; i++)
        *slot_of(l, l->items[i]) = (uint32_t)(i + 1);
}

void dsp_numbers_add(dsp_numbers_t *l, const char *number)
{
    if (!number || !*number)
        return;
    if (2 * (l->n + 1) > l->n_slots)
        grow_index(l);
    uint32_t *s = slot_of(l, number);
    if (*s)
        return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->items = oi_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = oi_xstrdup(number);
    *s = (uint32_t)l->n;
}

void dsp_numbers_cleanup(dsp_numbers_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    free(l->slots);
    memset(l, 0, sizeof *l);
}
