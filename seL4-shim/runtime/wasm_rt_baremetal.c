/*
 * Bare-metal wasm2c runtime: replaces /usr/src/wasm2c/wasm-rt-impl.c, which
 * needs mmap (sys/mman.h) and malloc. Everything here is statically sized:
 *
 *  - one linear memory, in the linker script's NOLOAD .wasm_arena (16 MiB =
 *    256 pages, the core's declared maximum); pages are zeroed when allocated
 *    or grown, never at boot;
 *  - funcref/externref tables carved from fixed NOLOAD pools;
 *  - function types in a fixed table;
 *  - traps longjmp back to the wasm_rt_impl_try() around each export call.
 *
 * Bounds checks are explicit (WASM_RT_MEMCHECK_SIGNAL_HANDLER=0): there are no
 * guard pages around the arena, so the generated code checks every access.
 * Call depth is counted (WASM_RT_USE_STACK_DEPTH_COUNT) against
 * WASM_RT_MAX_CALL_STACK_DEPTH so deep recursion traps before the C stack ends.
 */
#include <stdarg.h>
#include <string.h>

#include "wasm-rt-impl.h"
#include "shim.h"

#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
#error "seL4-shim has no guard pages around the arena: build with -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0"
#endif

#define PAGE_SIZE 65536u
#define MAX_FUNC_TYPES 256u          /* distinct signatures; AS modules use a few dozen */
#define MAX_FUNC_TYPE_VALUES 2048u   /* params + results over all signatures */
#define FUNCREF_POOL 8192u           /* table slots (24 bytes each) for all funcref tables */
#define EXTERNREF_POOL 1024u
#define MAX_EXCEPTION_SIZE 256u      /* bytes of an exception payload (AS uses none) */

jmp_buf wasm_rt_jmp_buf;
#if WASM_RT_USE_STACK_DEPTH_COUNT
uint32_t wasm_rt_call_stack_depth;
uint32_t wasm_rt_saved_call_stack_depth;
#endif

/* ---- function types ---- */

struct func_type {
  uint16_t first;  /* index in g_type_values */
  uint8_t params, results;
};
static struct func_type g_types[MAX_FUNC_TYPES];
static uint8_t g_type_values[MAX_FUNC_TYPE_VALUES];
static uint32_t g_type_count, g_type_values_used;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  uint8_t vals[256];
  va_list ap;
  if (params + results > sizeof(vals)) panic("wasm runtime: function signature too long");
  va_start(ap, results);
  for (uint32_t i = 0; i < params + results; i++) vals[i] = (uint8_t)va_arg(ap, int); /* enum promotes to int */
  va_end(ap);
  for (uint32_t t = 0; t < g_type_count; t++) {
    if (g_types[t].params == params && g_types[t].results == results &&
        memcmp(&g_type_values[g_types[t].first], vals, params + results) == 0)
      return t + 1;
  }
  if (g_type_count >= MAX_FUNC_TYPES || g_type_values_used + params + results > MAX_FUNC_TYPE_VALUES)
    panic("wasm runtime: function type table full (raise MAX_FUNC_TYPES)");
  g_types[g_type_count] = (struct func_type){ (uint16_t)g_type_values_used, (uint8_t)params, (uint8_t)results };
  memcpy(&g_type_values[g_type_values_used], vals, params + results);
  g_type_values_used += params + results;
  return ++g_type_count;
}

/* ---- traps and exceptions ---- */

static WASM_RT_UNWIND_TARGET *g_unwind_target;
static uint32_t g_exc_tag, g_exc_size, g_tag_count;
static uint8_t g_exc[MAX_EXCEPTION_SIZE];

void wasm_rt_trap(wasm_rt_trap_t code) {
#if WASM_RT_USE_STACK_DEPTH_COUNT
  wasm_rt_call_stack_depth = wasm_rt_saved_call_stack_depth;
#endif
  if (g_unwind_target == NULL) panic("wasm trap outside a guarded call");
  longjmp(wasm_rt_jmp_buf, code == WASM_RT_TRAP_NONE ? WASM_RT_TRAP_UNREACHABLE : code);
}

uint32_t wasm_rt_register_tag(uint32_t size) {
  if (size > MAX_EXCEPTION_SIZE) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
  return g_tag_count++;
}

void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void *values) {
  if (size > MAX_EXCEPTION_SIZE) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
  g_exc_tag = tag;
  g_exc_size = size;
  if (size) memcpy(g_exc, values, size);
}

WASM_RT_NO_RETURN void wasm_rt_throw(void) {
  if (g_unwind_target == NULL) panic("wasm throw outside a guarded call");
  longjmp(*g_unwind_target, WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
}

WASM_RT_UNWIND_TARGET *wasm_rt_get_unwind_target(void) { return g_unwind_target; }
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *target) { g_unwind_target = target; }
uint32_t wasm_rt_exception_tag(void) { return g_exc_tag; }
uint32_t wasm_rt_exception_size(void) { return g_exc_size; }
void *wasm_rt_exception(void) { return g_exc; }

