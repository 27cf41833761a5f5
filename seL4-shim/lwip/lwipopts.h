/*
 * lwIP 2.1.3 configuration for the seL4-shim: raw API, NO_SYS=1, IPv4 only,
 * one Ethernet netif (virtio-net), static pools. Sizes follow from what the
 * core serves (generated/manifest.h): COH_CONSOLE_MAX_SESSIONS console
 * sessions on COH_NET_CONSOLE_PORT, a few short smoke connections, the UDP
 * echo port. Everything is allocated statically in .bss at link time.
 */
#ifndef COH_LWIPOPTS_H
#define COH_LWIPOPTS_H

#include "manifest.h"

/* ---- the shape of the stack ---- */
#define NO_SYS 1               /* no threads: the shim's event pump drives lwIP */
#define SYS_LIGHTWEIGHT_PROT 0 /* single core, no interrupt handlers touch lwIP */
#define LWIP_TIMERS 1          /* sys_check_timeouts() from the pump; sys_now() from the generic timer */
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0
#define LWIP_ALTCP 0
#define LWIP_CALLBACK_API 1
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1            /* answer ping: handy when debugging the link */
#define LWIP_RAW 0
#define LWIP_DHCP 0            /* static address from the manifest */
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_STATS 0
#define LWIP_SINGLE_NETIF 1
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_HAVE_LOOPIF 0
#define LWIP_TCP_KEEPALIVE 0   /* the core has its own idle timeout */
#define LWIP_TCP_TIMESTAMPS 0
#define LWIP_WND_SCALE 0
#define SO_REUSE 0
#define TCP_LISTEN_BACKLOG 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 1        /* a datagram up to coh_rx_cap() (2048) may arrive in 2 fragments */
#define IP_FRAG 1
#define ETH_PAD_SIZE 0

/* Checksums: all computed and checked in software (the NIC is set up without offloads). */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1

/* ---- connection budget ---- */
/* Smoke connections the core serves at once (network.smoke_max_conns). */
#define COH_NET_SMOKE_CONNS COH_NET_SMOKE_MAX_CONNS
/* Connection slots in net.c: every authenticated session, the pre-auth pool
   (console.preauth_max), one more that is being evicted from it, the smoke
   connections plus one being evicted, and 4 spare for connections the core has
   closed but whose coh_stream_closed is still queued. A SYN beyond this is
   answered with RST; the core evicts the oldest pre-auth or smoke connection
   first, so silent connections cannot hold these slots. */
#define COH_NET_MAX_CONNS (COH_CONSOLE_MAX_SESSIONS + COH_CONSOLE_PREAUTH_MAX + 1 + COH_NET_SMOKE_CONNS + 1 + 4)
/* PCBs: the slots above plus the ones lwIP keeps after we hand a connection back
   (FIN_WAIT/LAST_ACK/TIME_WAIT). When the pool runs dry lwIP reclaims TIME_WAIT,
   then LAST_ACK/CLOSING, then lower-priority pcbs (closed ones are demoted). */
#define MEMP_NUM_TCP_PCB (COH_NET_MAX_CONNS + 4)
#define MEMP_NUM_TCP_PCB_LISTEN 4 /* console + smoke, and room for two more */
#define MEMP_NUM_UDP_PCB 4        /* echo, and room */

/* ---- TCP buffers ---- */
#define TCP_MSS 1460                 /* Ethernet MTU 1500 - 40 */
#define TCP_WND (4 * TCP_MSS)        /* 5840: the pump hands everything to the core each turn */
/* Send buffer per connection: ~64 KiB, what the Node host's sockets take before they report
   back-pressure (SEND_HIGH_WATER in host/runtime/net_sockets.ts). The core answers a burst of
   pipelined commands in one coh_stream_rx call and cuts a session whose reply overflows its
   own 16 KiB queue, so a smaller buffer here would cut sessions the Node host keeps. */
#define TCP_SND_BUF (44 * TCP_MSS)   /* 64240: snd_buf is a u16 without window scaling */
#define TCP_SND_QUEUELEN (2 * TCP_SND_BUF / TCP_MSS) /* 88 pbufs: about one per segment (TCP_OVERSIZE) */
#define TCP_OVERSIZE TCP_MSS         /* small writes (frames) are appended to one segment */
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_PBUFS 4        /* per pcb: slirp does not reorder, keep it small */
#define TCP_MSL 10000UL              /* TIME_WAIT 20 s instead of 2 min: recycles pcbs sooner */
/* Segments: a full send buffer is 44; several sessions may be sending at once. ~40 B each. */
#define MEMP_NUM_TCP_SEG (4 * TCP_SND_QUEUELEN)

/* ---- heap and pools ----
 * MEM_SIZE: tcp_write() copies into PBUF_RAM from this heap, so it holds the send buffer
 * of every connection that is sending at once: COH_CONSOLE_MAX_SESSIONS x 64240 B plus
 * per-segment overhead (~5%), plus small smoke/busy replies, UDP echoes and ARP-queued
 * frames. When it runs out tcp_write fails, stream_send returns 0 (back-pressure) and the
 * core retries on its next tick, so this bounds memory, not correctness. */
#define MEM_ALIGNMENT 8
#define MEM_SIZE (COH_CONSOLE_MAX_SESSIONS * 68 * 1024 + 32 * 1024) /* 304 KiB */
/* Received frames are copied from the virtio buffers into pool pbufs (1520 B
   each) and held until the pump hands them to the core, normally within the same
   turn: the pump takes at most 16 frames per turn, so 32 leave room for ooseq
   segments and IP reassembly. */
#define PBUF_POOL_SIZE 32
#define MEMP_NUM_PBUF 16             /* PBUF_REF/ROM: only used by lwIP internally here */
#define MEMP_NUM_REASSDATA 2
#define IP_REASS_MAX_PBUFS 4
#define MEMP_NUM_FRAG_PBUF 4
#define ARP_TABLE_SIZE 4             /* the gateway (slirp answers for every host) and a few */
#define ARP_QUEUEING 1
#define MEMP_NUM_ARP_QUEUE 8

#endif
