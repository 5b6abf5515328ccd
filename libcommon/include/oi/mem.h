/* oi/mem.h: the one allocator. Only these call malloc; they abort on real OOM. */
#ifndef OI_MEM_H
#define OI_MEM_H

#include <stddef.h>

void *oi_xmalloc(size_t n);
void *oi_xcalloc(size_t n, size_t size);
void *oi_xrealloc(void *p, size_t n);
char *oi_xstrdup(const char *s);               /* NULL in → NULL out */
char *oi_xstrndup(const char *s, size_t n);
char *oi_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Frees *pp and nulls it. */
#define OI_FREE(pp) do { free(pp); (pp) = NULL; } while (0)

#endif
