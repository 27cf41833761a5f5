/*
 * Entropy for the core (plat.entropy) and lwIP (coh_lwip_rand): the DTB's rng-seed and
 * kaslr-seed plus the counter, through SplitMix64. Not a CSPRNG: tickets are MACed with
 * manifest secrets, not with these bytes (docs/PLATFORM_ABI.md).
 */
#include <stdint.h>

#include "fdt.h"
#include "shim.h"

static uint64_t g_rng;

static uint64_t mix64(uint64_t z) { /* SplitMix64 output function */
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static void rng_absorb(uint64_t v) { g_rng = mix64(g_rng ^ v) + 0x9e3779b97f4a7c15ull; }
static uint64_t rng_next(void) { return mix64(g_rng += 0x9e3779b97f4a7c15ull); }

uint32_t entropy_u32(void) {
  rng_absorb(timer_count());
  return (uint32_t)rng_next();
}

void entropy_seed(const struct fdt_info *hw) {
  for (unsigned i = 0; i < hw->rng_seed_len; i += 8) {
    uint64_t w = 0;
    for (unsigned j = 0; j < 8 && i + j < hw->rng_seed_len; j++) w |= (uint64_t)hw->rng_seed[i + j] << (8 * j);
    rng_absorb(w);
  }
  if (hw->has_kaslr_seed) rng_absorb(hw->kaslr_seed);
  rng_absorb(timer_count());
}


void entropy_fill(uint8_t *p, uint32_t len) {
  rng_absorb(timer_count());
  for (uint32_t i = 0; i < len; i += 8) {
    uint64_t r = rng_next();
    uint32_t n = len - i < 8 ? len - i : 8;
    for (uint32_t j = 0; j < n; j++) p[i + j] = (uint8_t)(r >> (8 * j)); /* little-endian, as memcpy gave */
  }
}
