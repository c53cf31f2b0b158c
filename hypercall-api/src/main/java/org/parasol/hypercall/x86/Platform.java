package org.parasol.hypercall.x86;

/**
 * The PC platform a native kernel drives and the emulation behind it models: where each
 * device answers on the I/O bus and which MSRs and CPUID leaves it uses. Numbers are the
 * ones a PC (and QEMU's i440fx/q35 machines) uses, so a reader can check them against any
 * datasheet.
 *
 * <table>
 *   <caption>The devices</caption>
 *   <tr><td>COM1</td><td>a 16550A UART at {@code 0x3F8..0x3FF}: the console</td></tr>
 *   <tr><td>PM1a control</td><td>{@code 0x604}: {@code SLP_EN} with sleep type 0 (S5) powers off</td></tr>
 *   <tr><td>reset control</td><td>{@code 0xCF9}: writing {@code 0x06} resets the machine</td></tr>
 *   <tr><td>pvpanic</td><td>{@code 0x505}: bit 0 written says the guest panicked</td></tr>
 *   <tr><td>local APIC timer</td><td>x2APIC {@code LVT Timer} MSR {@code 0x832} (masked stops it),
 *       TSC-deadline MSR {@code 0x6E0}: the one-shot timer</td></tr>
 * </table>
 */
public final class Platform {
    private Platform() {
    }

    /** COM1's base port. */
    public static final int COM1 = 0x3F8;
    /** UART register: transmit holding (write) / receive buffer (read); divisor low with DLAB. */
    public static final int UART_THR = 0;
    /** UART register: interrupt enable; divisor high with DLAB. */
    public static final int UART_IER = 1;
    /** UART register: interrupt identification (read) / FIFO control (write). */
    public static final int UART_IIR_FCR = 2;
    /** UART register: line control (bit 7 is DLAB). */
    public static final int UART_LCR = 3;
    /** UART register: modem control. */
    public static final int UART_MCR = 4;
    /** UART register: line status. */
    public static final int UART_LSR = 5;
    /** UART register: modem status. */
    public static final int UART_MSR = 6;
    /** UART register: scratch. */
    public static final int UART_SCR = 7;
    /** LCR: divisor latch access. */
    public static final int LCR_DLAB = 0x80;
    /** LSR: data ready. */
    public static final int LSR_DR = 0x01;
    /** LSR: transmit holding register (and FIFO) empty. */
    public static final int LSR_THRE = 0x20;
    /** LSR: transmitter empty. */
    public static final int LSR_TEMT = 0x40;
    /** The 16550A's transmit FIFO: bytes a driver may write after seeing THRE. */
    public static final int UART_FIFO = 16;

    /** ACPI PM1a control block. */
    public static final int PM1A_CNT = 0x604;
    /** PM1 control: sleep enable. */
    public static final int PM1_SLP_EN = 1 << 13;
    /** PM1 control: the sleep-type field. */
    public static final int PM1_SLP_TYP_MASK = 7 << 10;
    /** The reset control register. */
    public static final int RESET_CONTROL = 0xCF9;
    /** Reset control: a hard reset ({@code SYS_RST | RST_CPU}). */
    public static final int RESET_HARD = 0x06;
    /** QEMU's pvpanic port. */
    public static final int PVPANIC = 0x505;
    /** pvpanic: the guest panicked. */
    public static final int PVPANIC_PANICKED = 1;

    /** {@code IA32_TSC_DEADLINE}: the local APIC timer fires when the TSC reaches it; 0 disarms. */
    public static final int MSR_TSC_DEADLINE = 0x6E0;
    /** x2APIC {@code LVT Timer}. */
    public static final int MSR_X2APIC_LVT_TIMER = 0x832;
    /** LVT: masked. */
    public static final long LVT_MASKED = 1L << 16;
    /** LVT timer mode: TSC-deadline. */
    public static final long LVT_TSC_DEADLINE = 2L << 17;

    /** CPUID leaf 1: ECX bit 31, a hypervisor is present. */
    public static final int CPUID1_ECX_HYPERVISOR = 1 << 31;
    /** CPUID: the first hypervisor leaf (its signature in EBX, ECX, EDX). */
    public static final int CPUID_HYPERVISOR_BASE = 0x4000_0000;
    /** CPUID: the Xen version leaf (EAX = major << 16 | minor). */
    public static final int CPUID_XEN_VERSION = 0x4000_0001;

    /** CR0: protected mode, extension type, write protect, paging: what a 64-bit kernel runs with. */
    public static final long CR0_RUNNING = 1L | 1L << 4 | 1L << 16 | 1L << 31;
    /** CR4: PAE and PGE, as a 64-bit kernel runs. */
    public static final long CR4_RUNNING = 1L << 5 | 1L << 7;
}
