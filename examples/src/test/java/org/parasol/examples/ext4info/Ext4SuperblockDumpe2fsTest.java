package org.parasol.examples.ext4info;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The decoder against e2fsprogs itself: the real {@code mkfs.ext4} writes an image, the real
 * {@code dumpe2fs -h} reads it, and {@link Ext4Superblock} decodes bytes 1024..2047 of the same
 * file; every value dumpe2fs prints for a field the decoder has must agree. The tools come
 * from e2fsprogs, which {@code .ci/run} installs; without them this test fails (it never skips).
 */
class Ext4SuperblockDumpe2fsTest {
    private static final long TOOL_TIMEOUT_SECONDS = 30;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} MiB, mkfs.ext4 {1}")
    @CsvSource(delimiter = '|', value = {
        "8   | -b 1024",
        "64  | ''",
        "64  | -O ^64bit,^metadata_csum",
        "32  | -b 2048 -O 64bit",
        "256 | -b 4096 -I 128 -O ^has_journal,^64bit,^huge_file",
        "16  | -b 1024 -O quota,project,large_dir,metadata_csum_seed,orphan_file,^resize_inode",
    })
    void shouldAgreeWithDumpe2fs(int mebibytes, String options) throws Exception {
        Path image = dir.resolve("disk.img");
        try (FileChannel f = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            f.truncate(0);
            f.write(ByteBuffer.wrap(new byte[] {0}), (long) mebibytes * 1024 * 1024 - 1); // sparse, full size
        }
        List<String> mkfs = new ArrayList<>(List.of(tool("mkfs.ext4"), "-q", "-F", "-L", "parasol"));
        if (!options.isBlank()) {
            mkfs.addAll(Arrays.asList(options.trim().split("\\s+")));
        }
        mkfs.add(image.toString());
        run(mkfs, true);

        Map<String, String> dump = dumpe2fs(image, false);
        Ext4Superblock sb = Ext4Superblock.decode(superblockOf(image));

        assertThat(dump.get("Filesystem magic number")).isEqualTo("0xEF53");
        assertThat(sb.volumeName()).isEqualTo(dump.get("Filesystem volume name")).isEqualTo("parasol");
        assertThat(sb.uuid()).isEqualTo(dump.get("Filesystem UUID"));
        assertThat(sb.blockSize()).isEqualTo(Integer.parseInt(dump.get("Block size")));
        assertThat(sb.blocksCount()).isEqualTo(Long.parseLong(dump.get("Block count")))
                .isEqualTo((long) mebibytes * 1024 * 1024 / sb.blockSize());
        assertThat(sb.reservedBlocksCount()).isEqualTo(Long.parseLong(dump.get("Reserved block count")));
        assertThat(sb.freeBlocksCount()).isEqualTo(Long.parseLong(dump.get("Free blocks")));
        assertThat(sb.inodesCount()).isEqualTo(Long.parseLong(dump.get("Inode count")));
        assertThat(sb.freeInodesCount()).isEqualTo(Long.parseLong(dump.get("Free inodes")));
        assertThat(sb.firstDataBlock()).isEqualTo(Long.parseLong(dump.get("First block")));
        assertThat(sb.blocksPerGroup()).isEqualTo(Long.parseLong(dump.get("Blocks per group")));
        assertThat(sb.inodesPerGroup()).isEqualTo(Long.parseLong(dump.get("Inodes per group")));
        assertThat(sb.inodeSize()).isEqualTo(Integer.parseInt(dump.get("Inode size")));
        assertThat(dump.get("Filesystem revision #")).startsWith(sb.revisionLevel() + " ");
        assertThat(String.join(" ", sb.featureNames())).isEqualTo(dump.get("Filesystem features"));
        assertThat(sb.is64Bit()).isEqualTo(sb.featureNames().contains("64bit"));
        assertThat(sb.describe().get(0)).isEqualTo("ext4info: label parasol, block size " + dump.get("Block size")
                + ", blocks " + dump.get("Block count"));
    }

    /**
     * Every feature bit's name, as dumpe2fs prints it: an image without checksums (so dumpe2fs
     * still opens it) gets all 32 bits of one feature word set by hand, and {@code dumpe2fs -f -h}
     * lists them. Incompat's 64bit bit changes how the group descriptors are read, so it stays
     * clear here; the mkfs cases above cover it.
     */
    @Test
    @DisplayName("every bit of the three feature words has dumpe2fs's name, FEATURE_<w><n> for unnamed ones")
    void shouldNameEveryFeatureBitAsDumpe2fsDoes() throws Exception {
        Path base = dir.resolve("base.img");
        try (RandomAccessFile f = new RandomAccessFile(base.toFile(), "rw")) {
            f.setLength(8L << 20);
        }
        run(List.of(tool("mkfs.ext4"), "-q", "-F", "-L", "parasol", "-O", "^metadata_csum,^64bit", base.toString()),
                true);

        long[][] words = {
            {Ext4Superblock.FEATURE_COMPAT_OFFSET, 0xFFFF_FFFFL},
            {Ext4Superblock.FEATURE_INCOMPAT_OFFSET, 0xFFFF_FFFFL & ~Ext4Superblock.INCOMPAT_64BIT},
            {Ext4Superblock.FEATURE_RO_COMPAT_OFFSET, 0xFFFF_FFFFL},
        };
        int named = 0;
        for (long[] word : words) {
            Path forged = dir.resolve("forged-" + word[0] + ".img");
            Files.copy(base, forged);
            try (FileChannel f = FileChannel.open(forged, StandardOpenOption.WRITE)) {
                ByteBuffer value = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) word[1]);
                f.write(value, Ext4Superblock.DEVICE_OFFSET + word[0]);
            }

            // A forged image may make dumpe2fs exit non-zero (journal_dev, a checksum it now expects):
            // it still prints the superblock, which is what is compared.
            Map<String, String> dump = dumpe2fs(forged, true);
            List<String> names = Ext4Superblock.decode(superblockOf(forged)).featureNames();

            assertThat(String.join(" ", names)).as("features with word @%d = 0x%x", word[0], word[1])
                    .isEqualTo(dump.get("Filesystem features"));
            named += (int) names.stream().filter(n -> !n.startsWith("FEATURE_")).count();
        }
        assertThat(named).as("features e2fsprogs has names for, beyond the image's own").isGreaterThan(40);
    }

    @Test
    @DisplayName("a missing tool fails the test with what to install, rather than skipping it")
    void shouldFailSayingToInstallE2fsprogsWhenAToolIsMissing() {
        assertThatThrownBy(() -> tool("mkfs.no-such-ext4-tool"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("mkfs.no-such-ext4-tool").hasMessageContaining("install e2fsprogs");
    }

    /** Bytes 1024..2047 of the image, read from the file itself. */
    private static MemorySegment superblockOf(Path image) throws IOException {
        try (FileChannel f = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(Ext4Superblock.SIZE);
            while (buf.hasRemaining()) {
                if (f.read(buf, Ext4Superblock.DEVICE_OFFSET + buf.position()) < 0) {
                    fail("%s ends before its superblock", image);
                }
            }
            return MemorySegment.ofArray(buf.array());
        }
    }

    /** {@code dumpe2fs -h} of the image as "field: value" pairs (values trimmed), in order. */
    private Map<String, String> dumpe2fs(Path image, boolean forged) throws Exception {
        List<String> command = new ArrayList<>(List.of(tool("dumpe2fs"), "-h"));
        if (forged) {
            command.add("-f");
        }
        command.add(image.toString());
        String out = run(command, !forged);
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        assertThat(fields).as("dumpe2fs -h %s printed:%n%s", image, out)
                .containsKeys("Filesystem volume name", "Filesystem UUID", "Block size", "Block count",
                        "Filesystem features");
        return fields;
    }

    /**
     * Runs a command with a bounded wait, its standard output and error to a file (no pipe to
     * fill); fails on a timeout, or on a non-zero exit when {@code mustSucceed}. Returns stdout.
     */
    private String run(List<String> command, boolean mustSucceed) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            fail("%s did not finish within %d s", command, TOOL_TIMEOUT_SECONDS);
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        if (mustSucceed && p.exitValue() != 0) {
            fail("%s exited with %d:%n%s%s", command, p.exitValue(), stdout, Files.readString(err, StandardCharsets.UTF_8));
        }
        return stdout;
    }

    /**
     * The e2fsprogs tool {@code name}: on PATH, or in /usr/sbin or /sbin (not on a non-root
     * user's PATH everywhere). Fails the test, never skips it, when it is nowhere.
     */
    static String tool(String name) {
        List<Path> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(java.io.File.pathSeparator)) {
                if (!d.isEmpty()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        dirs.add(Path.of("/usr/sbin"));
        dirs.add(Path.of("/sbin"));
        for (Path d : dirs) {
            Path candidate = d.resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail("%s not found on PATH (%s) nor in /usr/sbin or /sbin: install e2fsprogs "
                + "(apt-get install e2fsprogs; .ci/run does this in CI)", name, path);
    }
}
