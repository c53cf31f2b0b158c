package org.parasol.examples.pingpong;

import static org.assertj.core.api.Assertions.assertThat;
import org.parasol.hypercall.SegmentBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** {@code struct pingpong_msg} on the wire: golden bytes, and any bytes decode. */
class PingpongCodecTest {
    private final PingpongCodec codec = new PingpongCodec();

    @Test
    void shouldLayOutOpIdAndStampLittleEndianInSixteenBytes() {
        MemorySegment dst = Arena.ofAuto().allocate(PingpongCodec.SIZE);

        codec.encode(new PingpongMessage().set(0x0A0B0C02, 0x01020304, 0x1122334455667788L), new SegmentBuffer(dst));

        assertThat(codec.byteSize()).isEqualTo(16);
        assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).containsExactly(
                0x02, 0x0C, 0x0B, 0x0A,
                0x04, 0x03, 0x02, 0x01,
                (byte) 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
    }

    @Property
    void shouldDecodeWhatItEncodes(@ForAll int op, @ForAll int id, @ForAll long stamp) {
        MemorySegment slot = Arena.ofAuto().allocate(PingpongCodec.SIZE);
        PingpongMessage out = new PingpongMessage();

        codec.encode(new PingpongMessage().set(op, id, stamp), new SegmentBuffer(slot));
        codec.decode(new SegmentBuffer(slot), out);

        assertThat(out.op()).isEqualTo(op);
        assertThat(out.id()).isEqualTo(id);
        assertThat(out.stamp()).isEqualTo(stamp);
    }

    @Test
    void shouldAnswerWithTheRequestsFields() {
        PingpongMessage request = new PingpongMessage().set(PingpongMessage.OP_PING, 41, 123_456L);

        PingpongMessage answer = new PingpongMessage().answer(request);

        assertThat(answer.toString()).isEqualTo(request.toString()).isEqualTo("pingpong_msg[op=1 id=41 stamp=123456]");
    }
}
