/* Symbol visibility for the Nacre shared library. Everything not marked
 * NACRE_API is hidden (the library is built with -fvisibility=hidden). */
#ifndef NACRE_EXPORT_H
#define NACRE_EXPORT_H
#if defined(NACRE_STATIC_DEFINE)
#define NACRE_API
#else
#define NACRE_API __attribute__((visibility("default")))
#endif
#endif
