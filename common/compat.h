/* compat.h: small things glibc or the kernel headers lack. */
#ifndef ZC_COMPAT_H
#define ZC_COMPAT_H

#include <stddef.h>

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif
