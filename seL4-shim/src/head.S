/*
 * Image header, entry, EL2->EL1 drop, self-relocation and exception vectors.
 *
 * Boot protocol (Linux arm64, Documentation/arm64/booting.rst): x0 = DTB
 * physical address, MMU off, entered at EL2 or EL1. QEMU `-kernel` follows it
 * for the flat image; for the ELF it jumps to e_entry with x0 = 0 (main.c then
 * looks at the start of RAM, where QEMU virt puts the DTB for bare-metal ELFs).
 */
#define SCTLR_EL1_RES1 0x30d00800      /* RES1 bits; MMU, caches, alignment checks off */
#define HCR_EL2_RW (1 << 31)           /* EL1 is AArch64 */
#define CPTR_EL2_RES1 0x33ff           /* RES1 bits; TFP (bit 10) clear: no FP trap */
#define CNTHCTL_EL1PCTEN_EL1PCEN 0x3   /* EL1 may read CNTPCT and use the physical timer */
#define SPSR_EL1H_DAIF 0x3c5           /* EL1h, D/A/I/F masked */
#define ICC_SRE_EL2_SRE_ENABLE 0x9     /* system-register GICv3 interface, usable from EL1 */
#define R_AARCH64_RELATIVE 1027

 	/* The header is split around image_size: linker.ld writes that field with
	   QUAD(), because an assembler reference to a link-time size would become a
	   dynamic relocation in this static PIE and the file would hold 0. */
	.section .head.text.0, "ax"
	.globl _head
_head:
	/* code0: "MZ" for the PE32+ (EFI) view of this same file, and harmless as an
	   instruction (add x13, x18, #0x16) for the Linux Image view; code1 branches on */
	.long	0x91005a4d
	b	_entry                  /* code1 */
	.quad	0                       /* text_offset: load at a 2 MiB aligned base + 0 */
	/* 0x10 image_size: everything up to __kernel_end (arena too), from linker.ld */
	.section .head.text.1, "ax"
	.quad	0x2                     /* flags: LE, 4 KiB pages, base close to the start of DRAM */
	.quad	0                       /* res2 */
	.quad	0                       /* res3 */
	.quad	0                       /* res4 */
	.ascii	"ARM\x64"               /* magic at 0x38 */
	.long	0x40                    /* 0x3c: PE header offset (e_lfanew) */
	/* 0x40..0x1000: zero here; build/pe-stamp (seL4-shim/tools/pe_stamp.c) writes the
	   PE32+ headers into it after objcopy, from the ELF's symbols (see docs/UEFI.md) */
	.org	0x1000 - 0x18

	.section .text.boot, "ax"
	.globl _entry
_entry:
	mov	x19, x0                 /* x19 = DTB pointer from the loader (callee-saved) */
	mov	x21, x1                 /* x21 = EFI handoff from our own EFI stage (0 from -kernel) */
	mrs	x20, CurrentEL
	ubfx	x20, x20, #2, #2        /* x20 = entry exception level */
	cmp	x20, #2
	b.eq	from_el2
	cmp	x20, #1
	b.eq	at_el1
park:	wfe                             /* EL3 entry is not supported: no console yet, just stop */
	b	park

from_el2:
	mov	x0, #HCR_EL2_RW
	msr	hcr_el2, x0             /* no stage 2, no traps, EL1 AArch64 */
	mov	x0, #CNTHCTL_EL1PCTEN_EL1PCEN
	msr	cnthctl_el2, x0
	msr	cntvoff_el2, xzr        /* virtual count == physical count */
	mov	x0, #CPTR_EL2_RES1
	msr	cptr_el2, x0
	msr	hstr_el2, xzr
	mrs	x0, midr_el1
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	msr	vttbr_el2, xzr
	mrs	x0, id_aa64pfr0_el1     /* GIC field: CPU has a GICv3 system-register interface */
	ubfx	x0, x0, #24, #4
	cbz	x0, 1f
	mrs	x0, icc_sre_el2
	mov	x1, #ICC_SRE_EL2_SRE_ENABLE
	orr	x0, x0, x1
	msr	icc_sre_el2, x0
	isb
	msr	ich_hcr_el2, xzr
1:	ldr	x0, =SCTLR_EL1_RES1
	msr	sctlr_el1, x0
	mov	x0, #SPSR_EL1H_DAIF
	msr	spsr_el2, x0
	adr	x0, at_el1
	msr	elr_el2, x0
	eret

at_el1:
	ldr	x0, =SCTLR_EL1_RES1     /* MMU and caches off until mmu.c has tables */
	msr	sctlr_el1, x0
	isb
	mov	x0, #(3 << 20)          /* CPACR_EL1.FPEN: gcc uses SIMD for copies */
	msr	cpacr_el1, x0
	isb
	adrp	x0, vectors
	add	x0, x0, :lo12:vectors
	msr	vbar_el1, x0
	msr	daifset, #0xf           /* I/F stay masked for good: the GIC is polled after WFI */
	msr	daifclr, #0x4           /* SError unmasked: asynchronous aborts get reported */

	/* stacks: the shim runs on SP_EL0 (EL1t); exceptions switch to SP_EL1 */
	msr	spsel, #1
	adrp	x0, __exc_stack_top
	add	x0, x0, :lo12:__exc_stack_top
	mov	sp, x0
	msr	spsel, #0
	adrp	x0, __stack_top
	add	x0, x0, :lo12:__stack_top
	mov	sp, x0

	bl	relocate_self
	ic	iallu
	dsb	sy
	isb
	mov	x0, x19
	mov	x1, x20
	mov	x2, x21
	bl	shim_main               /* never returns */
	b	park
	.ltorg

