package org.parasol.hypervisor.hvm;

import static org.parasol.hypercall.x86.Platform.PCI_COMMAND_IO;
import static org.parasol.hypercall.x86.Platform.PCI_COMMAND_MASTER;

import org.parasol.hypercall.x86.Platform;

/**
 * PCI bus 0 as configuration mechanism #1 shows it, with what a native kernel needs to find
 * its disk's bus master: the i440FX host bridge at 00:00.0 and the PIIX3 at 00:01, function 0
 * its ISA bridge and function 1 its IDE controller (8086:7010, class 01:01, programming
 * interface 0x80: both channels in legacy mode, bus-master capable), as on QEMU's {@code pc}
 * machine. Every other bus, device and function reads all ones (no device answers), and its
 * writes vanish.
 *
 * <pre>
 *  0xCF8  CONFIG_ADDRESS (32-bit accesses only; other sizes go on to the I/O bus, where 0xCF9
 *         is the reset control register)
 *          31      23      16 15    11 10    8 7        2 1 0
 *         ┌──┬─────┬─────────┬────────┬───────┬──────────┬───┐
 *         │E │  0  │   bus   │ device │ func  │ register │ 0 │
 *         └──┴─────┴─────────┴────────┴───────┴──────────┴───┘
 *  0xCFC..0xCFF  CONFIG_DATA: bytes (reg + port - 0xCFC) of the addressed function's
 *         configuration space, any size; with E clear it reads all ones.
 * </pre>
 *
 * <p>The IDE function's configuration space keeps: the command register's I/O space (bit 0)
 * and bus master (bit 2) enables, the others reading 0; BAR4, a 16-byte I/O BAR (bit 0 set)
 * with the sizing protocol (all ones written reads back {@code 0x0000FFF1}: 16 bytes, decoded in
 * the 64 KiB I/O space, as the PIIX3's BMIBA register) and its base
 * as written, starting where a BIOS would have put it ({@link Platform#BMIDE_BASE}); BAR0-3
 * read 0 (legacy channels have fixed ports). The IDE timing registers (0x40-0x43) read the
 * primary channel's decode enable as a BIOS leaves it and ignore writes; everything else reads
 * 0 and ignores writes. The two bridges' spaces are read-only (their IDs, class and header
 * type). Capabilities, interrupt pins, expansion ROMs and the secondary channel are not
 * modelled.
 *
 * <p>A guest may write any value to any port in any order: nothing throws, nothing is kept
 * but the address latch, the command register and BAR4. Used on the domain's vCPU threads,
 * serialized by a private lock; allocates nothing.
 */
public final class PciHostBridge {
    /** The IDE function's bus-master block: 8 registers per channel, 16 bytes. */
    public static final int BMIDE_SIZE = 16;

    private static final int HOST_BRIDGE = 0; // 00:00.0
    private static final int ISA_BRIDGE = 1 << 3; // 00:01.0
    private static final int IDE = Platform.PIIX3_IDE_DEVFN; // 00:01.1

    private final Object lock = new Object();
    private int address;
    private int ideCommand = PCI_COMMAND_IO; // as a BIOS leaves it: I/O decoding on, mastering off
    private int bar4 = Platform.BMIDE_BASE | 1;

    /** Whether {@code port} and {@code size} reach the configuration mechanism. */
    public static boolean claims(int port, int size) {
        return port == Platform.PCI_CONFIG_ADDRESS && size == 4
                || port >= Platform.PCI_CONFIG_DATA && port < Platform.PCI_CONFIG_DATA + 4;
    }

    /** A read of {@code size} bytes at {@code port} (one {@link #claims} accepts). */
    public long read(int port, int size) {
        synchronized (lock) {
            if (port == Platform.PCI_CONFIG_ADDRESS) {
                return address & 0xFFFF_FFFFL;
            }
            int offset = port - Platform.PCI_CONFIG_DATA;
            if (size != 1 && size != 2 && size != 4 || offset < 0 || offset + size > 4) {
                return ones(size);
            }
            int devfn = function();
            if (devfn < 0) {
                return ones(size);
            }
            int reg = (address & 0xFC) + offset;
            long v = 0;
            for (int i = 0; i < size; i++) {
                v |= (long) configByte(devfn, reg + i) << (8 * i);
            }
            return v;
        }
    }

