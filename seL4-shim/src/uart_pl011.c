/*
 * PL011 UART: blocking TX, RX FIFO with the RX and RX-timeout interrupts
 * enabled (the GIC wakes WFI; abi.c drains the FIFO after acking).
 * Baud rate is left as firmware/QEMU set it.
 */
#include <stdarg.h>

#include "fbcon.h"
#include "shim.h"

#define UART_DR 0x000
#define UART_FR 0x018
#define UART_LCR_H 0x02c
#define UART_CR 0x030
#define UART_IMSC 0x038
#define UART_ICR 0x044

#define FR_RXFE (1u << 4)  /* receive FIFO empty */
#define FR_TXFF (1u << 5)  /* transmit FIFO full */
#define FR_BUSY (1u << 3)
#define LCR_H_FEN (1u << 4)
#define LCR_H_WLEN8 (3u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)
#define INT_RX (1u << 4)
#define INT_RT (1u << 6)   /* receive timeout: bytes below the FIFO trigger level */

static uint64_t g_uart; /* 0 until uart_init: output is dropped */

void uart_init(uint64_t base) {
  g_uart = base;
  while (mmio_read32(base + UART_FR) & FR_BUSY) {
  }
  mmio_write32(base + UART_CR, 0);                      /* LCR_H may only change while disabled */
  mmio_write32(base + UART_LCR_H, LCR_H_WLEN8 | LCR_H_FEN);
  mmio_write32(base + UART_ICR, 0x7ff);
  mmio_write32(base + UART_IMSC, INT_RX | INT_RT);
  mmio_write32(base + UART_CR, CR_UARTEN | CR_TXE | CR_RXE);
}

bool uart_ready(void) { return g_uart != 0; }

void uart_putc(uint8_t c) {
  fbcon_putc(c); /* the framebuffer mirror after a UEFI boot with GOP; a no-op otherwise */
  if (g_uart == 0) return;
  while (mmio_read32(g_uart + UART_FR) & FR_TXFF) {
  }
  mmio_write32(g_uart + UART_DR, c);
}

void uart_write(const void *buf, size_t len) {
  const uint8_t *p = buf;
  for (size_t i = 0; i < len; i++) uart_putc(p[i]);
}

void uart_puts(const char *s) {
  while (*s) uart_putc((uint8_t)*s++);
}

int uart_getc(void) {
  if (g_uart == 0 || (mmio_read32(g_uart + UART_FR) & FR_RXFE)) return -1;
  return (int)(mmio_read32(g_uart + UART_DR) & 0xff); /* error bits 8..11 ignored */
}

void uart_ack_irq(void) {
  if (g_uart) mmio_write32(g_uart + UART_ICR, INT_RX | INT_RT);
}

/* ---- kprintf: enough for the shim's own lines, formats into a fixed buffer ---- */

#define KPRINTF_BUF 256 /* longest shim line; longer output is cut */

struct kbuf {
  char b[KPRINTF_BUF];
  size_t n;
};

static void kput(struct kbuf *k, char c) {
  if (k->n < KPRINTF_BUF) k->b[k->n++] = c;
}

static void knum(struct kbuf *k, uint64_t v, unsigned base, int neg) {
  char tmp[24];
  int i = 0;
  do {
    tmp[i++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v != 0);
  if (neg) kput(k, '-');
  while (i > 0) kput(k, tmp[--i]);
}

void kprintf(const char *fmt, ...) {
  struct kbuf k;
  va_list ap;
  k.n = 0;
  va_start(ap, fmt);
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      kput(&k, *p);
      continue;
    }
    p++;
    int longs = 0;
    while (*p == 'l') {
      longs++;
      p++;
    }
    switch (*p) {
    case 's': {
      const char *s = va_arg(ap, const char *);
      for (s = s ? s : "(null)"; *s; s++) kput(&k, *s);
      break;
    }
    case 'c': kput(&k, (char)va_arg(ap, int)); break;
    case 'u': knum(&k, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, 0); break;
    case 'd': {
      int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
      knum(&k, v < 0 ? (uint64_t)-v : (uint64_t)v, 10, v < 0);
      break;
    }
    case 'x': knum(&k, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, 0); break;
    case 'p': kput(&k, '0'); kput(&k, 'x'); knum(&k, (uint64_t)va_arg(ap, void *), 16, 0); break;
    case '%': kput(&k, '%'); break;
    case '\0': p--; break;
    default: kput(&k, '%'); kput(&k, *p); break;
    }
  }
  va_end(ap);
  uart_write(k.b, k.n);
}
