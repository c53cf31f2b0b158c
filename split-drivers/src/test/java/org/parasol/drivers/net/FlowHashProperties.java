package org.parasol.drivers.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.parasol.hypercall.testing.FlatGuestMemory;

/**
 * The flow hash that picks a frame's queue (netfront on TX, netback on RX): both readings of
 * it agree on any bytes, it reads nothing past the frame, and every frame of one flow (any
 * payload, any fragment of one datagram) goes to the same queue, so a flow keeps its order.
 */
class FlowHashProperties {
    private static final long BASE = 0x10_0000L;

    @Property(tries = 300)
    @Label("the guest's hash of a frame and dom0's hash of the same bytes are the same number")
    void shouldAgreeBetweenSegmentAndGuestMemory(@ForAll("frames") byte[] frame) {
        FlatGuestMemory mem = new FlatGuestMemory(BASE, 8192);
        mem.copyFromSegment(MemorySegment.ofArray(frame), 0, BASE, frame.length);
        assertThat(Vif.flowHash(mem, BASE, frame.length)).isEqualTo(Vif.flowHash(MemorySegment.ofArray(frame), frame.length));
    }

    @Property(tries = 300)
    @Label("bytes past the frame's length never change its hash")
    void shouldReadOnlyTheFrame(@ForAll("frames") byte[] frame, @ForAll @Size(min = 1, max = 64) byte[] junk) {
        byte[] longer = java.util.Arrays.copyOf(frame, frame.length + junk.length);
        System.arraycopy(junk, 0, longer, frame.length, junk.length);
        assertThat(Vif.flowHash(MemorySegment.ofArray(longer), frame.length))
                .isEqualTo(Vif.flowHash(MemorySegment.ofArray(frame), frame.length));
    }

    @Property(tries = 300)
    @Label("UDP frames of one flow hash alike whatever their payload; a later fragment goes where the datagram's other fragments go")
    void shouldKeepAFlowOnOneQueue(@ForAll @Size(min = 8, max = 1472) byte[] payload, @ForAll @Size(min = 8, max = 1472) byte[] other,
            @ForAll @IntRange(min = 1, max = 4) int queues, @ForAll @IntRange(min = 1, max = 0x1FFF) int fragOffset) {
        byte[] a = udp(payload, 0, 0);
        byte[] b = udp(other, 0, 0);
        assertThat(queue(a, queues)).isEqualTo(queue(b, queues));
        byte[] first = udp(payload, 0x20, 0); // more fragments, offset 0
        byte[] later = udp(other, 0, fragOffset);
        assertThat(queue(first, queues)).isEqualTo(queue(later, queues));
    }

    private static int queue(byte[] f, int queues) {
        return Integer.remainderUnsigned(Vif.flowHash(MemorySegment.ofArray(f), f.length), queues);
    }

    /** A UDP/IPv4 frame 10.0.0.2:4000 -> 10.0.0.3:7 with {@code payload}; flags byte and 13-bit fragment offset as given. */
    private static byte[] udp(byte[] payload, int flagBits, int fragOffset) {
        byte[] f = new byte[14 + 20 + 8 + payload.length];
        for (int i = 0; i < 6; i++) {
            f[i] = (byte) (0x10 + i);
            f[6 + i] = (byte) (0x20 + i);
        }
        f[12] = 0x08;
        f[14] = 0x45;
        f[20] = (byte) (flagBits | (fragOffset >> 8));
        f[21] = (byte) fragOffset;
        f[22] = 64;
        f[23] = 17;
        f[24] = (byte) payload.length; // the header checksum: not part of the flow
        f[26] = 10;
        f[29] = 2;
        f[30] = 10;
        f[33] = 3;
        if (fragOffset == 0) {
            f[34] = 0x0F;
            f[35] = (byte) 0xA0;
            f[37] = 7;
        } else {
            System.arraycopy(payload, 0, f, 34, 8); // a later fragment: no UDP header, payload bytes there
        }
        System.arraycopy(payload, 0, f, 42, payload.length);
        return f;
    }

    @Provide
    Arbitrary<byte[]> frames() {
        Arbitrary<byte[]> any = Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(200);
        Arbitrary<byte[]> ipv4 = any.map(b -> {
            byte[] f = java.util.Arrays.copyOf(b, Math.max(b.length, 60));
            f[12] = 0x08;
            f[13] = 0;
            return f;
        });
        return Arbitraries.oneOf(any, ipv4);
    }
}
