package org.parasol.hypercall.x86;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decoder against the host's disassembler: thousands of random instructions of the subset
 * are written with {@link Encoder}, disassembled by GNU objdump, and decoded here; every
 * instruction must start at the same offset and read the same. {@code objdump} comes with
 * binutils, which {@code .ci/run} installs when it is missing: this test fails without it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ObjdumpCrossCheckTest {
    private static final int COUNT = 4000;
    /** "  1f:\t66 9c                \tpushfw" (a long instruction continues on lines without text). */
    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\t([0-9a-f ]+?)\\s*\\t(.*)$");

    @TempDir
    Path dir;

    @Test
    @DisplayName("random instructions of the subset read the same here and in objdump -M intel, at the same offsets")
    void shouldAgreeWithObjdump() throws IOException, InterruptedException {
        Random r = new Random(20261204);
        byte[] code = new byte[COUNT * Decoder.MAX_LENGTH];
        int size = 0;
        for (int i = 0; i < COUNT; i++) {
            size += RandomInstructions.write(r, code, size);
        }
        Path bin = dir.resolve("code.bin");
        Files.write(bin, java.util.Arrays.copyOf(code, size));

        List<String> objdump = objdump(bin);

        Decoder d = new Decoder();
        Instruction in = new Instruction();
        List<String> ours = new ArrayList<>();
        for (int off = 0; off < size; ) {
            int n = d.decode(code, off, size - off, in);
            assertThat(n).as("decoding at 0x%x", off).isPositive();
            ours.add(Integer.toHexString(off) + ": " + in.toIntelSyntax());
            off += n;
        }
        assertThat(ours).hasSize(COUNT);
        for (int i = 0; i < COUNT; i++) {
            assertThat(ours.get(i)).as("instruction %d", i).isEqualTo(objdump.get(i));
        }
    }

    /** objdump's reading of the raw bytes: "offset: text", whitespace collapsed, comments dropped. */
    private static List<String> objdump(Path bin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel",
                bin.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<String> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                String text = m.group(3).replaceAll("\\s+#.*$", "").strip().replaceAll("\\s+", " ");
                lines.add(m.group(1) + ": " + text);
            }
        }
        return lines;
    }
}
