/* ACPI subset (SPCR, MADT, GTDT, FADT) into the same struct the FDT walker fills; src/acpi.c. */
#ifndef SHIM_ACPI_H
#define SHIM_ACPI_H
#include "fdt.h"

#define ACPI_MAX_TABLE (1u << 20) /* a table claiming more than 1 MiB is treated as corrupt */

enum { ACPI_OK = 0, ACPI_E_RSDP = -1, ACPI_E_XSDT = -2, ACPI_E_NO_UART = -3, ACPI_E_NO_GIC = -4, ACPI_E_NO_TIMER = -5 };

/* Fills uart, gic, timer and psci fields of `hw` (which the caller zeroed) from the RSDP's tables. */
int acpi_parse(uint64_t rsdp_addr, struct fdt_info *hw);
const char *acpi_strerror(int err);
#endif
