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
 *   <tr><td>8259 pair</td><td>master {@code 0x20}/{@code 0x21}, slave {@code 0xA0}/{@code 0xA1}
 *       on the master's IR2; IRQ 14 is the disk's</td></tr>
 *   <tr><td>primary ATA channel</td><td>command block {@code 0x1F0..0x1F7}, control block
 *       {@code 0x3F6} (alternate status / device control): the disk, PIO or bus-master DMA, IRQ 14</td></tr>
 *   <tr><td>PCI configuration</td><td>mechanism #1 at {@code 0xCF8}/{@code 0xCFC}: the PIIX3's IDE
 *       function at 00:01.1, its bus-master block (BAR4) at {@code 0xC000}</td></tr>
 *   <tr><td>NE2000</td><td>a DP8390 network card at {@code 0x300..0x31F}, IRQ 10: a native domain's {@code vif=}</td></tr>
 *   <tr><td>PM1a control</td><td>{@code 0x604}: {@code SLP_EN} with sleep type 0 (S5) powers off</td></tr>
 *   <tr><td>reset control</td><td>{@code 0xCF9}: writing {@code 0x06} resets the machine</td></tr>
 *   <tr><td>pvpanic</td><td>{@code 0x505}: bit 0 written says the guest panicked</td></tr>
 *   <tr><td>local APIC timer</td><td>x2APIC {@code LVT Timer} MSR {@code 0x832} (masked stops it),
 *       TSC-deadline MSR {@code 0x6E0}: the one-shot timer, an interrupt at the LVT's vector,
 *       ended by a write of 0 to the x2APIC {@code EOI} MSR {@code 0x80B}</td></tr>
 * </table>
 */
public final class Platform {
    private Platform() {
    }

    /** COM1's base port. */
    public static final int COM1 = 0x3F8;
    /** COM1's IRQ. */
    public static final int COM1_IRQ = 4;
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
    /** LSR: overrun error (a byte arrived at a full receive FIFO and was lost); cleared by reading LSR. */
    public static final int LSR_OE = 0x02;
    /** LSR: transmit holding register (and FIFO) empty. */
    public static final int LSR_THRE = 0x20;
    /** LSR: transmitter empty. */
    public static final int LSR_TEMT = 0x40;
    /** The 16550A's transmit FIFO: bytes a driver may write after seeing THRE. */
    public static final int UART_FIFO = 16;
    /** IER: received data available (and the FIFO's character timeout). */
    public static final int IER_RDI = 0x01;
    /** IER: transmit holding register empty. */
    public static final int IER_THRI = 0x02;
    /** IER: receiver line status (an overrun). */
    public static final int IER_RLSI = 0x04;
    /** IIR: no interrupt pending. */
    public static final int IIR_NO_INT = 0x01;
    /** IIR: the interrupt identification bits. */
    public static final int IIR_ID = 0x0E;
    /** IIR: receiver line status, the highest priority. */
    public static final int IIR_RLSI = 0x06;
    /** IIR: received data available (the FIFO reached its trigger level). */
    public static final int IIR_RDI = 0x04;
    /** IIR: character timeout (bytes below the trigger level and the line idle). */
    public static final int IIR_CTI = 0x0C;
    /** IIR: transmit holding register empty. */
    public static final int IIR_THRI = 0x02;
    /** MCR: OUT2, which on a PC gates the UART's interrupt onto the ISA bus. */
    public static final int MCR_OUT2 = 0x08;
    /** MCR: loopback (diagnostic) mode. */
    public static final int MCR_LOOP = 0x10;

