package org.parasol.bench;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.parasol.drivers.net.Bridge;
import org.parasol.hypercall.abi.Netif;
import org.parasol.hypercall.testing.FlatGuestMemory;

/**
 * dom0's bridge cutting one TCP/IPv4 GSO frame of 65226 bytes at MSS 1448 (the bench's GSO
 * stream: 45 segments of 1514 bytes) for a port that does not take GSO, on the boot vCPU's
 * lane, then the batch's flush: the frame read, each segment made and written into the
 * segment scratch and handed to the port (which counts it; netback's grant copy out is not
 * in it). The frame comes with its TCP checksum blank (netfront's checksum offload), and the
 * port takes blank checksums ({@code blank=true}: no checksum is computed, as for the bench's
 * GSO (b) sink) or not ({@code blank=false}: each segment's TCP checksum computed). Per frame;
 * {@code -prof gc} shows what it allocates. A plain memory (no MMU): the bridge's own work only.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BridgeGsoBench {
    private static final long BASE = 0x10000;
    private static final int FRAME = 65226;
    private static final int MSS = 1448;

    @Param({"true", "false"})
    public boolean blank;

    private Bridge bridge;
    private final long now = 1;
    private Counting from;
    private Counting to;

    /** A port that takes every frame and counts it; blank checksums as told. */
    static final class Counting implements Bridge.Port {
        final boolean blankOk;
        long frames;

        Counting(boolean blankOk) {
            this.blankOk = blankOk;
        }

        @Override
        public boolean deliver(long va, int length) {
            frames++;
            return true;
        }

        @Override
        public boolean acceptsBlankChecksums() {
            return blankOk;
        }
    }

    /** A flat memory whose copy within itself is one bulk copy, as the hypervisor's view copies frame to frame. */
    static final class Flat extends FlatGuestMemory {
        Flat(long base, int bytes) {
            super(base, bytes);
        }

        @Override
        public void copy(long srcVa, long dstVa, long length) {
            MemorySegment.copy(segment, offset(srcVa, length), segment, offset(dstVa, length), length);
        }
    }

    @Setup
    public void setUp() {
        Flat mem = new Flat(BASE, 1 << 20);
        bridge = new Bridge("xenbr0", mem, () -> now);
        bridge.segmentScratch(BASE + (1 << 19), 16 * 4096);
        from = new Counting(true);
        to = new Counting(blank);
        bridge.attach(from);
        bridge.attach(to);
        mem.putBytes(BASE, tcpFrame());
    }

    /** Ethernet (to an unknown unicast address: flooded to the one other port), IPv4, TCP with 12 bytes of options, payload. */
    private static byte[] tcpFrame() {
        int ihl = 20;
        int thl = 32;
        int total = FRAME - 14;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(FRAME);
        b.put(new byte[] {0x00, 0x16, 0x3e, 0x00, 0x00, 0x02, 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01}).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) 1).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 6).putShort((short) 0).putInt(0x0A000001).putInt(0x0A000002);
        b.putShort((short) 40000).putShort((short) 9).putInt(1).putInt(0).put((byte) (thl / 4 << 4))
                .put((byte) 0x18).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        for (int i = 20; i < thl; i++) {
            b.put((byte) 1);
        }
        for (int i = 14 + ihl + thl; i < FRAME; i++) {
            b.put((byte) i);
        }
        return b.array();
    }

    @Benchmark
    public long cut() {
        bridge.inputGso(from, BASE, FRAME, now, Netif.NETTXF_CSUM_BLANK, MSS);
        bridge.flush();
        return to.frames;
    }
}
