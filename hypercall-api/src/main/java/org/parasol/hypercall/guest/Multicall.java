package org.parasol.hypercall.guest;

import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.struct.MulticallEntry;

/**
 * A batch builder for {@code HYPERVISOR_multicall(list, nr_calls)} (hypercall 13): collects
 * {@code multicall_entry} records in a private heap buffer, then issues them in one
 * hypercall through the {@link ArgumentPage}.
 *
 * <pre>
 *  Multicall batch = new Multicall(cpu, page, 8);
 *  batch.add(Hypercall.UPDATE_VA_MAPPING, va, pte, flags, 0, 0);
 *  batch.add(Hypercall.MMUEXT_OP, opsVa, 1, 0, DOMID_SELF, 0);
 *  long rc = batch.flush();            // 0 unless the list itself faulted
 *  long first = batch.result(0);       // each entry's own result
 * </pre>
 *
 * <p>The hypervisor runs the entries in order and writes each one's return value into its
 * {@code result}; a failing entry does not stop the batch. Pointer arguments inside the
 * entries must point at guest memory the caller prepared; the argument page holds only the
 * list. Invariants: at most {@code capacity} (1..64) entries, since 64 entries of 64 bytes
 * fill the page; results are read after {@link #flush} and before the next {@link #add}.
 */
public final class Multicall {
    /** Entries that fit in the 4 KiB argument page. */
    public static final int MAX_ENTRIES = (int) (ArgumentPage.SIZE / MulticallEntry.SIZE);

    private final Cpu cpu;
    private final ArgumentPage page;
    private final int capacity;
    private final SegmentBuffer entries;
    private final MulticallEntry entry = new MulticallEntry();
    private int size;
    private boolean flushed;

    /** A batch of at most {@code capacity} entries for {@code cpu}, sent through {@code page}. */
    public Multicall(Cpu cpu, ArgumentPage page, int capacity) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
        if (capacity < 1 || capacity > MAX_ENTRIES) {
            throw new IllegalArgumentException("capacity 1.." + MAX_ENTRIES + ": " + capacity);
        }
        this.capacity = capacity;
        this.entries = SegmentBuffer.allocate(capacity * MulticallEntry.SIZE);
    }

    /** Entries added since the last {@link #reset}. */
    public int size() {
        return size;
    }

    /** The most entries this batch holds. */
    public int capacity() {
        return capacity;
    }

    /**
     * Appends hypercall {@code op} with its five register arguments and returns the entry's
     * index. Adding after a flush starts a new batch.
     *
     * @throws IllegalStateException if the batch is full
     */
    public int add(int op, long a1, long a2, long a3, long a4, long a5) {
        if (flushed) {
            reset();
        }
        if (size == capacity) {
            throw new IllegalStateException("multicall batch full: " + capacity);
        }
        int index = size++;
        entry.wrap(entries, index * MulticallEntry.SIZE).clear().op(op)
                .arg(0, a1).arg(1, a2).arg(2, a3).arg(3, a4).arg(4, a5);
        return index;
    }

    /**
     * Issues the batch. Legal at any time; an empty batch is sent as a call with no entries.
     *
     * @return 0 when every entry ran (each with its own result), or {@code -EFAULT} if the
     *     list could not be read, {@code -EINVAL} for a multicall nested in a multicall
     */
    public long flush() {
        long bytes = size * MulticallEntry.SIZE;
        long off = page.push(bytes);
        try {
            GuestMemory memory = cpu.memory();
            entries.getBytes(0, page.scratch(), off, bytes);
            page.copyIn(memory, off, bytes);
            long rc = cpu.hypercall(Hypercall.MULTICALL, page.address(off), size);
            page.copyOut(memory, off, bytes);
            entries.putBytes(0, page.scratch(), off, bytes);
            flushed = true;
            return rc;
        } finally {
            page.pop(off);
        }
    }

    /** The result the hypervisor wrote for entry {@code index} of the last flush. */
    public long result(int index) {
        Objects.checkIndex(index, size);
        return entry.wrap(entries, index * MulticallEntry.SIZE).result();
    }

    /** Empties the batch. */
    public Multicall reset() {
        size = 0;
        flushed = false;
        return this;
    }
}
