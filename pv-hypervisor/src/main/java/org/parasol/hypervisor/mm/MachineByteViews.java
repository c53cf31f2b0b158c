package org.parasol.hypervisor.mm;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Reused {@link ByteBuffer} views of machine memory for one vCPU's host file I/O (a back end's
 * {@code pread}/{@code readv} straight into frames): a call sets a view's position and limit
 * instead of making a slice and a buffer per piece, so the I/O path allocates nothing once its
 * views exist.
 *
 * <p>A {@code ByteBuffer} holds at most 2 GiB, so machine memory is covered by windows: view
 * {@code w} spans from {@code w} GiB to {@code w + 1} GiB plus {@link #MAX_RUN}, and a run of at
 * most {@link #MAX_RUN} bytes starting in window {@code w} lies inside it. Each slot (one piece of
 * a scattering call) has its own views, made on first use.
 *
 * <p>Only the hypervisor holds these views, and it hands them only to the JDK's own
 * {@code FileChannel} (the callers check), which keeps no buffer after the call; they are no
 * more than {@link MachineMemory#segment()} itself. Owned by one vCPU, used on its thread only.
 */
public final class MachineByteViews {
    /** The longest run one view takes: the most one positional call or scattering piece moves. */
    public static final long MAX_RUN = 1L << 20;
    private static final int WINDOW_SHIFT = 30;

    private final MemorySegment machine;
    private final ByteBuffer[][] views;

    /** Views of {@code machine} for up to {@code slots} pieces per call. */
    public MachineByteViews(MemorySegment machine, int slots) {
        this.machine = machine;
        this.views = new ByteBuffer[slots][(int) ((machine.byteSize() >>> WINDOW_SHIFT) + 1)];
    }

    /**
     * A buffer whose remaining bytes are machine bytes {@code [ma, ma + len)}, for piece
     * {@code slot} of a call. Its position need not be 0: a caller counts what moved from the
     * position it had on return. A run longer than {@link #MAX_RUN} (callers keep runs under
     * it), or outside machine memory, gets a fresh slice, which checks the bounds.
     */
    public ByteBuffer view(int slot, long ma, long len) {
        if (len > MAX_RUN || ma < 0 || len < 0 || ma > machine.byteSize() - len) {
            return machine.asSlice(ma, len).asByteBuffer(); // bounds checked there
        }
        int w = (int) (ma >>> WINDOW_SHIFT);
        ByteBuffer[] row = views[slot];
        ByteBuffer v = row[w];
        long base = (long) w << WINDOW_SHIFT;
        if (v == null) {
            long size = Math.min(machine.byteSize() - base, (1L << WINDOW_SHIFT) + MAX_RUN);
            v = row[w] = machine.asSlice(base, size).asByteBuffer();
        }
        int from = (int) (ma - base);
        v.limit(from + (int) len);
        v.position(from);
        return v;
    }
}
