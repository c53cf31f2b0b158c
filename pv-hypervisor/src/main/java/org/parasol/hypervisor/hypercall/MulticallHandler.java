package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;

import org.parasol.hypercall.Hypercall;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * multicall (hypercall 13): {@code (multicall_entry *list, ulong nr_calls)}.
 *
 * <p>Each 64-byte entry is {@code {u64 op; u64 result; u64 args[6]}}. Entries run in order;
 * each sub-call's return value is written to its {@code result}; a failing sub-call does not
 * stop the batch. A nested multicall answers -EINVAL in its entry. The hypercall returns 0,
 * or -EFAULT when an entry cannot be read or its result written (entries before it ran).
 */
final class MulticallHandler implements HypercallHandler {
    static final int ENTRY_SIZE = 64;

    private final HypercallTable table;

    MulticallHandler(HypercallTable table) {
        this.table = table;
    }

    @Override
    public long call(Vcpu v, long list, long nr, long a3, long a4, long a5) {
        if (nr < 0 || nr > Integer.MAX_VALUE) {
            return -EINVAL;
        }
        final long base = Vcpu.MULTICALL_SCRATCH;
        for (long i = 0; i < nr; i++) {
            long entry = list + i * ENTRY_SIZE;
            if (!GuestArgs.in(v, entry, base, ENTRY_SIZE)) {
                return -EFAULT;
            }
            long op = GuestArgs.u64(v, base);
            long r;
            if (op == Hypercall.MULTICALL) {
                r = -EINVAL;
            } else if (op < 0 || op >= Hypercall.TABLE_SIZE) {
                r = -org.parasol.hypercall.Errno.ENOSYS;
            } else {
                r = table.dispatchToCompletion(v, (int) op, GuestArgs.u64(v, base + 16), GuestArgs.u64(v, base + 24),
                        GuestArgs.u64(v, base + 32), GuestArgs.u64(v, base + 40), GuestArgs.u64(v, base + 48));
            }
            GuestArgs.put64(v, base + 8, r);
            if (!GuestArgs.out(v, base + 8, entry + 8, 8)) {
                return -EFAULT;
            }
        }
        return 0;
    }
}
