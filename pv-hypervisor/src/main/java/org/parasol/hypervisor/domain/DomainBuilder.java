package org.parasol.hypervisor.domain;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.parasol.hypervisor.mm.BootLayout;

/**
 * Fills a new domain's {@code start_info} and vCPU 0's context, as Xen's PV domain builder
 * does after laying out the start-of-day region (the {@link BootLayout}).
 *
 * <p>start_info carries (fact sheet §4): the magic {@code "xen-3.0-x86_64"}, nr_pages, the
 * shared_info page's <em>machine</em> address, SIF flags, the bootstrap page tables' virtual
 * address and frame count, the P2M list's virtual address and the command line. vCPU 0
 * starts with {@code rsi} = the start_info virtual address and {@code cr3} = the L4 frame.
 */
public final class DomainBuilder {
    /** start_info field offsets (x86-64, fact sheet §4). */
    static final long MAGIC = 0;
    static final long NR_PAGES = 32;
    static final long SHARED_INFO = 40;
    static final long FLAGS = 48;
    static final long STORE_MFN = 56;
    static final long STORE_EVTCHN = 64;
    static final long CONSOLE_MFN = 72;
    static final long CONSOLE_EVTCHN = 80;
    static final long PT_BASE = 88;
    static final long NR_PT_FRAMES = 96;
    static final long MFN_LIST = 104;
    static final long MOD_START = 112;
    static final long MOD_LEN = 120;
    static final long CMD_LINE = 128;
    static final long FIRST_P2M_PFN = 1152;
    static final long NR_P2M_FRAMES = 1160;
    static final int START_INFO_SIZE = 1168;

    /** SIF_PRIVILEGED and SIF_INITDOMAIN. */
    static final int SIF_PRIVILEGED = 1;
    static final int SIF_INITDOMAIN = 1 << 1;

    /** The magic of a 64-bit PV start_info. */
    public static final String MAGIC_STRING = "xen-3.0-x86_64";

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private DomainBuilder() {
    }

    /** Writes start_info for a domain laid out as {@code layout} and points vCPU 0 at it. */
    public static void build(BuildOps ops, BootLayout layout, long nrPages, long sharedInfoMfn,
            boolean privileged, String cmdline) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment si = arena.allocate(START_INFO_SIZE);
            byte[] magic = MAGIC_STRING.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(magic, 0, si, ValueLayout.JAVA_BYTE, MAGIC, magic.length);
            si.set(U64, NR_PAGES, nrPages);
            si.set(U64, SHARED_INFO, sharedInfoMfn << 12);
            si.set(U32, FLAGS, privileged ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0);
            si.set(U64, PT_BASE, layout.ptBaseVa());
            si.set(U64, NR_PT_FRAMES, layout.nrPtFrames());
            si.set(U64, MFN_LIST, layout.p2mVa());
            byte[] cmd = cmdline.getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(cmd, 0, si, ValueLayout.JAVA_BYTE, CMD_LINE, Math.min(cmd.length, 1023));
            si.set(U64, FIRST_P2M_PFN, (layout.p2mVa() - layout.virtBase()) >>> 12);
            si.set(U64, NR_P2M_FRAMES, (nrPages * 8 + 4095) / 4096);
            ops.writeAt(layout.startInfoMfn(), 0, si);
        }
        ops.setVcpuContext(0, layout.startInfoVa(), layout.l4Mfn());
    }
}
