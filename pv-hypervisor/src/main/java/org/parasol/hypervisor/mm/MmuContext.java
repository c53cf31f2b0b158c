package org.parasol.hypervisor.mm;

/**
 * What a {@link VcpuMmu} needs from the vCPU it belongs to: whose memory it is, where the
 * current page tables are, and how to deliver what a memory access can raise. The vCPU's
 * thread is given to the MMU directly ({@link VcpuMmu#setOwner}).
 *
 * <p>Implemented by the hypervisor's vCPU. Every method except {@link #domid()} and
 * {@link #baseMfn()} is called on the vCPU's own thread, from
 * inside a guest memory access, with no hypervisor lock held. The vCPU's poll word reaches the
 * MMU separately, as a read-only {@link PollWord}.
 */
public interface MmuContext {

    /** The domain whose memory this vCPU may reach. */
    int domid();

    /** The MFN of the L4 table the vCPU's CR3 points at ({@code v->arch.guest_table}). */
    long baseMfn();

    /**
     * A thread other than the vCPU's used its memory view: crashes the domain and throws
     * {@link org.parasol.hypercall.GuestAbort}. Never returns normally.
     */
    void wrongThread();

    /**
     * The vCPU's {@link PollWord} was not zero at a guest access: the vCPU takes its bits and
     * acts on them before the access goes on — a flush request empties this MMU's TLB
     * ({@link VcpuMmu#flushForRequests()}), the end of a time slice may hand the pCPU over, and
     * a dead domain throws {@link org.parasol.hypercall.GuestAbort}.
     */
    void safePoint();

    /**
     * A guest access faulted: delivers {@code #PF} with {@code va} (CR2) and the x86 error code
     * to the guest's page-fault handler and returns normally when it returns, so that the access
     * is retried; or crashes the domain and throws {@link org.parasol.hypercall.GuestAbort}.
     *
     * @param errorCode {@link VcpuMmu#PF_PRESENT}, {@link VcpuMmu#PF_WRITE} and
     *                  {@link VcpuMmu#PF_RSVD} bits as x86 defines them
     */
    void pageFault(long va, int errorCode);

    /**
     * A guest store faulted on a present page: offers it to the writable-page-table emulator
     * before it is delivered as {@code #PF}. Returns true if the store was emulated (the
     * access is complete; for a compare-and-exchange the value found is in
     * {@link TrapRecord#witness()}), false to deliver the fault. The default emulates nothing.
     */
    default boolean emulateStore(TrapRecord record) {
        return false;
    }

    /**
     * The guest broke an access rule no retry can fix (for example a misaligned atomic):
     * crashes the domain and throws {@link org.parasol.hypercall.GuestAbort}. Never returns
     * normally.
     */
    void guestBug(String what);

    /**
     * Whether the domain may move bytes between host files and its memory
     * ({@link org.parasol.hypercall.GuestMemory#readFile}): a privileged domain, whose back ends
     * serve disk images. No by default.
     */
    default boolean hostIo() {
        return false;
    }

    /**
     * Grant I/O ({@link org.parasol.hypercall.GuestMemory#readFileToGrants}): moves
     * {@code file} from {@code position} on into ({@code toGuest}) or out of pieces of pages
     * that domain {@code domid} granted to this one. Called on the vCPU's thread after the MMU
     * checked the caller may do host I/O and the arguments' shape; the vCPU checks and pins
     * the grants. Refused by default.
     *
     * @return bytes moved, or a negative {@code GNTST_*} code
     */
    default long grantFileIo(java.nio.channels.FileChannel file, long position, int domid, int[] refs,
            int[] offsets, int[] lengths, int count, boolean toGuest) throws java.io.IOException {
        throw new UnsupportedOperationException("grant I/O is for privileged domains");
    }

    /**
     * A grant I/O batch ({@link org.parasol.hypercall.GuestMemory#grantIoBatch}), after the MMU
     * checked the caller and the arguments' shape; the vCPU checks and pins each request's grants.
     * Refused by default.
     */
    default void grantFileIoBatch(java.nio.channels.FileChannel file, int domid, int count, boolean[] writes,
            long[] positions, int[] pieceEnds, int[] refs, int[] offsets, int[] lengths, long[] results)
            throws java.io.IOException {
        throw new UnsupportedOperationException("grant I/O is for privileged domains");
    }

    /**
     * Asynchronous grant I/O ({@link org.parasol.hypercall.GuestMemory#grantIoSubmit} and its
     * reap and cancel), after the MMU checked the caller and the arguments' shape; the vCPU's
     * in-flight table checks and pins the grants. Refused by default.
     */
    default long grantFileIoSubmit(java.nio.channels.FileChannel file, int domid, boolean write, long position,
            int[] refs, int[] offsets, int[] lengths, int count, long tag) throws java.io.IOException {
        throw new UnsupportedOperationException("grant I/O is for privileged domains");
    }

    /** See {@link #grantFileIoSubmit}. */
    default int grantFileIoReap(long[] tags, long[] results, int max, boolean wait) throws java.io.IOException {
        throw new UnsupportedOperationException("grant I/O is for privileged domains");
    }

    /** See {@link #grantFileIoSubmit}. */
    default int grantFileIoCancel(java.nio.channels.FileChannel file) throws java.io.IOException {
        throw new UnsupportedOperationException("grant I/O is for privileged domains");
    }

    /** See {@link #grantFileIoSubmit}. */
    default int grantFileIoInFlight() {
        return 0;
    }

    /**
     * A grant read ({@link org.parasol.hypercall.GuestMemory#readGrant}): copies {@code length}
     * bytes at {@code offset} of the page domain {@code domid} granted by {@code ref} to machine
     * address {@code ma}, which the MMU translated from the caller's own memory just before,
     * writable, with no safe point since (so the frame cannot have gone). Called on the vCPU's
     * thread after the MMU checked the caller may do host I/O; the vCPU checks and pins the
     * grant. Refused by default.
     *
     * @return {@code GNTST_okay} or a negative {@code GNTST_*} code
     */
    default int grantRead(int domid, int ref, int offset, long ma, int length) {
        throw new UnsupportedOperationException("grant reads are for privileged domains");
    }
}
