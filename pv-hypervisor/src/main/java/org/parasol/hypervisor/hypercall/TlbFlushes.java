package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.EFAULT;

import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * The TLB flushes the PV MMU hypercalls ask for: the caller's own ({@code TLB_FLUSH_LOCAL},
 * {@code INVLPG_LOCAL}) directly on its TLB; other vCPUs' through the domain's shootdown
 * ({@link Domain#flushTlbs}), which empties their whole TLBs (an {@code INVLPG} there is
 * served by a full flush).
 */
final class TlbFlushes {
    /** How long a flush waits for other vCPUs' acknowledgements. */
    static final long TIMEOUT_NANOS = 1_000_000_000L;

    private TlbFlushes() {
    }

    /**
     * Flushes {@code va} ({@code invlpg}) or everything on the caller only ({@code all} false,
     * {@code maskVa} 0), on every vCPU ({@code all}), or on the vCPUs of the bitmap at guest
     * {@code maskVa}.
     *
     * @return 0, or {@code -EFAULT} if the bitmap cannot be read
     */
    static long flush(Vcpu v, boolean invlpg, long va, boolean all, long maskVa) {
        Domain d = v.domain();
        boolean others = all;
        boolean self = all || maskVa == 0;
        if (!all && maskVa != 0) {
            int words = (d.vcpuCount() + Long.SIZE - 1) / Long.SIZE;
            GuestArgs a = GuestArgs.of(v);
            for (int w = 0; w < words; w++) {
                if (!a.inU64Element(v, maskVa, w)) {
                    return -EFAULT;
                }
                long bits = a.u64Element();
                int ownWord = v.id() / Long.SIZE;
                long ownBit = 1L << (v.id() % Long.SIZE);
                if (w == ownWord && (bits & ownBit) != 0) {
                    self = true;
                    bits &= ~ownBit;
                }
                if (w == words - 1 && d.vcpuCount() % Long.SIZE != 0) {
                    bits &= (1L << (d.vcpuCount() % Long.SIZE)) - 1;
                }
                others |= bits != 0;
            }
        }
        if (others) {
            d.flushTlbs(TIMEOUT_NANOS);
        } else if (self) {
            if (invlpg) {
                v.mmu().invlpg(va);
            } else {
                v.mmu().flushTlb();
            }
        }
        return 0;
    }
}
