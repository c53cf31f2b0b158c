package org.parasol.drivers.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.parasol.drivers.net.stack.Checksum;
import org.parasol.hypercall.abi.Netif;
import org.parasol.hypercall.testing.FlatGuestMemory;

/**
 * Checksum offload through the bridge: a frame sent {@code NETTXF_csum_blank} reaches a port that
 * takes blank checksums still blank, flagged {@code NETRXF_csum_blank | NETRXF_data_validated};
 * it reaches a port that does not with its TCP or UDP checksum filled in so that it verifies
 * (the guest stack's RFC 1071 sum over the pseudo-header), whatever the front end left in the
 * field; filling in twice changes nothing; what is no whole TCP/UDP packet is never touched.
 */
class ChecksumOffloadProperties {
    private static final long BASE = 0x10000;

    /** A port that records the flags and the frame's bytes as it saw them when it copied (at once). */
    private static final class Port implements Bridge.Port {
        final boolean blankOk;
        final FlatGuestMemory mem;
        final List<byte[]> frames = new ArrayList<>();
        final List<Integer> flags = new ArrayList<>();

        Port(FlatGuestMemory mem, boolean blankOk) {
            this.mem = mem;
            this.blankOk = blankOk;
        }

        @Override
        public boolean deliver(long va, int length) {
            return deliver(va, length, 0);
        }

        @Override
        public boolean deliver(long va, int length, int rxFlags) {
            byte[] b = new byte[length];
            mem.copyToSegment(va, MemorySegment.ofArray(b), 0, length);
            frames.add(b);
            flags.add(rxFlags);
            return true;
        }

        @Override
        public boolean acceptsBlankChecksums() {
            return blankOk;
        }
    }

    @Property(tries = 400)
    @Label("a blank TCP/UDP checksum reaches an offload port blank and flagged, a non-offload port filled in and verifying")
    void shouldFillInForPortsThatCannotTakeItBlank(@ForAll @Size(max = 1400) byte[] payload, @ForAll boolean tcp,
            @ForAll @IntRange(min = 0, max = 0xFFFF) int leftInField, @ForAll @IntRange(min = 0, max = 3) int padding,
            @ForAll boolean offloadFirst) {
        FlatGuestMemory mem = new FlatGuestMemory(BASE, 1 << 13);
        Bridge bridge = new Bridge("xenbr0", mem, () -> 0);
        Port from = new Port(mem, true);
        Port offload = new Port(mem, true);
        Port plain = new Port(mem, false);
        bridge.attach(from);
        bridge.attach(offloadFirst ? offload : plain);
        bridge.attach(offloadFirst ? plain : offload);
        byte[] f = packet(payload, tcp, leftInField, padding);
        mem.copyFromSegment(MemorySegment.ofArray(f), 0, BASE, f.length);

        bridge.input(from, BASE, f.length, 0, Netif.NETTXF_CSUM_BLANK); // broadcast: flooded to both

        assertThat(plain.flags).containsExactly(Netif.NETRXF_DATA_VALIDATED);
        assertThat(verifies(plain.frames.get(0), tcp)).isTrue();
        int checksumAt = 14 + 20 + (tcp ? 16 : 6);
        if (!tcp) {
            assertThat(plain.frames.get(0)[checksumAt] | plain.frames.get(0)[checksumAt + 1]).isNotZero();
        }
        if (offloadFirst) { // still blank when it was delivered: told so
            assertThat(offload.flags).containsExactly(Netif.NETRXF_CSUM_BLANK | Netif.NETRXF_DATA_VALIDATED);
            assertThat(offload.frames.get(0)).isEqualTo(f);
        } else { // filled in before: it is whole
            assertThat(offload.flags).containsExactly(Netif.NETRXF_DATA_VALIDATED);
            assertThat(offload.frames.get(0)).isEqualTo(plain.frames.get(0));
        }
        assertThat(bridge.checksumsCompleted()).isEqualTo(1);
        // Filling in again (another bridge, another hop) changes nothing.
        byte[] once = plain.frames.get(0);
        mem.copyFromSegment(MemorySegment.ofArray(once), 0, BASE, once.length);
        assertThat(FrameChecksum.complete(mem, BASE, once.length)).isTrue();
        byte[] twice = new byte[once.length];
        mem.copyToSegment(BASE, MemorySegment.ofArray(twice), 0, twice.length);
        assertThat(twice).isEqualTo(once);
    }