    /** A write of the low {@code size} bytes of {@code value} at {@code port}. */
    public void write(int port, int size, long value) {
        synchronized (lock) {
            if (port == Platform.PCI_CONFIG_ADDRESS) {
                if (size == 4) {
                    address = (int) value & ~3; // bits 1:0 are reserved, read as 0
                }
                return;
            }
            int offset = port - Platform.PCI_CONFIG_DATA;
            if (size != 1 && size != 2 && size != 4 || offset < 0 || offset + size > 4 || function() != IDE) {
                return;
            }
            int reg = (address & 0xFC) + offset;
            for (int i = 0; i < size; i++) {
                writeIdeByte(reg + i, (int) (value >>> (8 * i)) & 0xFF);
            }
        }
    }

    /** Whether the IDE function may master the bus (command bit 2). */
    public boolean busMasterEnabled() {
        synchronized (lock) {
            return (ideCommand & PCI_COMMAND_MASTER) != 0;
        }
    }

    /**
     * The offset of {@code port} in the IDE function's bus-master block (0-15), or -1 when it
     * is not in it or the function does not decode I/O (command bit 0 clear).
     */
    public int busMasterOffset(int port) {
        synchronized (lock) {
            if ((ideCommand & PCI_COMMAND_IO) == 0) {
                return -1;
            }
            int base = bar4 & 0xFFF0;
            int off = port - base;
            return base != 0 && off >= 0 && off < BMIDE_SIZE ? off : -1;
        }
    }

    /** The addressed function on bus 0 that exists, or -1 (the enable bit clear, or nothing there). */
    private int function() {
        if ((address & Platform.PCI_CONFIG_ENABLE) == 0 || (address >>> 16 & 0xFF) != 0) {
            return -1;
        }
        int devfn = address >>> 8 & 0xFF;
        return devfn == HOST_BRIDGE || devfn == ISA_BRIDGE || devfn == IDE ? devfn : -1;
    }

    private int configByte(int devfn, int reg) {
        return switch (devfn) {
            case HOST_BRIDGE -> identity(reg, 0x1237, 0x06_00_00_02, 0x00); // i440FX PMC, rev 2
            case ISA_BRIDGE -> identity(reg, 0x7000, 0x06_01_00_00, 0x80); // multi-function
            default -> ideByte(reg);
        };
    }

    /** The identity registers of a read-only function: Intel's vendor ID, {@code device}, class/revision, header type. */
    private static int identity(int reg, int device, int classRevision, int headerType) {
        return switch (reg) {
            case 0, 1 -> Platform.PCI_VENDOR_INTEL >>> (8 * reg) & 0xFF;
            case 2, 3 -> device >>> (8 * (reg - 2)) & 0xFF;
            case 8, 9, 10, 11 -> classRevision >>> (8 * (reg - 8)) & 0xFF;
            case Platform.PCI_HEADER_TYPE -> headerType;
            default -> 0;
        };
    }

    private int ideByte(int reg) {
        return switch (reg) {
            case 4 -> ideCommand & 0xFF;
            case 5 -> ideCommand >>> 8 & 0xFF;
            case 6 -> 0x80; // status: fast back-to-back capable
            case 7 -> 0x02; // status: DEVSEL medium
            case Platform.PCI_BAR4 -> bar4 & 0xFF;
            case Platform.PCI_BAR4 + 1, Platform.PCI_BAR4 + 2, Platform.PCI_BAR4 + 3 ->
                bar4 >>> (8 * (reg - Platform.PCI_BAR4)) & 0xFF;
            case 0x41 -> 0x80; // IDETIM primary: IDE decode enable, as the BIOS leaves it
            default -> identity(reg, Platform.PCI_DEVICE_PIIX3_IDE, 0x01_01_80_00, 0x00);
        };
    }

    private void writeIdeByte(int reg, int v) {
        if (reg == 4) {
            ideCommand = v & (PCI_COMMAND_IO | PCI_COMMAND_MASTER);
        } else if (reg >= Platform.PCI_BAR4 && reg < Platform.PCI_BAR4 + 4) {
            int shift = 8 * (reg - Platform.PCI_BAR4);
            int raw = bar4 & ~(0xFF << shift) | v << shift;
            // A 16-byte I/O BAR: bits 3:1 read 0, bit 0 reads 1; only the low 16 bits decode
            // (PIIX3's I/O space is 64 KiB), so all ones written reads back 0x0000FFF1.
            bar4 = raw & 0xFFF0 | 1;
        }
        // the rest is read-only here
    }

    private static long ones(int size) {
        return size >= 4 ? 0xFFFF_FFFFL : (1L << (8 * size)) - 1;
    }
}
