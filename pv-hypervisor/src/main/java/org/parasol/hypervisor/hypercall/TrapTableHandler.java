package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;

import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.abi.TrapVector;
import org.parasol.hypercall.struct.TrapInfo;
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
    /** Entries read at most: one per vector. */
    static final int MAX_ENTRIES = TrapVector.NR_VECTORS;

    @Override
    public long call(Vcpu v, long table, long a2, long a3, long a4, long a5) {
        if (table == 0) {
            v.traps().clearTraps();
            return 0;
        }
        {
            GuestArgs a = GuestArgs.of(v);
            TrapHandler[] pending = new TrapHandler[TrapVector.NR_VECTORS];
            boolean[] set = new boolean[TrapVector.NR_VECTORS];
            for (int i = 0; i < MAX_ENTRIES; i++) {
                if (!a.in(v, table + (long) i * TrapInfo.SIZE, TrapInfo.SIZE)) {
                    return -EFAULT;
                }
                int vector = a.trapInfo.vector();
                long address = a.trapInfo.address();
                if (address == 0) {
                    for (int vec = 0; vec < TrapVector.NR_VECTORS; vec++) {
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
