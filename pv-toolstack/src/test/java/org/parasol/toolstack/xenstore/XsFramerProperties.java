package org.parasol.toolstack.xenstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.parasol.hypercall.abi.XsWire;

/** The framer over any cut of the byte stream, and against oversized messages. */
class XsFramerProperties {

    @Provide
    Arbitrary<List<XsMessage>> messages() {
        Arbitrary<XsMessage> m = Combinators.combine(Arbitraries.integers().between(0, 30), Arbitraries.integers(),
                Arbitraries.integers(), Arbitraries.bytes().array(byte[].class).ofMaxSize(XsWire.XENSTORE_PAYLOAD_MAX))
                .as(XsMessage::new);
        return m.list().ofMaxSize(12);
    }

    @Property(tries = 200)
    @Label("messages cut into pieces of any sizes come out whole and in order")
    void shouldReassembleAnyCut(@ForAll("messages") List<XsMessage> sent, @ForAll("cuts") List<Integer> cuts) {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        sent.forEach(m -> stream.writeBytes(m.encode()));
        byte[] bytes = stream.toByteArray();
        XsFramer framer = new XsFramer();
        List<XsMessage> got = new ArrayList<>();
        int at = 0;
        int k = 0;
        while (at < bytes.length) {
            int n = Math.min(bytes.length - at, cuts.isEmpty() ? bytes.length : cuts.get(k++ % cuts.size()));
            assertThat(framer.feed(bytes, at, n, got::add)).isTrue();
            at += n;
        }
        assertThat(got).containsExactlyElementsOf(sent);
        assertThat(framer.midMessage()).isFalse();
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(1, 5000).list().ofMaxSize(20);
    }

    @Property(tries = 50)
    @Label("a header announcing more than 4096 payload bytes breaks the stream for good, as xenstored drops the connection")
    void shouldRefuseOversizedMessages(@ForAll("oversized") int len) {
        byte[] header = new byte[XsWire.HEADER_SIZE];
        header[12] = (byte) len;
        header[13] = (byte) (len >>> 8);
        header[14] = (byte) (len >>> 16);
        header[15] = (byte) (len >>> 24);
        XsFramer framer = new XsFramer();
        List<XsMessage> got = new ArrayList<>();

        assertThat(framer.feed(header, 0, header.length, got::add)).isFalse();
        assertThat(framer.feed(new byte[] {1, 2, 3}, 0, 3, got::add)).isFalse();
        assertThat(got).isEmpty();
    }

    @Provide
    Arbitrary<Integer> oversized() {
        return Arbitraries.oneOf(Arbitraries.integers().between(XsWire.XENSTORE_PAYLOAD_MAX + 1, Integer.MAX_VALUE),
                Arbitraries.integers().between(Integer.MIN_VALUE, -1));
    }
}