/* ---- runtime lifecycle ---- */

static bool g_initialized;
void wasm_rt_init(void) { g_initialized = true; }
bool wasm_rt_is_initialized(void) { return g_initialized; }
void wasm_rt_free(void) {
  g_type_count = 0;
  g_type_values_used = 0;
  g_initialized = false;
}

/* ---- linear memory: the one static arena ---- */

static bool g_arena_used;

void wasm_rt_allocate_memory(wasm_rt_memory_t *memory, uint32_t initial_pages, uint32_t max_pages) {
  uint32_t arena_pages = (uint32_t)(((uint64_t)__arena_end - (uint64_t)__arena_start) / PAGE_SIZE);
  if (g_arena_used) panic("wasm runtime: the shim has one memory arena; module wants a second memory");
  if (initial_pages > arena_pages) panic("wasm runtime: initial memory larger than the 16 MiB arena");
  g_arena_used = true;
  memory->data = (uint8_t *)__arena_start;
  memory->pages = initial_pages;
  /* a larger (or absent) maximum is clamped: memory.grow past the arena returns -1 */
  memory->max_pages = max_pages < arena_pages ? max_pages : arena_pages;
  memory->size = initial_pages * PAGE_SIZE;
  memset(memory->data, 0, memory->size);
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t delta) {
  uint32_t old_pages = memory->pages;
  uint64_t new_pages = (uint64_t)old_pages + delta;
  if (new_pages > memory->max_pages) return UINT32_MAX;
  memset(memory->data + memory->size, 0, (size_t)delta * PAGE_SIZE);
  memory->pages = (uint32_t)new_pages;
  memory->size = (uint32_t)new_pages * PAGE_SIZE;
  return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t *memory) {
  if (memory->data == (uint8_t *)__arena_start) g_arena_used = false;
  memory->data = NULL;
  memory->size = memory->pages = 0;
}

/* ---- tables: bump pools in NOLOAD memory; the top table can grow in place ---- */

static wasm_rt_funcref_t g_funcref_pool[FUNCREF_POOL] __attribute__((section(".noinit.wasm_funcref")));
static wasm_rt_externref_t g_externref_pool[EXTERNREF_POOL] __attribute__((section(".noinit.wasm_externref")));
static uint32_t g_funcref_used, g_externref_used;

#define DEFINE_TABLE_OPS(type, pool, used, cap)                                                           \
  void wasm_rt_allocate_##type##_table(wasm_rt_##type##_table_t *table, uint32_t elements,              \
                                       uint32_t max_elements) {                                         \
    if (elements > cap - used) panic("wasm runtime: " #type " table pool exhausted");                    \
    table->data = &pool[used];                                                                          \
    used += elements;                                                                                   \
    table->size = elements;                                                                             \
    table->max_size = max_elements;                                                                     \
    memset(table->data, 0, (size_t)elements * sizeof(pool[0])); /* null refs are all-zero */           \
  }                                                                                                     \
  void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t *table) {                                   \
    if (table->data + table->size == &pool[used]) used -= table->size; /* only the top is reclaimed */ \
    table->data = NULL;                                                                                 \
    table->size = 0;                                                                                    \
  }                                                                                                     \
  uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t *table, uint32_t delta,                 \
                                       wasm_rt_##type##_t init) {                                       \
    uint32_t old = table->size;                                                                         \
    uint64_t n = (uint64_t)old + delta;                                                                 \
    if (n > table->max_size) return UINT32_MAX;                                                         \
    if (table->data + old != &pool[used]) { /* not on top: move it there */                            \
      if (n > cap - used) return UINT32_MAX;                                                            \
      memcpy(&pool[used], table->data, (size_t)old * sizeof(pool[0]));                                 \
      table->data = &pool[used];                                                                        \
      used += old;                                                                                      \
    }                                                                                                   \
    if (delta > cap - used) return UINT32_MAX;                                                          \
    used += delta;                                                                                      \
    for (uint32_t i = old; i < n; i++) table->data[i] = init;                                           \
    table->size = (uint32_t)n;                                                                          \
    return old;                                                                                         \
  }

DEFINE_TABLE_OPS(funcref, g_funcref_pool, g_funcref_used, FUNCREF_POOL)
DEFINE_TABLE_OPS(externref, g_externref_pool, g_externref_used, EXTERNREF_POOL)

/* Short names shared with the Node host's trap line ([trap] wasm trap=<kind>). */
const char *wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
  case WASM_RT_TRAP_NONE: return "none";
  case WASM_RT_TRAP_OOB: return "oob";
  case WASM_RT_TRAP_INT_OVERFLOW: return "int-overflow";
  case WASM_RT_TRAP_DIV_BY_ZERO: return "div-by-zero";
  case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid-conversion";
  case WASM_RT_TRAP_UNREACHABLE: return "unreachable";
  case WASM_RT_TRAP_CALL_INDIRECT: return "call-indirect";
  case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught-exception";
  case WASM_RT_TRAP_EXHAUSTION: return "exhaustion";
  }
  return "unknown";
}
