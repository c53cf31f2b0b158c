package org.parasol.hypervisor.hypercall;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.struct.CallbackRegister;
import org.parasol.hypercall.struct.ParasolDomctlLoadImage;
import org.parasol.hypercall.struct.XenDomctl;
import org.parasol.hypercall.struct.XenDomctlCreatedomain;
import org.parasol.hypercall.struct.XenDomctlGetdomaininfo;
import org.parasol.hypercall.struct.XenDomctlMaxMem;
import org.parasol.hypercall.struct.XenDomctlMaxVcpus;
import org.parasol.hypercall.struct.XenDomctlSchedulerOp;
import org.parasol.hypercall.struct.XenDomctlVcpuaffinity;
import org.parasol.hypercall.struct.XenDomctlVcpucontext;
import org.parasol.hypercall.struct.CallbackUnregister;
import org.parasol.hypercall.struct.EvtchnAllocUnbound;
import org.parasol.hypercall.struct.EvtchnBindInterdomain;
import org.parasol.hypercall.struct.EvtchnBindIpi;
import org.parasol.hypercall.struct.EvtchnBindPirq;
import org.parasol.hypercall.struct.EvtchnBindVcpu;
import org.parasol.hypercall.struct.EvtchnBindVirq;
import org.parasol.hypercall.struct.EvtchnClose;
import org.parasol.hypercall.struct.EvtchnReset;
import org.parasol.hypercall.struct.EvtchnSend;
import org.parasol.hypercall.struct.EvtchnStatus;
import org.parasol.hypercall.struct.EvtchnUnmask;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypercall.struct.GnttabGetStatusFrames;
import org.parasol.hypercall.struct.GnttabGetVersion;
import org.parasol.hypercall.struct.GnttabMapGrantRef;
import org.parasol.hypercall.struct.GnttabQuerySize;
import org.parasol.hypercall.struct.GnttabSetVersion;
import org.parasol.hypercall.struct.GnttabSetupTable;
import org.parasol.hypercall.struct.GnttabUnmapAndReplace;
import org.parasol.hypercall.struct.GnttabUnmapGrantRef;
import org.parasol.hypercall.struct.MmuUpdate;
import org.parasol.hypercall.struct.MmuextOp;
import org.parasol.hypercall.struct.MulticallEntry;
import org.parasol.hypercall.struct.SchedPoll;
import org.parasol.hypercall.struct.SchedRemoteShutdown;
import org.parasol.hypercall.struct.SchedShutdown;
import org.parasol.hypercall.struct.SchedWatchdog;
import org.parasol.hypercall.struct.TrapInfo;
import org.parasol.hypercall.struct.VcpuGuestContext;
import org.parasol.hypercall.struct.VcpuRunstateInfo;
import org.parasol.hypercall.struct.VcpuSetPeriodicTimer;
import org.parasol.hypercall.struct.VcpuSetSingleshotTimer;
import org.parasol.hypercall.struct.XenCompileInfo;
import org.parasol.hypercall.struct.XenFeatureInfo;
import org.parasol.hypercall.struct.XenMachphysMapping;
import org.parasol.hypercall.struct.XenMachphysMfnList;
import org.parasol.hypercall.struct.XenMemoryDomain;
import org.parasol.hypercall.struct.XenMemoryReservation;
import org.parasol.hypercall.struct.XenPlatformParameters;
import org.parasol.hypervisor.domain.HypercallScratch;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.mm.VcpuMmu;

