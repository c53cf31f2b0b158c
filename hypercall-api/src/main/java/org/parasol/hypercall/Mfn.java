package org.parasol.hypercall;

/**
 * A machine frame number: the hypervisor's name for a 4 KiB frame of machine memory, the
 * number in a page-table entry and in {@code start_info.store_mfn}.
 *
 * <p>Values are {@code 0 ..< 2^40}: the 40 frame bits (12..51) of an x86-64 page-table entry.
 * Prints as Xen prints frame numbers, in hex padded to five digits: {@code mfn 0001a}.
 *
 * @param value the frame number
 */
public record Mfn(long value) {
    /** Frame numbers are below this (2^40). */
    public static final long LIMIT = 1L << 40;
    /** Bytes per frame as a shift: 4 KiB pages. */
    public static final int PAGE_SHIFT = 12;

    /** Checks that {@code value} fits the frame field of a page-table entry. */
    public Mfn {
        if (value < 0 || value >= LIMIT) {
            throw new IllegalArgumentException("mfn out of range: 0x" + Long.toHexString(value));
        }
    }

    /** Returns the handle for {@code value}. */
    public static Mfn of(long value) {
        return new Mfn(value);
    }

    /** Returns the frame containing byte address {@code address}. */
    public static Mfn ofAddress(long address) {
        return new Mfn(address >>> PAGE_SHIFT);
    }

    /** The address of the frame's first byte. */
    public long address() {
        return value << PAGE_SHIFT;
    }

    @Override
    public String toString() {
        return String.format("mfn %05x", value);
    }
}
