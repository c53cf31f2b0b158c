package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;

import org.parasol.hypercall.TrapHandler;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * set_trap_table (hypercall 0): {@code (trap_info *table)}.
 *
 * <p>{@code trap_info} is {@code {u8 vector; u8 flags; u16 cs; u64 address}} (16 bytes); the
 * table ends at the first entry whose address is 0. A null table clears every handler. Each
 * address must name a {@link TrapHandler} in the domain's code table (-EINVAL otherwise);
 * the whole table is validated before any handler is installed. At most 256 entries are
 * read; a table with no terminator by then is -EINVAL.
 */
final class TrapTableHandler implements HypercallHandler {
    static final int TRAP_INFO_SIZE = 16;
    static final int MAX_ENTRIES = 256;

    @Override
    public long call(Vcpu v, long table, long a2, long a3, long a4, long a5) {
        if (table == 0) {
            v.traps().clearTraps();
            return 0;
        }
        {
            TrapHandler[] pending = new TrapHandler[256];
            boolean[] set = new boolean[256];
            for (int i = 0; i < MAX_ENTRIES; i++) {
                if (!GuestArgs.in(v, table + (long) i * TRAP_INFO_SIZE, 0, TRAP_INFO_SIZE)) {
                    return -EFAULT;
                }
                int vector = GuestArgs.s(v).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) & 0xFF;
                long address = GuestArgs.u64(v, 8);
                if (address == 0) {
                    for (int vec = 0; vec < 256; vec++) {
                        if (set[vec]) {
                            v.traps().setTrap(vec, pending[vec]);
                        }
                    }
                    return 0;
                }
                TrapHandler h = v.domain().codeTable().resolve(address, TrapHandler.class);
                if (h == null) {
                    return -EINVAL;
                }
                pending[vector] = h;
                set[vector] = true;
            }
            return -EINVAL;
        }
    }
}
