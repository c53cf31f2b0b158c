package org.parasol.hypercall.io;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.Layouts;

/**
 * A slot of packet metadata (segmentation offload, multicast filter, hash) that follows a tx
 * request or rx response carrying the {@code extra_info} flag; mirrors {@code io/netif.h}:
 * {@code netif_extra_info}.
 *
 * <pre>
 *  0      1       2                                  8
 *  +------+-------+----------------------------------+
 *  | type | flags | u (6-byte union, chosen by type) |
 *  +------+-------+----------------------------------+
 *  u.gso   = | size (u16) | type (u8) | pad (u8) | features (u16) |
 *  u.mcast = | addr[6]                                            |
 *  u.hash  = | type (u8) | algorithm (u8) | value[4]              |
 * </pre>
 *
 * <p>Invariants: 8 bytes, so it fits any tx (12) or rx (8) slot; {@code type} is
 * {@code XEN_NETIF_EXTRA_TYPE_*} (NONE 0 is invalid, GSO 1, MCAST_ADD 2, MCAST_DEL 3, HASH 4)
 * and says which view of {@code u} holds; {@code flags} bit 0 ({@code XEN_NETIF_EXTRA_FLAG_MORE})
 * means another extra slot follows. On tx the back end answers an extra slot with
 * {@code NETIF_RSP_NULL}. The views overlap: writing one changes the others.
 */
public final class NetifExtraInfo {