/**
 * One vCPU's hypercall arguments: Xen's {@code copy_from_guest}/{@code copy_to_guest} for the
 * handlers, and the ABI's flyweights they decode with.
 *
 * <pre>
 *  scratch (12 KiB, private heap memory, never machine memory)
 *  0                        ELEMENT        MULTICALL         DOMCTL        STRINGS            12 KiB
 *  +------------------------+--------------+-----------------+-------------+------------------+
 *  | the call's structure   | one element  | the multicall   | xen_domctl  | a domctl's bytes |
 *  | (at most 5168 bytes)   | of an array  | entry being run | (144 bytes) | (name, cmdline,  |
 *  |                        |              |                 |             |  a pCPU bitmap)  |
 *  +------------------------+--------------+-----------------+-------------+------------------+
 * </pre>
 *
 * <p>A domctl keeps its {@code xen_domctl} in a region of its own, so a command that copies a
 * second structure in (setvcpucontext's {@code vcpu_guest_context}) leaves it whole for the
 * copy back.
 *
 * <p>A handler copies its structure in once ({@link #in}: exactly {@code SIZE} bytes of it,
 * from the caller's virtual address, through the caller's MMU, refusing an address Xen's
 * {@code access_ok} would refuse), then reads every field from this private copy through the
 * flyweight wrapped over it, so a racing guest cannot change a value between its check and its
 * use, and writes results into the same copy before copying them back ({@link #out} for the
 * whole structure, {@link #outField} for one field as {@code __copy_field_to_guest} does).
 * Arrays the guest points at ({@code xen_pfn_t}, {@code evtchn_port_t}, a vCPU bitmap) move one
 * element at a time ({@code copy_from_guest_offset}), through a slot of their own.
 *
 * <p>Every flyweight is made and wrapped once, here, at the offset its structure is copied to:
 * a hypercall allocates nothing to decode its arguments. A multicall's entry lives apart from
 * the structure region, so the sub-call it runs cannot overwrite it. The object belongs to its
 * vCPU and is used only on that vCPU's thread; no handler runs guest code while its copy is
 * live.
 */
public final class GuestArgs implements HypercallScratch {
    /** Where a call's structure is copied to. */
    static final long ARG = 0;
    /** Where one element of a guest array is copied to, above the largest structure. */
    static final long ELEMENT = 6144;
    /** Where multicall keeps the entry it is running. */
    static final long MULTICALL = 8192;
    /** Where a domctl keeps its {@code xen_domctl}, above the multicall entry. */
    static final long DOMCTL = 8448;
    /** Where a domctl's guest strings (an image name, a command line) are copied to. */
    static final long STRINGS = 9216;
    /** Bytes of the strings region. */
    static final int STRINGS_BYTES = 2048;
    private static final int PAGE_SHIFT = 12;
    private static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    private static final long PAGE_MASK = PAGE_SIZE - 1;
    /** Bytes of scratch. */
    static final int SCRATCH_BYTES = 12288;
    /** Handles an unmap batch collects before its TLB shootdown. */
    static final int ZAPPED_MAX = 512;
    /** Bytes of a console write copied at a time. */
    static final int CONSOLE_CHUNK = 4096;

    private final SegmentBuffer scratch = SegmentBuffer.allocate(SCRATCH_BYTES);
    private final MemorySegment bytes = scratch.segment();

