package org.parasol.hypervisor.image;

/**
 * The sizes past which the hypervisor refuses to read or check an image, so that loading an
 * image costs time and memory in proportion to its size and never more than these bounds.
 *
 * <p>Xen's domain builder refuses a kernel image whose ELF headers claim more than the domain's
 * memory; ours reads bytecode, and a hostile image can be a zip bomb, a class of a million
 * constant-pool entries or a pyramid of dynamic constants. Every limit is well above what javac
 * and the example images need (they use a few hundred classes of a few KiB each) and is
 * reported by name: a refusal says which limit an image broke
 * ({@code rule 'within the verifier's limits': 70000 constant-pool entries, more than MAX_CONSTANT_POOL_ENTRIES (32768)}).
 */
public final class ImageLimits {
    private ImageLimits() {
    }

    /** Classes in one image. */
    public static final int MAX_CLASSES = 20_000;

    /** Bytes of all classes and resources of one image, after decompression. */
    public static final long MAX_IMAGE_BYTES = 256L << 20;

    /** Bytes of one jar entry or file, after decompression (a zip bomb stops here). */
    public static final int MAX_ENTRY_BYTES = 16 << 20;

    /** Entries (classes, resources and folders) in one jar or classes folder. */
    public static final int MAX_ENTRIES = 100_000;

    /** Constant-pool entries of one class (the class-file format allows 65535). */
    public static final int MAX_CONSTANT_POOL_ENTRIES = 32_768;

    /** Methods declared by one class. */
    public static final int MAX_METHODS = 8_192;

    /** Fields declared by one class. */
    public static final int MAX_FIELDS = 8_192;

    /** Bootstrap methods of one class. */
    public static final int MAX_BOOTSTRAP_METHODS = 8_192;

    /**
     * How deep dynamic constants may nest inside one bootstrap's arguments (a dynamic constant
     * whose arguments are dynamic constants whose arguments are ...). javac nests two deep.
     */
    public static final int MAX_BOOTSTRAP_NESTING = 8;

    /**
     * Supertypes (the class itself, its superclasses and every interface they implement,
     * JDK and hypercall-api types included) of one image class. Member resolution walks them,
     * so this bounds the work of resolving one reference.
     */
    public static final int MAX_SUPERTYPES = 128;

    /** A message naming a limit: {@code 70000 constant-pool entries, more than MAX_CONSTANT_POOL_ENTRIES (32768)}. */
    static String exceeded(long actual, String what, String limitName, long limit) {
        return actual + " " + what + ", more than " + limitName + " (" + limit + ")";
    }
}
