package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real tool writes the bytes, the guest reads them through the split driver: the host's
 * {@code mkfs.ext4 -L parasol} makes a file system in an image, the ext4info guest reads its
 * superblock through blkfront and dom0's blkback, and what it prints must match
 * {@code dumpe2fs -h} of the same image. e2fsprogs must be installed ({@code .ci/run} does it):
 * without it the test fails, never skips.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Ext4InfoRunTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} MiB, block size {1}")
    @CsvSource({"8, 1024", "32, 4096"})
    @DisplayName("ext4info prints the label, block size and block count dumpe2fs reads from the same image")
    void shouldMatchDumpe2fs(int mib, int blockSize) throws Exception {
        Path image = dir.resolve("fs.img");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength((long) mib << 20);
        }
        run(List.of(tool("mkfs.ext4"), "-q", "-F", "-L", "parasol", "-b", Integer.toString(blockSize),
                image.toString()));
        String dump = run(List.of(tool("dumpe2fs"), "-h", image.toString()));
        Path cfg = dir.resolve("ext4info.cfg");
        Files.writeString(cfg, "name='ext4info'\nkernel='ext4info'\nmemory=8\n"
                + "disk=[ 'format=raw, vdev=xvda, access=ro, target=" + image + "' ]\n");

        RunOutcome o = RunOutcome.of(cfg.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[ext4info] ext4info: label " + field(dump, "Filesystem volume name") + ", block size "
                + field(dump, "Block size") + ", blocks " + field(dump, "Block count"));
        assertThat(field(dump, "Filesystem volume name")).isEqualTo("parasol");
        assertThat(field(dump, "Block size")).isEqualTo(Integer.toString(blockSize));
        assertThat(o.out()).contains("ext4info: uuid " + field(dump, "Filesystem UUID"));
    }

    private static String field(String dump, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + ":\\s*(.*?)\\s*$").matcher(dump);
        if (!m.find()) {
            return fail("dumpe2fs printed no '%s':%n%s", name, dump);
        }
        return m.group(1);
    }

    private String run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return fail("%s did not finish within 30 s", command);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            return fail("%s exited with %d:%n%s", command, p.exitValue(), text);
        }
        return text;
    }

    /** An e2fsprogs tool on PATH or in /usr/sbin, /sbin; fails (never skips) when missing. */
    private static String tool(String name) {
        List<Path> dirs = new ArrayList<>();
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty()) {
                dirs.add(Path.of(d));
            }
        }
        dirs.add(Path.of("/usr/sbin"));
        dirs.add(Path.of("/sbin"));
        for (Path d : dirs) {
            if (Files.isExecutable(d.resolve(name))) {
                return d.resolve(name).toString();
            }
        }
        return fail("%s not found: install e2fsprogs (.ci/run does this in CI)", name);
    }
}