    // event_channel_op
    final EvtchnAllocUnbound allocUnbound = new EvtchnAllocUnbound().wrap(scratch, ARG);
    final EvtchnBindInterdomain bindInterdomain = new EvtchnBindInterdomain().wrap(scratch, ARG);
    final EvtchnBindVirq bindVirq = new EvtchnBindVirq().wrap(scratch, ARG);
    final EvtchnBindPirq bindPirq = new EvtchnBindPirq().wrap(scratch, ARG);
    final EvtchnBindIpi bindIpi = new EvtchnBindIpi().wrap(scratch, ARG);
    final EvtchnBindVcpu bindVcpu = new EvtchnBindVcpu().wrap(scratch, ARG);
    final EvtchnClose close = new EvtchnClose().wrap(scratch, ARG);
    final EvtchnSend send = new EvtchnSend().wrap(scratch, ARG);
    final EvtchnUnmask unmask = new EvtchnUnmask().wrap(scratch, ARG);
    final EvtchnStatus status = new EvtchnStatus().wrap(scratch, ARG);
    final EvtchnReset reset = new EvtchnReset().wrap(scratch, ARG);
    // grant_table_op
    final GnttabMapGrantRef map = new GnttabMapGrantRef().wrap(scratch, ARG);
    final GnttabUnmapGrantRef unmap = new GnttabUnmapGrantRef().wrap(scratch, ARG);
    final GnttabUnmapAndReplace unmapAndReplace = new GnttabUnmapAndReplace().wrap(scratch, ARG);
    /**
     * A run of GNTTABOP_copy elements copied in with one {@link #inRun}: the flyweight over each
     * element of the structure region, wrapped once.
     */
    final GnttabCopy[] copyRun = copyRun();
    final GnttabSetupTable setupTable = new GnttabSetupTable().wrap(scratch, ARG);
    final GnttabQuerySize querySize = new GnttabQuerySize().wrap(scratch, ARG);
    final GnttabSetVersion setVersion = new GnttabSetVersion().wrap(scratch, ARG);
    final GnttabGetVersion getVersion = new GnttabGetVersion().wrap(scratch, ARG);
    final GnttabGetStatusFrames getStatusFrames = new GnttabGetStatusFrames().wrap(scratch, ARG);
    // sched_op
    final SchedShutdown shutdown = new SchedShutdown().wrap(scratch, ARG);
    final SchedRemoteShutdown remoteShutdown = new SchedRemoteShutdown().wrap(scratch, ARG);
    final SchedPoll poll = new SchedPoll().wrap(scratch, ARG);
    final SchedWatchdog watchdog = new SchedWatchdog().wrap(scratch, ARG);
    // memory_op
    final XenMemoryReservation reservation = new XenMemoryReservation().wrap(scratch, ARG);
    final XenMemoryDomain memoryDomain = new XenMemoryDomain().wrap(scratch, ARG);
    final XenMachphysMfnList machphysMfnList = new XenMachphysMfnList().wrap(scratch, ARG);
    final XenMachphysMapping machphysMapping = new XenMachphysMapping().wrap(scratch, ARG);
    // PV MMU
    final MmuUpdate mmuUpdate = new MmuUpdate().wrap(scratch, ARG);
    final MmuextOp mmuextOp = new MmuextOp().wrap(scratch, ARG);
    // vcpu_op
    final VcpuGuestContext context = new VcpuGuestContext().wrap(scratch, ARG);
    final VcpuRunstateInfo runstate = new VcpuRunstateInfo().wrap(scratch, ARG);
    final VcpuSetPeriodicTimer periodicTimer = new VcpuSetPeriodicTimer().wrap(scratch, ARG);
    final VcpuSetSingleshotTimer singleshotTimer = new VcpuSetSingleshotTimer().wrap(scratch, ARG);
    // domctl, in its own region
    final XenDomctl domctl = new XenDomctl().wrap(scratch, DOMCTL);
    final XenDomctlCreatedomain createdomain = new XenDomctlCreatedomain().wrap(scratch, DOMCTL + XenDomctl.U_OFFSET);
    final XenDomctlGetdomaininfo getdomaininfo = new XenDomctlGetdomaininfo().wrap(scratch, DOMCTL + XenDomctl.U_OFFSET);
    final XenDomctlMaxMem maxMem = new XenDomctlMaxMem().wrap(scratch, DOMCTL + XenDomctl.U_OFFSET);
    final XenDomctlMaxVcpus maxVcpus = new XenDomctlMaxVcpus().wrap(scratch, DOMCTL + XenDomctl.U_OFFSET);
    final XenDomctlSchedulerOp schedulerOp = new XenDomctlSchedulerOp().wrap(scratch, DOMCTL + XenDomctl.U_OFFSET);
    final XenDomctlVcpuaffinity vcpuaffinity = new XenDomctlVcpuaffinity().wrap(scratch, DOMCTL + XenDomctl.U_OFFSET);
    final XenDomctlVcpucontext vcpucontext = new XenDomctlVcpucontext().wrap(scratch, DOMCTL + XenDomctl.U_OFFSET);
    final ParasolDomctlLoadImage loadImage = new ParasolDomctlLoadImage().wrap(scratch, DOMCTL + XenDomctl.U_OFFSET);
    // the rest
    final MulticallEntry multicall = new MulticallEntry().wrap(scratch, MULTICALL);
    final TrapInfo trapInfo = new TrapInfo().wrap(scratch, ARG);
    final CallbackRegister callbackRegister = new CallbackRegister().wrap(scratch, ARG);
    final CallbackUnregister callbackUnregister = new CallbackUnregister().wrap(scratch, ARG);
    final org.parasol.hypercall.struct.XenHvmParam hvmParam = new org.parasol.hypercall.struct.XenHvmParam().wrap(scratch, ARG);
    final XenFeatureInfo featureInfo = new XenFeatureInfo().wrap(scratch, ARG);
    final XenPlatformParameters platformParameters = new XenPlatformParameters().wrap(scratch, ARG);
    final XenCompileInfo compileInfo = new XenCompileInfo().wrap(scratch, ARG);