    public static final StructLayout GSO_LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("size"),
            Layouts.U8.withName("type"),
            Layouts.U8.withName("pad"),
            Layouts.U16.withName("features"))
            .withName("gso");

    public static final StructLayout MCAST_LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(6, Layouts.U8).withName("addr"))
            .withName("mcast");

    public static final StructLayout HASH_LAYOUT = MemoryLayout.structLayout(
            Layouts.U8.withName("type"),
            Layouts.U8.withName("algorithm"),
            MemoryLayout.sequenceLayout(4, Layouts.U8).withName("value"))
            .withName("hash");

    public static final UnionLayout U_LAYOUT = MemoryLayout.unionLayout(
            GSO_LAYOUT,
            MCAST_LAYOUT,
            HASH_LAYOUT,
            MemoryLayout.sequenceLayout(3, Layouts.U16).withName("pad"))
            .withName("u");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U8.withName("type"),
            Layouts.U8.withName("flags"),
            U_LAYOUT)
            .withName("netif_extra_info");

    /** 8 bytes. */
    public static final long SIZE = LAYOUT.byteSize();
    public static final long TYPE_OFFSET = LAYOUT.byteOffset(groupElement("type"));
    public static final long FLAGS_OFFSET = LAYOUT.byteOffset(groupElement("flags"));
    public static final long U_OFFSET = LAYOUT.byteOffset(groupElement("u"));
    public static final long GSO_SIZE_OFFSET =
            LAYOUT.byteOffset(groupElement("u"), groupElement("gso"), groupElement("size"));
    public static final long GSO_TYPE_OFFSET =
            LAYOUT.byteOffset(groupElement("u"), groupElement("gso"), groupElement("type"));
    public static final long GSO_FEATURES_OFFSET =
            LAYOUT.byteOffset(groupElement("u"), groupElement("gso"), groupElement("features"));
    public static final long MCAST_ADDR_OFFSET =
            LAYOUT.byteOffset(groupElement("u"), groupElement("mcast"), groupElement("addr"));
    /** Bytes in {@code u.mcast.addr}: a MAC address, 6. */
    public static final int MCAST_ADDR_LENGTH = (int) MCAST_LAYOUT.select(groupElement("addr")).byteSize();
    public static final long HASH_TYPE_OFFSET =
            LAYOUT.byteOffset(groupElement("u"), groupElement("hash"), groupElement("type"));
    public static final long HASH_ALGORITHM_OFFSET =
            LAYOUT.byteOffset(groupElement("u"), groupElement("hash"), groupElement("algorithm"));
    public static final long HASH_VALUE_OFFSET =
            LAYOUT.byteOffset(groupElement("u"), groupElement("hash"), groupElement("value"));
    /** Bytes in {@code u.hash.value}: 4. */
    public static final int HASH_VALUE_LENGTH = (int) HASH_LAYOUT.select(groupElement("value")).byteSize();

    private SharedBuffer buffer;
    private long base;

    /** Creates a flyweight that points nowhere; {@link #wrap} it before using any accessor. */
    public NetifExtraInfo() {
    }

    /**
     * Points this flyweight at the extra-info slot {@code offset} bytes into {@code buffer}.
     *
     * @throws IndexOutOfBoundsException if the 8 bytes do not fit
     */
    public NetifExtraInfo wrap(SharedBuffer buffer, long offset) {
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

    /** {@code type} ({@code XEN_NETIF_EXTRA_TYPE_*}), widened. */
    public int type() {
        return Layouts.u8(buffer.getByte(base + TYPE_OFFSET));
    }

    public NetifExtraInfo type(int value) {
        buffer.putByte(base + TYPE_OFFSET, (byte) value);
        return this;
    }

    public int flags() {
        return Layouts.u8(buffer.getByte(base + FLAGS_OFFSET));
    }

    public NetifExtraInfo flags(int value) {
        buffer.putByte(base + FLAGS_OFFSET, (byte) value);
        return this;
    }

    // ---- u.gso ----

    /** {@code u.gso.size}: the MSS. */
    public int gsoSize() {
        return Layouts.u16(buffer.getShort(base + GSO_SIZE_OFFSET));
    }

    public NetifExtraInfo gsoSize(int value) {
        buffer.putShort(base + GSO_SIZE_OFFSET, (short) value);
        return this;
    }

    /** {@code u.gso.type} ({@code XEN_NETIF_GSO_TYPE_*}). */
    public int gsoType() {
        return Layouts.u8(buffer.getByte(base + GSO_TYPE_OFFSET));
    }

    public NetifExtraInfo gsoType(int value) {
        buffer.putByte(base + GSO_TYPE_OFFSET, (byte) value);
        return this;
    }

    public int gsoFeatures() {
        return Layouts.u16(buffer.getShort(base + GSO_FEATURES_OFFSET));
    }

    public NetifExtraInfo gsoFeatures(int value) {
        buffer.putShort(base + GSO_FEATURES_OFFSET, (short) value);
        return this;
    }

    // ---- u.mcast ----

    /**
     * Byte {@code i} of {@code u.mcast.addr}.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < 6}
     */
    public int mcastAddr(int i) {
        return Layouts.u8(buffer.getByte(base + MCAST_ADDR_OFFSET + Bounds.checkIndex(i, MCAST_ADDR_LENGTH)));
    }

    public NetifExtraInfo mcastAddr(int i, int value) {
        buffer.putByte(base + MCAST_ADDR_OFFSET + Bounds.checkIndex(i, MCAST_ADDR_LENGTH), (byte) value);
        return this;
    }

    // ---- u.hash ----

    /** {@code u.hash.type} ({@code _XEN_NETIF_CTRL_HASH_TYPE_*} bit number). */
    public int hashType() {
        return Layouts.u8(buffer.getByte(base + HASH_TYPE_OFFSET));
    }

    public NetifExtraInfo hashType(int value) {
        buffer.putByte(base + HASH_TYPE_OFFSET, (byte) value);
        return this;
    }

    public int hashAlgorithm() {
        return Layouts.u8(buffer.getByte(base + HASH_ALGORITHM_OFFSET));
    }

    public NetifExtraInfo hashAlgorithm(int value) {
        buffer.putByte(base + HASH_ALGORITHM_OFFSET, (byte) value);
        return this;
    }

    /**
     * Byte {@code i} of {@code u.hash.value}.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < 4}
     */
    public int hashValue(int i) {
        return Layouts.u8(buffer.getByte(base + HASH_VALUE_OFFSET + Bounds.checkIndex(i, HASH_VALUE_LENGTH)));
    }

    public NetifExtraInfo hashValue(int i, int value) {
        buffer.putByte(base + HASH_VALUE_OFFSET + Bounds.checkIndex(i, HASH_VALUE_LENGTH), (byte) value);
        return this;
    }

    /** Zeroes the 8 bytes. */
    public NetifExtraInfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }
}