    @Property(tries = 300)
    @Label("a frame that is no whole IPv4 TCP/UDP packet (a fragment, another protocol, a length past the frame) is never changed")
    void shouldLeaveOtherFramesAlone(@ForAll @Size(min = 8, max = 600) byte[] payload, @ForAll @IntRange(min = 0, max = 3) int lie) {
        FlatGuestMemory mem = new FlatGuestMemory(BASE, 1 << 13);
        byte[] f = packet(payload, false, 0, 0);
        switch (lie) {
            case 0 -> f[20] = 0x20; // more fragments
            case 1 -> f[23] = 1; // ICMP
            case 2 -> f[16] = (byte) 0xFF; // total length past the frame
            default -> f[14] = 0x65; // version 6
        }
        mem.copyFromSegment(MemorySegment.ofArray(f), 0, BASE, f.length);
        assertThat(FrameChecksum.fieldOffset(mem, BASE, f.length)).isEqualTo(-1);
        assertThat(FrameChecksum.complete(mem, BASE, f.length)).isFalse();
        byte[] after = new byte[f.length];
        mem.copyToSegment(BASE, MemorySegment.ofArray(after), 0, after.length);
        assertThat(after).isEqualTo(f);
    }

    /** A broadcast IPv4 frame 10.0.0.2 -> 10.0.0.3 with a TCP or UDP segment of {@code payload}, {@code padding} bytes after it. */
    private static byte[] packet(byte[] payload, boolean tcp, int field, int padding) {
        int l4 = (tcp ? 20 : 8) + payload.length;
        byte[] f = new byte[14 + 20 + l4 + padding];
        for (int i = 0; i < 6; i++) {
            f[i] = (byte) 0xFF;
            f[6 + i] = (byte) (0x20 + i);
        }
        f[12] = 0x08;
        f[14] = 0x45;
        f[16] = (byte) ((20 + l4) >> 8);
        f[17] = (byte) (20 + l4);
        f[22] = 64;
        f[23] = (byte) (tcp ? 6 : 17);
        f[26] = 10;
        f[29] = 2;
        f[30] = 10;
        f[33] = 3;
        f[34] = 0x0F;
        f[35] = (byte) 0xA0;
        f[37] = 7;
        if (tcp) {
            f[34 + 12] = 0x50; // data offset 5
            f[34 + 16] = (byte) (field >> 8);
            f[34 + 17] = (byte) field;
        } else {
            f[38] = (byte) (l4 >> 8);
            f[39] = (byte) l4;
            f[40] = (byte) (field >> 8);
            f[41] = (byte) field;
        }
        System.arraycopy(payload, 0, f, 34 + (tcp ? 20 : 8), payload.length);
        return f;
    }

    /** The guest stack's own check: the sum over the pseudo-header and the segment, checksum in place, is 0. */
    private static boolean verifies(byte[] f, boolean tcp) {
        int l4 = ((f[16] & 0xFF) << 8 | (f[17] & 0xFF)) - 20;
        int src = (f[26] & 0xFF) << 24 | (f[27] & 0xFF) << 16 | (f[28] & 0xFF) << 8 | (f[29] & 0xFF);
        int dst = (f[30] & 0xFF) << 24 | (f[31] & 0xFF) << 16 | (f[32] & 0xFF) << 8 | (f[33] & 0xFF);
        return Checksum.finish(Checksum.add(Checksum.pseudoHeader(src, dst, tcp ? 6 : 17, l4), f, 34, l4)) == 0;
    }
}