    // Handler state that is the hypervisor's own, not a guest structure.
    /** SCHEDOP_poll's ports, as read one by one. */
    final int[] pollPorts = new int[SchedOp.POLL_MAX_PORTS];
    /** An unmap batch's handles waiting for their shootdown, and the parts each claimed. */
    final int[] zappedHandles = new int[ZAPPED_MAX];
    final int[] zappedParts = new int[ZAPPED_MAX];
    /** A GNTTABOP_copy call's source and destination, kept claimed from one element to the next (empty between calls). */
    final GrantTableHandler.CopyBuf copySource = new GrantTableHandler.CopyBuf(true);
    final GrantTableHandler.CopyBuf copyDest = new GrantTableHandler.CopyBuf(false);
    /** GNTTABOP_copy elements copied in at a time: as many as the structure region holds. */
    static final int COPY_RUN = (int) (ELEMENT / GnttabCopy.SIZE);

    private GnttabCopy[] copyRun() {
        GnttabCopy[] run = new GnttabCopy[COPY_RUN];
        for (int i = 0; i < run.length; i++) {
            run[i] = new GnttabCopy().wrap(scratch, ARG + i * GnttabCopy.SIZE);
        }
        return run;
    }

    /** A console write's bytes, one chunk at a time. */
    final byte[] consoleChunk = new byte[CONSOLE_CHUNK];
    private final MemorySegment consoleBytes = MemorySegment.ofArray(consoleChunk);

    /** The argument state of one vCPU. */
    /** The arguments of {@code v}'s hypercalls: the scratch the table made for it. */
    static GuestArgs of(Vcpu v) {
        return (GuestArgs) v.hypercallScratch();
    }

    /** The domain whose vCPU last held this area ({@link HypercallTable#takeScratch}); -1 for none. */
    int lastDomid = -1;
    /** A multicall is running its entries: a sub-call that blocks keeps the area (the batch's state is here). */
    boolean inBatch;

    public GuestArgs() {
    }

    /** The scratch bytes, for tests. */
    MemorySegment bytes() {
        return bytes;
    }

    /** Zeroes everything a handler copies guest data into, before the area serves another domain. */
    void wipe() {
        bytes.fill((byte) 0);
        java.util.Arrays.fill(consoleChunk, (byte) 0);
        java.util.Arrays.fill(pollPorts, 0);
        java.util.Arrays.fill(zappedHandles, 0);
        java.util.Arrays.fill(zappedParts, 0);
    }

    /**
     * The vCPU is about to block: outside a multicall it gives its argument area back to the
     * host's pool ({@link Vcpu#idleScratch}), so an idle vCPU holds none.
     */
    static void idle(Vcpu v) {
        GuestArgs a = (GuestArgs) v.heldScratch();
        if (a != null && !a.inBatch) {
            v.idleScratch();
        }
    }

    // ---------------------------------------------------------------- access_ok