/*
 * Self-relocation, TPIDR_EL0 and .bss; shared by both entries, uses x0-x9 only, no stack.
 * ld leaves RELA slots unfilled, so they are applied even at delta 0; each one is
 * computed from its addend, so applying them again at another address (the EFI
 * stage copies an already relocated image into the kernel window) is exact.
 */
relocate_self:
	adr	x0, _head
	ldr	x1, =KERNEL_LINK_BASE
	sub	x9, x0, x1              /* x9 = load address - link address */
	adrp	x2, __rela_start
	add	x2, x2, :lo12:__rela_start
	adrp	x3, __rela_end
	add	x3, x3, :lo12:__rela_end
2:	cmp	x2, x3
	b.hs	3f
	ldp	x4, x5, [x2], #16       /* r_offset, r_info */
	ldr	x6, [x2], #8            /* r_addend */
	cmp	w5, #R_AARCH64_RELATIVE
	b.ne	2b                      /* the Makefile guarantees there are no other types */
	add	x6, x6, x9
	str	x6, [x4, x9]
	b	2b
3:
	/* TLS: picolibc's _set_tls reads a GOT slot ld mis-relocates; set TPIDR_EL0 here */
	adrp	x0, __tls_tp
	add	x0, x0, :lo12:__tls_tp
	msr	tpidr_el0, x0

	/* .bss (small: big buffers live in NOLOAD sections and are zeroed on use) */
	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
4:	cmp	x0, x1
	b.hs	5f
	stp	xzr, xzr, [x0], #16
	b	4b
5:	ret
	.ltorg

/*
 * EFI entry (PE AddressOfEntryPoint): x0 = ImageHandle, x1 = SystemTable, MMU
 * and caches on (the firmware's identity map), EL1 or EL2, on the firmware's
 * stack. Relocates this loaded copy so C runs, then efi_main (efi.c) claims the
 * kernel window, leaves boot services and enters the window copy through
 * efi_enter_kernel; it returns only on failure, with an EFI_STATUS for the firmware.
 */
	.globl	efi_entry
efi_entry:
	stp	x29, x30, [sp, #-48]!
	mov	x29, sp
	stp	x19, x20, [sp, #16]
	str	x21, [sp, #32]
	mov	x19, x0
	mov	x20, x1
	mrs	x21, tpidr_el0          /* the firmware's, put back if we return to it */
	bl	relocate_self
	mov	x0, x19
	mov	x1, x20
	bl	efi_main
	msr	tpidr_el0, x21
	ldr	x21, [sp, #32]
	ldp	x19, x20, [sp, #16]
	ldp	x29, x30, [sp], #48
	ret

/*
 * efi_enter_kernel(entry, dtb, handoff): after ExitBootServices, called in the
 * kernel-window copy (cleaned to PoC by the caller). Masks interrupts, turns the
 * MMU and caches off at the current EL (the firmware's map is an identity map, so
 * the next fetch is the same address), and enters like a Linux boot loader would:
 * x0 = DTB (0 with ACPI only), x1 = handoff, x2 = x3 = 0.
 */
	.globl	efi_enter_kernel
efi_enter_kernel:
	msr	daifset, #0xf
	mov	x9, x0
	mov	x10, x1
	mov	x11, x2
	mov	x12, #(1 << 0 | 1 << 2 | 1 << 12)  /* SCTLR M, C, I */
	mrs	x13, CurrentEL
	cmp	x13, #(2 << 2)
	b.eq	1f
	mrs	x13, sctlr_el1
	bic	x13, x13, x12
	msr	sctlr_el1, x13
	b	2f
1:	mrs	x13, sctlr_el2
	bic	x13, x13, x12
	msr	sctlr_el2, x13
2:	isb
	ic	iallu
	dsb	sy
	isb
	mov	x0, x10
	mov	x1, x11
	mov	x2, xzr
	mov	x3, xzr
	br	x9

/*
 * Exception vectors. Every entry saves x0..x30 on the exception stack and
 * calls exc_report(kind, frame), which prints and halts: the shim takes no
 * exceptions on purpose (interrupts are masked and handled after WFI).
 */
.macro ventry kind
	.balign	0x80
	sub	sp, sp, #(32 * 8)
	stp	x0, x1, [sp, #(0 * 8)]
	mov	x0, #\kind
	b	exc_common
.endm

	.text
	.balign	0x800
vectors:
	ventry	0   /* current EL, SP_EL0: sync */
	ventry	1   /* irq */
	ventry	2   /* fiq */
	ventry	3   /* serror */
	ventry	4   /* current EL, SP_ELx: sync */
	ventry	5
	ventry	6
	ventry	7
	ventry	8   /* lower EL, AArch64 */
	ventry	9
	ventry	10
	ventry	11
	ventry	12  /* lower EL, AArch32 */
	ventry	13
	ventry	14
	ventry	15

exc_common:
	stp	x2, x3, [sp, #(2 * 8)]
	stp	x4, x5, [sp, #(4 * 8)]
	stp	x6, x7, [sp, #(6 * 8)]
	stp	x8, x9, [sp, #(8 * 8)]
	stp	x10, x11, [sp, #(10 * 8)]
	stp	x12, x13, [sp, #(12 * 8)]
	stp	x14, x15, [sp, #(14 * 8)]
	stp	x16, x17, [sp, #(16 * 8)]
	stp	x18, x19, [sp, #(18 * 8)]
	stp	x20, x21, [sp, #(20 * 8)]
	stp	x22, x23, [sp, #(22 * 8)]
	stp	x24, x25, [sp, #(24 * 8)]
	stp	x26, x27, [sp, #(26 * 8)]
	stp	x28, x29, [sp, #(28 * 8)]
	str	x30, [sp, #(30 * 8)]
	mov	x1, sp
	bl	exc_report              /* never returns */
	b	park
