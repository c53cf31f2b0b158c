package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * A PV console ring page, shared between the guest and the console back end; mirrors
 * {@code io/console.h}: {@code xencons_interface}.
 *
 * <pre>
 *  0          1024        3072     3076     3080     3084     3088         3089  3092
 *  +----------+-----------+--------+--------+--------+--------+------------+-----+
 *  | in[1024] | out[2048] |in_cons |in_prod |out_cons|out_prod| connection | pad |
 *  +----------+-----------+--------+--------+--------+--------+------------+-----+
 * </pre>
 *
 * <p>Invariants: 3092 bytes at the start of a 4 KiB page. {@code in} carries back-end-to-guest
 * bytes (keyboard input), {@code out} guest-to-back-end bytes (output). Indices are free-running
 * u32 counters; byte {@code x} of {@code in} lives at {@link #inSlot(int) x & 1023}, of
 * {@code out} at {@link #outSlot(int) x & 2047}; a producer never gets more than the array's
 * size ahead of its consumer. The guest produces {@code out_prod} and consumes {@code in_cons};
 * the back end produces {@code in_prod} and consumes {@code out_cons}. {@code connection} is
 * {@code XENCONSOLE_CONNECTED} 0 or {@code XENCONSOLE_DISCONNECTED} 1.
 */
public final class XenconsInterface {

    /** Bytes in {@code in}. */
    public static final int IN_SIZE = 1024;
    /** Bytes in {@code out}. */
    public static final int OUT_SIZE = 2048;

    public static final SequenceLayout IN_LAYOUT = MemoryLayout.sequenceLayout(IN_SIZE, Layouts.U8).withName("in");
    public static final SequenceLayout OUT_LAYOUT = MemoryLayout.sequenceLayout(OUT_SIZE, Layouts.U8).withName("out");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            IN_LAYOUT,
            OUT_LAYOUT,
            Layouts.U32.withName("in_cons"),
            Layouts.U32.withName("in_prod"),
            Layouts.U32.withName("out_cons"),
            Layouts.U32.withName("out_prod"),
            Layouts.U8.withName("connection"),
            MemoryLayout.paddingLayout(3))
            .withName("xencons_interface");

    /** 3092 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long IN_OFFSET = LAYOUT.byteOffset(groupElement("in"));
    public static final long OUT_OFFSET = LAYOUT.byteOffset(groupElement("out"));
    public static final long IN_CONS_OFFSET = LAYOUT.byteOffset(groupElement("in_cons"));
    public static final long IN_PROD_OFFSET = LAYOUT.byteOffset(groupElement("in_prod"));
    public static final long OUT_CONS_OFFSET = LAYOUT.byteOffset(groupElement("out_cons"));
    public static final long OUT_PROD_OFFSET = LAYOUT.byteOffset(groupElement("out_prod"));
    public static final long CONNECTION_OFFSET = LAYOUT.byteOffset(groupElement("connection"));

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public XenconsInterface() {
    }

    /**
     * Points this flyweight at the interface {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 3092 bytes do not fit
     */
    public XenconsInterface wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    public SharedBuffer buffer() {
        return buffer;
    }

    public long base() {
        return base;
    }

    /** The position in {@code in} of the byte a free-running index names. */
    public static int inSlot(int index) {
        return index & (IN_SIZE - 1);
    }

    /** The position in {@code out} of the byte a free-running index names. */
    public static int outSlot(int index) {
        return index & (OUT_SIZE - 1);
    }

    /**
     * {@code in[i]}, widened.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < 1024}
     */
    public int in(int i) {
        return Layouts.u8(buffer.getByte(base + IN_OFFSET + Bounds.checkIndex(i, IN_SIZE)));
    }

    public XenconsInterface in(int i, int value) {
        buffer.putByte(base + IN_OFFSET + Bounds.checkIndex(i, IN_SIZE), (byte) value);
        return this;
    }

    /**
     * {@code out[i]}, widened.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < 2048}
     */
    public int out(int i) {
        return Layouts.u8(buffer.getByte(base + OUT_OFFSET + Bounds.checkIndex(i, OUT_SIZE)));
    }

    public XenconsInterface out(int i, int value) {
        buffer.putByte(base + OUT_OFFSET + Bounds.checkIndex(i, OUT_SIZE), (byte) value);
        return this;
    }

    public long inCons() {
        return Layouts.u32(buffer.getInt(base + IN_CONS_OFFSET));
    }

    public XenconsInterface inCons(long value) {
        buffer.putInt(base + IN_CONS_OFFSET, (int) value);
        return this;
    }

    public long inProd() {
        return Layouts.u32(buffer.getInt(base + IN_PROD_OFFSET));
    }

    public XenconsInterface inProd(long value) {
        buffer.putInt(base + IN_PROD_OFFSET, (int) value);
        return this;
    }

    public long outCons() {
        return Layouts.u32(buffer.getInt(base + OUT_CONS_OFFSET));
    }

    public XenconsInterface outCons(long value) {
        buffer.putInt(base + OUT_CONS_OFFSET, (int) value);
        return this;
    }

    public long outProd() {
        return Layouts.u32(buffer.getInt(base + OUT_PROD_OFFSET));
    }

    public XenconsInterface outProd(long value) {
        buffer.putInt(base + OUT_PROD_OFFSET, (int) value);
        return this;
    }

    /** {@code connection} (u8), widened. */
    public int connection() {
        return Layouts.u8(buffer.getByte(base + CONNECTION_OFFSET));
    }

    public XenconsInterface connection(int value) {
        buffer.putByte(base + CONNECTION_OFFSET, (byte) value);
        return this;
    }

    /** Zeroes the 3092 bytes. */
    public XenconsInterface clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    // ---- ordered access to the words both sides touch ----

    /** Guest, before reading input: sees every input byte the back end wrote before publishing. */
    public int inProdAcquire() {
        return buffer.getIntAcquire(base + IN_PROD_OFFSET);
    }

    /** Back end publishes input bytes: bytes written before this store are seen by whoever acquires it. */
    public void inProdRelease(int value) {
        buffer.putIntRelease(base + IN_PROD_OFFSET, value);
    }

    /** Back end, before reusing input space: the guest's reads of it are finished. */
    public int inConsAcquire() {
        return buffer.getIntAcquire(base + IN_CONS_OFFSET);
    }

    /** Guest frees input space: its reads happen before the back end may overwrite the bytes. */
    public void inConsRelease(int value) {
        buffer.putIntRelease(base + IN_CONS_OFFSET, value);
    }

    /** Back end, before reading output: sees every output byte the guest wrote before publishing. */
    public int outProdAcquire() {
        return buffer.getIntAcquire(base + OUT_PROD_OFFSET);
    }

    /** Guest publishes output bytes: bytes written before this store are seen by whoever acquires it. */
    public void outProdRelease(int value) {
        buffer.putIntRelease(base + OUT_PROD_OFFSET, value);
    }

    /** Guest, before reusing output space: the back end's reads of it are finished. */
    public int outConsAcquire() {
        return buffer.getIntAcquire(base + OUT_CONS_OFFSET);
    }

    /** Back end frees output space: its reads happen before the guest may overwrite the bytes. */
    public void outConsRelease(int value) {
        buffer.putIntRelease(base + OUT_CONS_OFFSET, value);
    }

    /** Guest reads whether the back end is attached, and after it the state the back end left. */
    public int connectionAcquire() {
        return Layouts.u8(buffer.getByteAcquire(base + CONNECTION_OFFSET));
    }

    /** Back end marks itself connected (0) or disconnected (1) after setting up the ring. */
    public void connectionRelease(int value) {
        buffer.putByteRelease(base + CONNECTION_OFFSET, (byte) value);
    }
}
