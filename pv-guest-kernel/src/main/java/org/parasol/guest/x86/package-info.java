/**
 * The kernel on emulated x86 hardware: {@link org.parasol.guest.x86.NativeOps}, the native
 * implementation of the {@code pv_ops} seam, which executes privileged instructions (port I/O
 * to a 16550 UART and the power ports, MSRs of the local APIC timer, control registers,
 * {@code invlpg}, the interrupt flag, stores into its own page tables) instead of making
 * hypercalls. Used when start_info says {@code SIF_PARASOL_NATIVE}.
 */
package org.parasol.guest.x86;