    /** The primary ATA channel's command block: data (16-bit), the taskfile, status/command. */
    public static final int ATA0 = 0x1F0;
    /** The primary ATA channel's control block: alternate status (read), device control (write). */
    public static final int ATA0_CTL = 0x3F6;
    /** ATA register (command block offset): data, 16 bits. */
    public static final int ATA_DATA = 0;
    /** ATA register: error (read) / features (write). */
    public static final int ATA_ERROR = 1;
    /** ATA register: sector count. */
    public static final int ATA_NSECT = 2;
    /** ATA register: LBA bits 0-7 (and 24-31 as the previous content, for LBA48). */
    public static final int ATA_LBAL = 3;
    /** ATA register: LBA bits 8-15 (and 32-39). */
    public static final int ATA_LBAM = 4;
    /** ATA register: LBA bits 16-23 (and 40-47). */
    public static final int ATA_LBAH = 5;
    /** ATA register: device (bit 6 LBA, bit 4 the device number, bits 0-3 LBA 24-27 for LBA28). */
    public static final int ATA_DEVICE = 6;
    /** ATA register: status (read) / command (write). */
    public static final int ATA_STATUS = 7;
    /** Status: busy. */
    public static final int ATA_BSY = 0x80;
    /** Status: device ready. */
    public static final int ATA_DRDY = 0x40;
    /** Status: device fault. */
    public static final int ATA_DF = 0x20;
    /** Status: seek complete (obsolete, still set by most devices). */
    public static final int ATA_DSC = 0x10;
    /** Status: data request, a sector's words may move through the data register. */
    public static final int ATA_DRQ = 0x08;
    /** Status: error (the error register says which). */
    public static final int ATA_ERR = 0x01;
    /** Error: command aborted. */
    public static final int ATA_ABRT = 0x04;
    /** Error: ID not found (an address outside the device). */
    public static final int ATA_IDNF = 0x10;
    /** Error: uncorrectable data error. */
    public static final int ATA_UNC = 0x40;
    /** Device register: LBA addressing. */
    public static final int ATA_DEV_LBA = 0x40;
    /** Device register: device 1 (the slave) selected. */
    public static final int ATA_DEV1 = 0x10;
    /** Device control: no interrupt. */
    public static final int ATA_NIEN = 0x02;
    /** Device control: software reset. */
    public static final int ATA_SRST = 0x04;
    /** Device control: read the previous (high-order) taskfile bytes (LBA48). */
    public static final int ATA_HOB = 0x80;
    /** Command: READ SECTORS (LBA28, PIO). */
    public static final int ATA_CMD_READ = 0x20;
    /** Command: READ SECTORS EXT (LBA48, PIO). */
    public static final int ATA_CMD_READ_EXT = 0x24;
    /** Command: WRITE SECTORS (LBA28, PIO). */
    public static final int ATA_CMD_WRITE = 0x30;
    /** Command: WRITE SECTORS EXT (LBA48, PIO). */
    public static final int ATA_CMD_WRITE_EXT = 0x34;
    /** Command: EXECUTE DEVICE DIAGNOSTIC. */
    public static final int ATA_CMD_DIAGNOSE = 0x90;
    /** Command: FLUSH CACHE. */
    public static final int ATA_CMD_FLUSH = 0xE7;
    /** Command: FLUSH CACHE EXT. */
    public static final int ATA_CMD_FLUSH_EXT = 0xEA;
    /** Command: IDENTIFY DEVICE. */
    public static final int ATA_CMD_IDENTIFY = 0xEC;
    /** The ATA sector: 512 bytes, 256 words through the data register. */
    public static final int ATA_SECTOR = 512;
    /** IDENTIFY word: total addressable sectors for LBA28 (words 60-61). */
    public static final int ATA_ID_LBA_CAPACITY = 60;
    /** IDENTIFY word: command sets supported (bit 10: LBA48, bit 12: FLUSH CACHE, bit 13: FLUSH CACHE EXT). */
    public static final int ATA_ID_COMMAND_SET_2 = 83;
    /** IDENTIFY word: total addressable sectors for LBA48 (words 100-103). */
    public static final int ATA_ID_LBA_CAPACITY_2 = 100;
    /** IDENTIFY word 83/86 bit: the 48-bit address feature set. */
    public static final int ATA_ID_LBA48 = 1 << 10;
    /** IDENTIFY word: capabilities (bit 8: DMA supported, bit 9: LBA supported). */
    public static final int ATA_ID_CAPABILITY = 49;
    /** IDENTIFY word 49 bit: DMA supported. */
    public static final int ATA_ID_DMA = 1 << 8;
    /** IDENTIFY word: multiword DMA modes supported (bits 0-2) and selected (bits 8-10). */
    public static final int ATA_ID_MWDMA_MODES = 63;
    /** IDENTIFY word: Ultra DMA modes supported (bits 0-6) and selected (bits 8-14). */
    public static final int ATA_ID_UDMA_MODES = 88;
    /** Command: READ DMA (LBA28). */
    public static final int ATA_CMD_READ_DMA = 0xC8;
    /** Command: READ DMA EXT (LBA48). */
    public static final int ATA_CMD_READ_DMA_EXT = 0x25;
    /** Command: WRITE DMA (LBA28). */
    public static final int ATA_CMD_WRITE_DMA = 0xCA;
    /** Command: WRITE DMA EXT (LBA48). */
    public static final int ATA_CMD_WRITE_DMA_EXT = 0x35;
    /** Command: SET FEATURES (subcommand in features). */
    public static final int ATA_CMD_SET_FEATURES = 0xEF;
    /** SET FEATURES subcommand: set the transfer mode from the sector count. */
    public static final int ATA_SETFEATURES_XFER = 0x03;

