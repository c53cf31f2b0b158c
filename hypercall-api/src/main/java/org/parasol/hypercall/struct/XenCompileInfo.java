package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import org.parasol.hypercall.SharedBuffer;

/**
 * Result of {@code XENVER_compile_info} (2): mirrors {@code version.h}:
 * {@code xen_compile_info} (144 bytes of NUL-padded ASCII).
 *
 * <pre>
 *  0              64            80                112              144
 *  +--------------+-------------+-----------------+----------------+
 *  | compiler[64] | compile_by  | compile_domain  | compile_date   |
 *  |              |    [16]     |      [32]       |     [32]       |
 *  +--------------+-------------+-----------------+----------------+
 * </pre>
 *
 * <p>Invariants: each field is a C string padded with NULs; Xen truncates what does not fit
 * (the header calls the ABI "broken"), so a writer keeps at most {@code length - 1} bytes and
 * a reader stops at the first NUL or the field's end.
 */
public final class XenCompileInfo {
    public static final int COMPILER_LEN = 64;
    public static final int COMPILE_BY_LEN = 16;
    public static final int COMPILE_DOMAIN_LEN = 32;
    public static final int COMPILE_DATE_LEN = 32;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(COMPILER_LEN, Layouts.U8).withName("compiler"),
            MemoryLayout.sequenceLayout(COMPILE_BY_LEN, Layouts.U8).withName("compile_by"),
            MemoryLayout.sequenceLayout(COMPILE_DOMAIN_LEN, Layouts.U8).withName("compile_domain"),
            MemoryLayout.sequenceLayout(COMPILE_DATE_LEN, Layouts.U8).withName("compile_date"))
            .withName("xen_compile_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long COMPILER_OFFSET = Layouts.offsetOf(LAYOUT, "compiler");
    public static final long COMPILE_BY_OFFSET = Layouts.offsetOf(LAYOUT, "compile_by");
    public static final long COMPILE_DOMAIN_OFFSET = Layouts.offsetOf(LAYOUT, "compile_domain");
    public static final long COMPILE_DATE_OFFSET = Layouts.offsetOf(LAYOUT, "compile_date");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenCompileInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenCompileInfo wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenCompileInfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    public String compiler() {
        return read(COMPILER_OFFSET, COMPILER_LEN);
    }

    /** Writes {@code compiler}, NUL-padded, truncated to 63 bytes. */
    public XenCompileInfo compiler(String v) {
        return write(COMPILER_OFFSET, COMPILER_LEN, v);
    }

    public String compileBy() {
        return read(COMPILE_BY_OFFSET, COMPILE_BY_LEN);
    }

    public XenCompileInfo compileBy(String v) {
        return write(COMPILE_BY_OFFSET, COMPILE_BY_LEN, v);
    }

    public String compileDomain() {
        return read(COMPILE_DOMAIN_OFFSET, COMPILE_DOMAIN_LEN);
    }

    public XenCompileInfo compileDomain(String v) {
        return write(COMPILE_DOMAIN_OFFSET, COMPILE_DOMAIN_LEN, v);
    }

    public String compileDate() {
        return read(COMPILE_DATE_OFFSET, COMPILE_DATE_LEN);
    }

    public XenCompileInfo compileDate(String v) {
        return write(COMPILE_DATE_OFFSET, COMPILE_DATE_LEN, v);
    }

    private String read(long fieldOffset, int capacity) {
        long start = base + fieldOffset;
        int length = 0;
        while (length < capacity && buffer.getByte(start + length) != 0) {
            length++;
        }
        byte[] bytes = new byte[length];
        buffer.getBytes(start, MemorySegment.ofArray(bytes), 0, length);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private XenCompileInfo write(long fieldOffset, int capacity, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        int n = Math.min(bytes.length, capacity - 1);
        long start = base + fieldOffset;
        buffer.setMemory(start, capacity, (byte) 0);
        buffer.putBytes(start, MemorySegment.ofArray(bytes), 0, n);
        return this;
    }
}