    /**
     * Xen's {@code access_ok} on x86-64 ({@code __addr_ok}): a guest pointer is acceptable if it
     * starts below the canonical hole or above the hypervisor's reserved range.
     */
    static boolean accessOk(long va) {
        return VcpuMmu.accessOk(va);
    }

    /**
     * Xen's {@code guest_handle_okay} ({@code array_access_ok}): {@code count} elements of
     * {@code size} bytes at {@code va} fit the address space without wrapping, and
     * {@code va} passes {@link #accessOk}. A handler asks this before it touches the array.
     */
    static boolean arrayOk(long va, long count, long size) {
        return Long.compareUnsigned(count, Long.divideUnsigned(-1L, size)) < 0 && accessOk(va);
    }

    // ---------------------------------------------------------------- structures

    /**
     * {@code copy_from_guest} of the {@code size}-byte structure at guest {@code va} into the
     * structure region; false is {@code -EFAULT} (a NULL or refused pointer, or a page that
     * cannot be read).
     */
    boolean in(Vcpu v, long va, long size) {
        return va != 0 && v.mmu().copyFromGuest(va, bytes, ARG, size);
    }

    /**
     * {@code copy_from_guest} of {@code count} consecutive {@code size}-byte elements at guest
     * {@code va} into the structure region with one copy ({@code count * size} at most
     * {@link #ELEMENT} bytes); false is {@code -EFAULT} for any byte of the run (the caller then
     * reads the run one element at a time, to find which). Each element is then read from this
     * private copy, once, as {@link #in} leaves it.
     */
    boolean inRun(Vcpu v, long va, long size, int count) {
        return va != 0 && v.mmu().copyFromGuest(va, bytes, ARG, size * count);
    }

    /**
     * The pages of the run {@link #inRun} last read, for {@link #runOverlaps}: the guest page
     * of its first byte, how many pages it covers (at most 3: a run is at most 6 KiB), and the
     * machine address each translated to.
     */
    private long runPageVa;
    private int runPages;
    private final long[] runPageMa = new long[3];

    /**
     * Records the machine pages of the {@code length} bytes at guest {@code va} that
     * {@link #inRun} has just read, through the same translations; false (nothing recorded)
     * when they cannot be had (a foreign thread): the caller then reads one element at a time.
     */
    boolean mapRun(Vcpu v, long va, long length) {
        long firstPage = va & ~PAGE_MASK;
        int n = (int) ((((va + length - 1) & ~PAGE_MASK) - firstPage) >>> PAGE_SHIFT) + 1;
        if (n > runPageMa.length) {
            return false;
        }
        for (int j = 0; j < n; j++) {
            long ma = v.mmu().hypervisorAddress(j == 0 ? va : firstPage + ((long) j << PAGE_SHIFT), false);
            if (ma < 0) {
                return false;
            }
            runPageMa[j] = ma & ~PAGE_MASK;
        }
        runPageVa = firstPage;
        runPages = n;
        return true;
    }

