package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;

import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.struct.MulticallEntry;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * multicall (hypercall 13): {@code (multicall_entry *list, ulong nr_calls)}, as
 * {@code do_multicall}.
 *
 * <p>A list Xen's {@code access_ok} refuses, or of more entries than the address space holds,
 * is -EFAULT before anything runs. Each 64-byte entry {@code {u64 op; u64 result; u64 args[6]}}
 * is then copied in and decoded with {@link MulticallEntry}; entries run in order; each
 * sub-call's return value is written to its {@code result}; a failing sub-call does not stop
 * the batch. A nested multicall answers -EINVAL in its entry, an unknown hypercall -ENOSYS.
 * The hypercall returns 0, or -EFAULT when an entry cannot be read or its result written
 * (entries before it ran). Between entries it checks for preemption and continues with the
 * rest of the list, as Xen does.
 */
final class MulticallHandler implements HypercallHandler {

    private final HypercallTable table;

    MulticallHandler(HypercallTable table) {
        this.table = table;
    }

    @Override
    public long call(Vcpu v, long list, long nr, long a3, long a4, long a5) {
        if (!GuestArgs.arrayOk(list, nr, MulticallEntry.SIZE)) {
            return -EFAULT;
        }
        GuestArgs a = GuestArgs.of(v);
        MulticallEntry e = a.multicall;
        a.inBatch = true;
        try {
            return run(v, a, e, list, nr);
        } finally {
            a.inBatch = false;
        }
    }

    private long run(Vcpu v, GuestArgs a, MulticallEntry e, long list, long nr) {
        for (long i = 0; Long.compareUnsigned(i, nr) < 0; i++) {
            long entry = list + i * MulticallEntry.SIZE;
            if (i > 0 && v.preemptCheck(i)) {
                v.setContinuation(entry, nr - i, 0, 0, 0);
                return Vcpu.CONTINUATION;
            }
            if (!a.inMulticall(v, entry)) {
                return -EFAULT;
            }
            long op = e.op();
            long r;
            if (op == Hypercall.MULTICALL) {
                r = -EINVAL; // multicall reentry is disallowed
            } else if (op < 0 || op >= Hypercall.TABLE_SIZE) {
                r = -ENOSYS;
            } else {
                r = table.dispatchToCompletion(v, (int) op, e.arg(0), e.arg(1), e.arg(2), e.arg(3), e.arg(4));
            }
            e.result(r);
            if (!a.outMulticallResult(v, entry)) {
                return -EFAULT;
            }
        }
        return 0;
    }
}
