package org.parasol.guest.archfixture;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.struct.SharedInfo;

/**
 * A deliberately wrong class for the architecture tests: guest code that reads shared_info at
 * offsets it computes itself (2048 is {@code evtchn_pending}, 2560 {@code evtchn_mask}),
 * through {@link GuestMemory}, a {@link MemorySegment} and a {@link VarHandle}, beside one
 * method that reads the same word through the ABI's flyweight, as the rule wants.
 * {@code ArchitectureRulesCatchViolationsTest} shows the flyweight rule rejects the first three
 * and not the fourth; the real checks leave this package out.
 */
public final class ReadsSharedInfoByOffset {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private ReadsSharedInfoByOffset() {
    }

    /** The forbidden way: a literal offset into shared_info. */
    public static long pendingWord(GuestMemory memory, long sharedInfoVa, int port) {
        return memory.getLongAcquire(sharedInfoVa + 2048 + 8L * (port >>> 6));
    }

    /** The forbidden way, on a segment. */
    public static long maskWord(MemorySegment page, int port) {
        return page.get(ValueLayout.JAVA_LONG, 2560 + 8L * (port >>> 6));
    }

    /** The forbidden way, through a var handle. */
    public static int versionNow(MemorySegment page) {
        return (int) INT.getAcquire(page, 32L);
    }

    /** The allowed way: the flyweight names the offsets. */
    public static long pendingWordThroughTheFlyweight(GuestMemory memory, long sharedInfoVa, int port) {
        return new SharedInfo().wrap(new GuestMemoryBuffer(memory, sharedInfoVa, SharedInfo.SIZE), 0)
                .pendingWordAcquire(port >>> 6);
    }
}
