/*
 * lwIP port glue for the seL4-shim (bare-metal aarch64, picolibc, little endian).
 * The functions declared here live in src/net.c.
 */
#ifndef COH_LWIP_ARCH_CC_H
#define COH_LWIP_ARCH_CC_H

#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

/* Diagnostics only exist with LWIP_DEBUG, which we do not build. */
#define LWIP_PLATFORM_DIAG(x) do { } while (0)
/* A failed assertion means lwIP's state is broken: report and halt like any shim fault. */
#define LWIP_PLATFORM_ASSERT(x) coh_lwip_assert((x), __FILE__, __LINE__)
void coh_lwip_assert(const char *msg, const char *file, int line) __attribute__((noreturn));

/* Random local ports and initial sequence numbers from the shim's entropy pool. */
#define LWIP_RAND() coh_lwip_rand()
uint32_t coh_lwip_rand(void);
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) coh_lwip_rand()

#endif
