package org.parasol.hypercall;

/**
 * A grant reference ({@code grant_ref_t}): the index of an entry in the granting domain's
 * grant table.
 *
 * <p>Values are {@code 0 ..< 2^31} (references 0..7 are {@code GNTTAB_NR_RESERVED_ENTRIES});
 * the hypervisor still bounds each reference by the table's current size. Prints as
 * {@code gref 8}.
 *
 * @param value the index
 */
public record GrantRef(int value) {
    /** Checks that {@code value} is non-negative. */
    public GrantRef {
        if (value < 0) {
            throw new IllegalArgumentException("grant ref out of range: " + Integer.toUnsignedString(value));
        }
    }

    /** Returns the handle for {@code value}. */
    public static GrantRef of(int value) {
        return new GrantRef(value);
    }

    @Override
    public String toString() {
        return "gref " + value;
    }
}
