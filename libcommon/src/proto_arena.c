/* proto_arena.c: bump allocation for unpacked messages (oi/proto_arena.h). */
#include "oi/proto_arena.h"

#include <stdalign.h>
#include <stdlib.h>

#include "oi/mem.h"

#define ALIGN alignof(max_align_t)
#define BLOCK_MIN 4096

struct oi_proto_arena_block {
    oi_proto_arena_block_t *next;
    size_t cap, used;
    alignas(max_align_t) uint8_t data[];
};

static size_t round_up(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

/* n bytes from the newest block, or a new block that holds at least n */
static void *from_blocks(oi_proto_arena_t *a, size_t n)
{
    oi_proto_arena_block_t *b = a->blocks;
    if (n > SIZE_MAX - sizeof *b)
        return NULL;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN;
        b = oi_xmalloc(sizeof *b + cap);
        b->cap = cap;
        b->used = 0;
        b->next = a->blocks;
        a->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static void *arena_alloc(void *data, size_t size)
{
    oi_proto_arena_t *a = data;
    size_t n = round_up(size ? size : 1);
    if (n < size) /* wrapped: no such allocation */
        return NULL;
    if (a->cap - a->used >= n) {
        void *p = a->space + a->used;
        a->used += n;
        return p;
    }
    return from_blocks(a, n);
}

static void arena_free(void *data, void *p)
{
    (void)data; /* everything goes back at once, in oi_proto_arena_release */
    (void)p;
}

void oi_proto_arena_init(oi_proto_arena_t *a, void *space, size_t cap)
{
    uintptr_t at = (uintptr_t)space;
    size_t skip = space ? (size_t)((ALIGN - at % ALIGN) % ALIGN) : 0;
    a->space = space ? (uint8_t *)space + skip : NULL;
    a->cap = space && cap > skip ? cap - skip : 0;
    a->used = 0;
    a->blocks = NULL;
    a->allocator = (ProtobufCAllocator){arena_alloc, arena_free, a};
}

void oi_proto_arena_release(oi_proto_arena_t *a)
{
    for (oi_proto_arena_block_t *b = a->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a->blocks = NULL;
    a->used = 0;
}