    /** PCI configuration mechanism #1: the address register (32-bit accesses only). */
    public static final int PCI_CONFIG_ADDRESS = 0xCF8;
    /** PCI configuration mechanism #1: the data window, {@code 0xCFC..0xCFF}. */
    public static final int PCI_CONFIG_DATA = 0xCFC;
    /** CONFIG_ADDRESS: the enable bit. */
    public static final int PCI_CONFIG_ENABLE = 1 << 31;
    /** Configuration register: vendor ID (16 bits; device ID at 0x02). */
    public static final int PCI_VENDOR_ID = 0x00;
    /** Configuration register: command (16 bits). */
    public static final int PCI_COMMAND = 0x04;
    /** Command bit: I/O space decoding. */
    public static final int PCI_COMMAND_IO = 1 << 0;
    /** Command bit: bus master enable. */
    public static final int PCI_COMMAND_MASTER = 1 << 2;
    /** Configuration register: revision (8), programming interface (8), subclass (8), class (8). */
    public static final int PCI_CLASS_REVISION = 0x08;
    /** Configuration register: header type (bit 7: a multi-function device). */
    public static final int PCI_HEADER_TYPE = 0x0E;
    /** Configuration register: BAR4, the bus-master IDE register block of an IDE function. */
    public static final int PCI_BAR4 = 0x20;
    /** Intel's PCI vendor ID. */
    public static final int PCI_VENDOR_INTEL = 0x8086;
    /** The PIIX3's IDE function. */
    public static final int PCI_DEVICE_PIIX3_IDE = 0x7010;
    /** Where the PIIX3's IDE function sits on bus 0: device 1, function 1 (QEMU's i440fx). */
    public static final int PIIX3_IDE_DEVFN = 1 << 3 | 1;
    /** The bus-master IDE block's base: BAR4 as a BIOS assigns it (QEMU's SeaBIOS puts it at 0xC000 too). */
    public static final int BMIDE_BASE = 0xC000;
    /** Bus-master register (primary channel's offset): command, bit 0 start/stop, bit 3 read/write. */
    public static final int BM_COMMAND = 0;
    /** Bus-master register: status. */
    public static final int BM_STATUS = 2;
    /** Bus-master register: the PRD table's physical address (32 bits, dword aligned). */
    public static final int BM_PRDT = 4;
    /** BM command: start the bus master. */
    public static final int BM_CMD_START = 1 << 0;
    /** BM command: the bus master writes memory (a device-to-memory transfer: READ DMA). */
    public static final int BM_CMD_WRITE = 1 << 3;
    /** BM status: the bus master is active (read only). */
    public static final int BM_STAT_ACTIVE = 1 << 0;
    /** BM status: a transfer error (write 1 to clear). */
    public static final int BM_STAT_ERROR = 1 << 1;
    /** BM status: the device raised its interrupt (write 1 to clear). */
    public static final int BM_STAT_INTR = 1 << 2;
    /** BM status: drive 0 is DMA capable (kept for software, set by the BIOS). */
    public static final int BM_STAT_DRV0_DMA = 1 << 5;
    /** BM status: drive 1 is DMA capable. */
    public static final int BM_STAT_DRV1_DMA = 1 << 6;
    /** A PRD entry's size: a 32-bit physical base, a 16-bit byte count, a flags word. */
    public static final int PRD_BYTES = 8;
    /** PRD flags: the end of the table (bit 31 of the entry's second dword). */
    public static final int PRD_EOT = 1 << 31;

    /** The master 8259's command port (its data port, the mask, is the next). */
    public static final int PIC1 = 0x20;
    /** The slave 8259's command port, cascaded into the master's IR2. */
    public static final int PIC2 = 0xA0;
    /** The vector of IRQ 0 as a native kernel programs the pair (IRQ 8 is 8 above): Linux's and the IDT's 0x20. */
    public static final int IRQ0_VECTOR = 0x20;
    /** OCW2: a non-specific end of interrupt. */
    public static final int PIC_EOI = 0x20;
    /** The primary ATA channel's IRQ. */
    public static final int ATA0_IRQ = 14;

    /** The NE2000's I/O base: 32 ports, the DP8390's 16 registers, the data port at +0x10, reset at +0x1F. */
    public static final int NE2K = 0x300;
    /** The NE2000's IRQ: 10, a free line on the slave (QEMU's ISA default is 9, the old cascade's redirect). */
    public static final int NE2K_IRQ = 10;

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
    /** LVT: the vector field, bits 7:0. */
    public static final long LVT_VECTOR = 0xFF;
    /** x2APIC {@code EOI}: a write of 0 ends the highest-priority interrupt in service; anything else is {@code #GP}. */
    public static final int MSR_X2APIC_EOI = 0x80B;
    /** The local APIC timer's vector a native kernel programs (Linux's {@code LOCAL_TIMER_VECTOR}). */
    public static final int LOCAL_TIMER_VECTOR = 0xEC;
    /**
     * The vector a native kernel asks Xen to deliver event-channel upcalls at
     * ({@code HVM_PARAM_CALLBACK_IRQ} of type vector; Linux's {@code HYPERVISOR_CALLBACK_VECTOR}).
     */
    public static final int HYPERVISOR_CALLBACK_VECTOR = 0xF3;

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