    /**
     * Whether machine bytes {@code [ma, ma + length)} overlap the guest bytes
     * {@code [from, to)} of the run {@link #mapRun} recorded: a copy that wrote there changed
     * elements the run has read but not yet carried out.
     */
    boolean runOverlaps(long from, long to, long ma, long length) {
        long end = ma + length;
        for (int j = 0; j < runPages; j++) {
            long page = runPageVa + ((long) j << PAGE_SHIFT);
            long lo = Math.max(from, page);
            long hi = Math.min(to, page + PAGE_SIZE);
            if (lo < hi) {
                long mlo = runPageMa[j] + (lo - page);
                if (mlo < end && ma < mlo + (hi - lo)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The guest page whose write translation {@link #statusPageMa} holds, for this call; -1 for none. */
    private long statusPage = -1;
    private long statusPageMa;

    /** Forgets the translation {@link #outStatus} keeps: at the start of each call that uses it. */
    void forgetStatusPage() {
        statusPage = -1;
    }

    /**
     * {@code __copy_field_to_guest} of a 16-bit {@code status} to guest {@code va}; false is
     * {@code -EFAULT}. The page's write translation is looked up once and kept for the rest of
     * the call ({@link VcpuMmu#hypervisorAddress}: the TLB's, which the call outlives), so the
     * statuses of a batch's elements, each written right after its element as Xen does, cost a
     * store each rather than a translation and a copy each. A field that straddles a page, or a
     * translation to be had only by a walk (a foreign thread), takes {@link VcpuMmu#copyToGuest}.
     */
    boolean outStatus(Vcpu v, long va, short value) {
        long page = va & ~PAGE_MASK;
        boolean onePage = (va & PAGE_MASK) != PAGE_MASK;
        if (page == statusPage && onePage) {
            v.mmu().putShortAt(statusPageMa + (va & PAGE_MASK), value);
            return true;
        }
        if (va != 0 && onePage) {
            long ma = v.mmu().hypervisorAddress(va, true);
            if (ma >= 0) {
                statusPage = page;
                statusPageMa = ma & ~PAGE_MASK;
                v.mmu().putShortAt(ma, value);
                return true;
            }
        }
        scratch.putShort(ELEMENT, value);
        return va != 0 && v.mmu().copyToGuest(bytes, ELEMENT, va, Short.BYTES);
    }

    /** {@code copy_to_guest} of the whole {@code size}-byte structure; false is {@code -EFAULT}. */
    boolean out(Vcpu v, long va, long size) {
        return va != 0 && v.mmu().copyToGuest(bytes, ARG, va, size);
    }

    /**
     * {@code __copy_field_to_guest}: bytes {@code [offset, offset + width)} of the structure
     * back to the same offset of the guest's copy at {@code va}; false is {@code -EFAULT}.
     */
    boolean outField(Vcpu v, long va, long offset, long width) {
        return va != 0 && v.mmu().copyToGuest(bytes, ARG + offset, va + offset, width);
    }

    /**
     * Bytes {@code [offset, offset + width)} of the structure region to guest {@code va}: one
     * field of one element of a run ({@link #inRun}); false is {@code -EFAULT}.
     */
    boolean outAt(Vcpu v, long va, long offset, long width) {
        return va != 0 && v.mmu().copyToGuest(bytes, ARG + offset, va, width);
    }

    /** Zeroes the structure region's first {@code size} bytes (an OUT-only structure). */
    void clear(long size) {
        scratch.setMemory(ARG, size, (byte) 0);
    }

    /**
     * A NUL-padded string of {@code capacity} bytes (at most {@code capacity - 1} of
     * {@code text}) copied to guest {@code va}; false is {@code -EFAULT}.
     */
    boolean outString(Vcpu v, long va, String text, int capacity) {
        clear(capacity);
        byte[] ascii = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        scratch.putBytes(ARG, MemorySegment.ofArray(ascii), 0, Math.min(ascii.length, capacity - 1));
        return out(v, va, capacity);
    }

    /** {@code raw} copied to guest {@code va} as it is; false is {@code -EFAULT}. */
    boolean outBytes(Vcpu v, long va, byte[] raw) {
        scratch.putBytes(ARG, MemorySegment.ofArray(raw), 0, raw.length);
        return out(v, va, raw.length);
    }

    // ---------------------------------------------------------------- array elements

    /**
     * {@code copy_from_guest_offset(hnd, index, 1)} of a 64-bit element ({@code xen_pfn_t},
     * {@code xen_ulong_t}) of the array at guest {@code array}; false is {@code -EFAULT}.
     * The value is then {@link #u64Element()}.
     */
    boolean inU64Element(Vcpu v, long array, long index) {
        return array != 0 && v.mmu().copyFromGuest(array + index * Long.BYTES, bytes, ELEMENT, Long.BYTES);
    }

    /** The 64-bit element {@link #inU64Element} copied. */
    long u64Element() {
        return scratch.getLong(ELEMENT);
    }

    /** As {@link #inU64Element} for a 32-bit element ({@code evtchn_port_t}, {@code uint}). */
    boolean inU32Element(Vcpu v, long array, long index) {
        return array != 0 && v.mmu().copyFromGuest(array + index * Integer.BYTES, bytes, ELEMENT, Integer.BYTES);
    }

    /** The 32-bit element {@link #inU32Element} copied. */
    int u32Element() {
        return scratch.getInt(ELEMENT);
    }

    /** {@code copy_to_guest_offset(hnd, index, &value, 1)} of a 64-bit element; false is {@code -EFAULT}. */
    boolean outU64Element(Vcpu v, long array, long index, long value) {
        scratch.putLong(ELEMENT, value);
        return array != 0 && v.mmu().copyToGuest(bytes, ELEMENT, array + index * Long.BYTES, Long.BYTES);
    }

    /** As {@link #outU64Element} for a 32-bit element ({@code uint *done}). */
    boolean outU32Element(Vcpu v, long array, long index, int value) {
        scratch.putInt(ELEMENT, value);
        return array != 0 && v.mmu().copyToGuest(bytes, ELEMENT, array + index * Integer.BYTES, Integer.BYTES);
    }

    // ---------------------------------------------------------------- multicall

    /** Copies the {@code multicall_entry} at guest {@code va} into its own region; false is {@code -EFAULT}. */
    boolean inMulticall(Vcpu v, long va) {
        return va != 0 && v.mmu().copyFromGuest(va, bytes, MULTICALL, MulticallEntry.SIZE);
    }

    /** Writes the entry's {@code result} back to the guest's entry at {@code va}; false is {@code -EFAULT}. */
    boolean outMulticallResult(Vcpu v, long va) {
        return v.mmu().copyToGuest(bytes, MULTICALL + MulticallEntry.RESULT_OFFSET, va + MulticallEntry.RESULT_OFFSET,
                Long.BYTES);
    }

    // ---------------------------------------------------------------- domctl

    /** {@code copy_from_guest} of the {@code xen_domctl} at guest {@code va} into its region; false is {@code -EFAULT}. */
    boolean inDomctl(Vcpu v, long va) {
        return va != 0 && v.mmu().copyFromGuest(va, bytes, DOMCTL, XenDomctl.SIZE);
    }

    /** {@code __copy_to_guest} of the whole {@code xen_domctl} back to {@code va}; false is {@code -EFAULT}. */
    boolean outDomctl(Vcpu v, long va) {
        return va != 0 && v.mmu().copyToGuest(bytes, DOMCTL, va, XenDomctl.SIZE);
    }

    /**
     * {@code length} (at most {@link #STRINGS_BYTES}) guest bytes at {@code va}, copied once into
     * the strings region, one char per byte (ISO-8859-1: the caller checks what it accepts);
     * null is {@code -EFAULT}. A length of 0 is the
     * empty string, whatever {@code va} is.
     */
    String inString(Vcpu v, long va, int length) {
        if (length == 0) {
            return "";
        }
        if (length < 0 || length > STRINGS_BYTES || va == 0 || !v.mmu().copyFromGuest(va, bytes, STRINGS, length)) {
            return null;
        }
        byte[] raw = bytes.asSlice(STRINGS, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        return new String(raw, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /**
     * {@code length} (at most {@link #STRINGS_BYTES}) bytes of a guest bitmap at {@code va}
     * ({@code xenctl_bitmap}'s bytes), copied once into the strings region; null is
     * {@code -EFAULT}.
     */
    byte[] inBitmap(Vcpu v, long va, int length) {
        if (length < 0 || length > STRINGS_BYTES || va == 0 || !v.mmu().copyFromGuest(va, bytes, STRINGS, length)) {
            return null;
        }
        return bytes.asSlice(STRINGS, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    // ---------------------------------------------------------------- console

    /** Copies {@code length} (at most {@link #CONSOLE_CHUNK}) guest bytes at {@code va} into {@link #consoleChunk}. */
    boolean inConsoleChunk(Vcpu v, long va, int length) {
        return v.mmu().copyFromGuest(va, consoleBytes, 0, length);
    }
}
