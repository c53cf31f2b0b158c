package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.TrapInfo;

/**
 * {@code set_trap_table(traps)} (hypercall 0): installs the guest's virtual IDT from an
 * array of {@code trap_info} terminated by an entry whose {@code address} is 0.
 */
public final class TrapTableCalls {
    /** Entries, including the terminator, that fit in the argument page. */
    public static final int MAX_ENTRIES = (int) (ArgumentPage.SIZE / TrapInfo.SIZE);

    private final Cpu cpu;
    private final ArgumentPage page;
    private final TrapInfo trap = new TrapInfo();

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public TrapTableCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /**
     * {@code set_trap_table} with a terminated array the caller prepared at {@code tableVa};
     * each entry replaces that vector's handler. A {@code tableVa} of 0 clears every handler.
     *
     * @return 0, or {@code -EFAULT} for an unreadable entry, {@code -EINVAL} for an address
     *     that names no {@code TrapHandler}
     */
    public long setTrapTable(long tableVa) {
        return cpu.hypercall(Hypercall.SET_TRAP_TABLE, tableVa);
    }

    /** {@code set_trap_table(NULL)}: clears every trap handler. */
    public long clearTrapTable() {
        return setTrapTable(0);
    }

    /**
     * {@code set_trap_table} with the first {@code count} entries of {@code traps} (16 bytes
     * each from {@code offset}, none with address 0), sent through the argument page with a
     * terminator appended.
     *
     * @throws IllegalArgumentException if an entry has address 0 (it would end the table early)
     * @throws IllegalStateException if the table does not fit the free part of the page
     */
    public long setTrapTable(SharedBuffer traps, long offset, int count) {
        if (count < 0) {
            throw new IllegalArgumentException("negative count: " + count);
        }
        long bytes = count * TrapInfo.SIZE;
        traps.checkBounds(offset, bytes);
        for (int i = 0; i < count; i++) {
            if (trap.wrap(traps, offset + i * TrapInfo.SIZE).isTerminator()) {
                throw new IllegalArgumentException("trap entry " + i + " has address 0");
            }
        }
        long off = page.push(bytes + TrapInfo.SIZE);
        try {
            traps.getBytes(offset, page.scratch(), off, bytes);
            page.copyIn(cpu.memory(), off, bytes + TrapInfo.SIZE);
            return setTrapTable(page.address(off));
        } finally {
            page.pop(off);
        }
    }

    /** {@code set_trap_table} with one entry: {@code vector}'s handler at {@code address}. */
    public long setTrap(int vector, int flags, long address) {
        if (address == 0) {
            throw new IllegalArgumentException("trap handler address 0 would end the table");
        }
        long off = page.push(2 * TrapInfo.SIZE);
        try {
            trap.wrap(page.buffer(), off).vector(vector).flags(flags).address(address);
            page.copyIn(cpu.memory(), off, 2 * TrapInfo.SIZE);
            return setTrapTable(page.address(off));
        } finally {
            page.pop(off);
        }
    }
}
