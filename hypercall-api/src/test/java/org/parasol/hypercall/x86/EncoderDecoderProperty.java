package org.parasol.hypercall.x86;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The decoder against the encoder and against hostile bytes: every encoded instruction decodes
 * to its own length and operands whatever follows it; any bytes at all decode to a length of
 * at most 15 within what was given, or to #UD, TRUNCATED or #GP, and nothing is thrown.
 */
class EncoderDecoderProperty {

    @Property(tries = 2000)
    @Label("an encoded instruction decodes to its length and the same reading whatever bytes follow it; each strict prefix of it is TRUNCATED")
    void shouldDecodeWhatTheEncoderWrote(@ForAll long seed, @ForAll byte filler) {
        Random r = new Random(seed);
        byte[] buf = new byte[32];
        java.util.Arrays.fill(buf, filler);
        int n = RandomInstructions.write(r, buf, 0);
        Decoder d = new Decoder();
        Instruction in = new Instruction();

        assertThat(d.decode(buf, 0, buf.length, in)).as(hex(buf, n)).isEqualTo(n);
        assertThat(in.opcode()).isNotNull();
        String text = in.toIntelSyntax();
        assertThat(d.decode(buf, 0, n, in)).as("exactly its own bytes").isEqualTo(n);
        assertThat(in.toIntelSyntax()).isEqualTo(text);
        for (int k = 0; k < n; k++) {
            assertThat(d.decode(buf, 0, k, in)).as("the first %d of %d bytes of %s", k, n, text).isEqualTo(Decoder.TRUNCATED);
        }
    }

    @Property(tries = 5000)
    @Label("hostile bytes: a length within what was given and at most 15, or #UD, TRUNCATED or #GP; never an exception")
    void shouldNeverThrowOnHostileBytes(@ForAll("code") byte[] code, @ForAll("offsets") int offset) {
        Decoder d = new Decoder();
        Instruction in = new Instruction();
        int off = Math.min(offset, code.length);

        int n = d.decode(code, off, code.length - off, in);

        if (n > 0) {
            assertThat(n).isLessThanOrEqualTo(Math.min(Decoder.MAX_LENGTH, code.length - off));
            assertThat(in.opcode()).isNotNull();
            assertThat(in.toIntelSyntax()).isNotBlank();
        } else {
            assertThat(n).isIn(Decoder.UD, Decoder.TRUNCATED, Decoder.GP);
            assertThat(in.opcode()).isNull();
        }
        assertThat(d.decode(code, off, code.length - off + 100, in)).as("a count past the array is clamped").isEqualTo(n);
    }

    @Provide
    Arbitrary<byte[]> code() {
        // Bytes biased towards prefixes and the opcodes of the subset, so that deep paths are reached.
        Arbitrary<Byte> interesting = Arbitraries.of((byte) 0x66, (byte) 0x67, (byte) 0xF0, (byte) 0xF2, (byte) 0xF3,
                (byte) 0x64, (byte) 0x48, (byte) 0x4F, (byte) 0x41, (byte) 0x0F, (byte) 0x01, (byte) 0x20, (byte) 0x22,
                (byte) 0x89, (byte) 0x8B, (byte) 0xC7, (byte) 0xC6, (byte) 0xB1, (byte) 0xE4, (byte) 0x6D, (byte) 0x24,
                (byte) 0x25, (byte) 0x05, (byte) 0x44, (byte) 0x84);
        Arbitrary<Byte> any = Arbitraries.bytes();
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, interesting), net.jqwik.api.Tuple.of(1, any))
                .array(byte[].class).ofMinSize(0).ofMaxSize(24);
    }

    @Provide
    Arbitrary<Integer> offsets() {
        return Arbitraries.integers().between(0, 4);
    }

    static String hex(byte[] b, int n) {
        return java.util.HexFormat.ofDelimiter(" ").formatHex(b, 0, n);
    }
}
