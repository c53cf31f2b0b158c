package org.parasol.hypercall;

/**
 * A pseudo-physical frame number: the guest's own contiguous numbering of its frames, which
 * its p2m list maps to machine frames.
 *
 * <p>Values are {@code 0 ..< 2^40}: the 40 frame bits (12..51) of an x86-64 page-table entry.
 * Prints as Xen prints frame numbers, in hex padded to five digits: {@code pfn 0001a}.
 *
 * @param value the frame number
 */
public record Pfn(long value) {
    /** Frame numbers are below this (2^40). */
    public static final long LIMIT = 1L << 40;
    /** Bytes per frame as a shift: 4 KiB pages. */
    public static final int PAGE_SHIFT = 12;

    /** Checks that {@code value} fits the frame field of a page-table entry. */
    public Pfn {
        if (value < 0 || value >= LIMIT) {
            throw new IllegalArgumentException("pfn out of range: 0x" + Long.toHexString(value));
        }
    }

    /** Returns the handle for {@code value}. */
    public static Pfn of(long value) {
        return new Pfn(value);
    }

    /** Returns the frame containing byte address {@code address}. */
    public static Pfn ofAddress(long address) {
        return new Pfn(address >>> PAGE_SHIFT);
    }

    /** The address of the frame's first byte. */
    public long address() {
        return value << PAGE_SHIFT;
    }

    @Override
    public String toString() {
        return String.format("pfn %05x", value);
    }
}
