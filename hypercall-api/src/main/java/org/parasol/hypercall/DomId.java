package org.parasol.hypercall;

/**
 * A domain id ({@code domid_t}, unsigned 16 bits), with Xen's reserved ids from
 * {@code public/xen.h}.
 *
 * <p>Ids {@code 0 ..< }{@link #DOMID_FIRST_RESERVED} name real domains; the ids from
 * {@code DOMID_FIRST_RESERVED} up are special: {@link #DOMID_SELF} means the caller. The
 * {@code DOMID_*} ints are for flyweights and hot paths; the {@code DomId} constants for
 * typed APIs. {@link #toString()} prints as Xen's {@code %pd} does: {@code d3},
 * {@code d[IDLE]}.
 *
 * @param value the id, {@code 0 ..= 0xFFFF}
 */
public record DomId(int value) {
    /** {@code DOMID_FIRST_RESERVED}: ids from here up are not domains. */
    public static final int DOMID_FIRST_RESERVED = 0x7FF0;
    /** {@code DOMID_SELF}: the calling domain. */
    public static final int DOMID_SELF = 0x7FF0;
    /** {@code DOMID_IO}: owner of I/O memory (mmu_update foreigndom for MMIO). */
    public static final int DOMID_IO = 0x7FF1;
    /** {@code DOMID_XEN}: owner of Xen's heap frames. */
    public static final int DOMID_XEN = 0x7FF2;
    /** {@code DOMID_COW}: owner of shared copy-on-write frames. */
    public static final int DOMID_COW = 0x7FF3;
    /** {@code DOMID_INVALID}: no domain. */
    public static final int DOMID_INVALID = 0x7FF4;
    /** {@code DOMID_ANY}: any domain (xenstore permissions, unbound channels). */
    public static final int DOMID_ANY = 0x7FF5;
    /** {@code DOMID_IDLE}: the idle domain. */
    public static final int DOMID_IDLE = 0x7FFF;
    /** {@code DOMID_MASK}: bits of a domain id proper. */
    public static final int DOMID_MASK = 0x7FFF;

    /** Domain 0, the control domain. */
    public static final DomId DOM0 = new DomId(0);
    /** {@link #DOMID_SELF} as a handle. */
    public static final DomId SELF = new DomId(DOMID_SELF);
    /** {@link #DOMID_IO} as a handle. */
    public static final DomId IO = new DomId(DOMID_IO);
    /** {@link #DOMID_XEN} as a handle. */
    public static final DomId XEN = new DomId(DOMID_XEN);
    /** {@link #DOMID_COW} as a handle. */
    public static final DomId COW = new DomId(DOMID_COW);
    /** {@link #DOMID_INVALID} as a handle. */
    public static final DomId INVALID = new DomId(DOMID_INVALID);
    /** {@link #DOMID_ANY} as a handle. */
    public static final DomId ANY = new DomId(DOMID_ANY);
    /** {@link #DOMID_IDLE} as a handle. */
    public static final DomId IDLE = new DomId(DOMID_IDLE);

    /** Checks that {@code value} fits {@code domid_t}. */
    public DomId {
        if ((value & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("domid out of range: " + value);
        }
    }

    /** Returns the handle for {@code value}; the reserved ids return their shared constant. */
    public static DomId of(int value) {
        return switch (value) {
            case 0 -> DOM0;
            case DOMID_SELF -> SELF;
            case DOMID_IO -> IO;
            case DOMID_XEN -> XEN;
            case DOMID_COW -> COW;
            case DOMID_INVALID -> INVALID;
            case DOMID_ANY -> ANY;
            case DOMID_IDLE -> IDLE;
            default -> new DomId(value);
        };
    }

    /** {@code true} for an id below {@link #DOMID_FIRST_RESERVED}: a real domain. */
    public boolean isDomain() {
        return value < DOMID_FIRST_RESERVED;
    }

    /** {@code d<n>} for a domain, {@code d[NAME]} for a reserved id. */
    @Override
    public String toString() {
        return switch (value) {
            case DOMID_SELF -> "d[SELF]";
            case DOMID_IO -> "d[IO]";
            case DOMID_XEN -> "d[XEN]";
            case DOMID_COW -> "d[COW]";
            case DOMID_INVALID -> "d[INVALID]";
            case DOMID_ANY -> "d[ANY]";
            case DOMID_IDLE -> "d[IDLE]";
            default -> "d" + value;
        };
    }
}
