package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link BlkCrashTest} cannot see: a SIGKILL leaves the host kernel's page cache
 * intact, so it cannot tell {@code force(true)} from no force at all. Here the host's
 * system calls are traced ({@code strace -f}, a real tool, installed by {@code .ci/run}) while
 * the blkcrash guest writes and flushes generations, and the trace must show, for every
 * {@code flushed generation G} line the guest printed: every {@code pwrite64} or {@code pwritev} of generations
 * up to {@code G} on the image returned, then an {@code fsync} of the image began and
 * returned, and only then the console line was written. A back end that answered a flush
 * before forcing the file, forced it before writing, or never forced it, fails this.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BlkFlushOrderTest {
    private static final int ROUNDS = 12;
    private static final int BATCH = 4;
    /** "PCRASH1\0", the magic every blkcrash block starts with, as strace -xx prints it. */
    private static final String MAGIC = "\\x50\\x43\\x52\\x41\\x53\\x48\\x31\\x00";

    /** {@code PID  name(args...) = ret}, {@code PID  name(args <unfinished ...>} or {@code PID  <... name resumed>...}. */
    private static final Pattern CALL = Pattern.compile("^(\\d+)\\s+(\\w+)\\((.*)$");
    private static final Pattern RESUMED = Pattern.compile("^(\\d+)\\s+<\\.\\.\\. (\\w+) resumed>(.*)$");
    private static final Pattern FIRST_ARG = Pattern.compile("^(\\d+)\\b");
    private static final Pattern HEX = Pattern.compile("\\\\x([0-9a-f]{2})");
    private static final Pattern FLUSHED = Pattern.compile("blkcrash: flushed generation (\\d+)");

    @TempDir
    Path dir;

    private static String decode(String quoted) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Matcher m = HEX.matcher(quoted);
        while (m.find()) {
            b.write(Integer.parseInt(m.group(1), 16));
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** The generation a blkcrash block names: its third little-endian word (bytes 16..23). */
    private static long generation(String args) {
        int q = args.indexOf('"');
        String data = args.substring(q + 1, q + 1 + 24 * 4);
        long g = 0;
        for (int i = 7; i >= 0; i--) {
            g = (g << 8) | Integer.parseInt(data.substring((16 + i) * 4 + 2, (16 + i) * 4 + 4), 16);
        }
        return g;
    }

    /** The blkcrash blocks a write's data starts (one per iovec, or one for pwrite64). */
    private static int blocks(String args) {
        int n = 0;
        for (int at = args.indexOf("\"" + MAGIC); at >= 0; at = args.indexOf("\"" + MAGIC, at + 1)) {
            n++;
        }
        return n;
    }

    /** A system call's entry with its arguments, waiting for its exit. */
    private record Entry(String name, String args, long coveredAtEntry) {
    }

    @Test
    @DisplayName("strace of a blkcrash run: each flushed line comes after an fsync of the image that began after that "
            + "generation's pwrite64s returned")
    void shouldForceTheImageBeforeAnsweringAFlush() throws Exception {
        Path cfg = dir.resolve("order.cfg");
        Files.writeString(cfg, "name = 'order'\nkernel = 'blkcrash'\nmemory = 16\ncmdline = 'batch=" + BATCH + " rounds="
                + ROUNDS + "'\ndisk = [ 'format=raw, vdev=xvda, access=rw, size=1M, target=order.img' ]\n");
        Path trace = dir.resolve("trace.txt");
        List<String> cmd = new ArrayList<>(List.of("strace", "-f", "-qq", "-xx", "-s", "8192", "--seccomp-bpf",
                "-e", "trace=pwrite64,pwritev,write,fsync,fdatasync", "-e", "signal=none", "-o", trace.toString()));
        // Without the hypervisor's io_uring: a batch's writes then go by pwritev, whose data the
        // trace shows (an io_uring write's data is in shared memory, out of strace's sight). That
        // a batch completes before the flush that follows it is sent is GrantIoBatch*'s and
        // BlkBackQueue's (flushBatch before any flush), and BlkCrashTest runs with io_uring.
        cmd.addAll(LauncherJvm.command(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dparasol.uring=false"),
                "run", "--timeout", "120",
                "--xenstored-socket", dir.resolve("xs").toString(), cfg.toString()));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("strace is needed (.ci/run installs it): " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(150, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("[order] blkcrash: flushed generation " + ROUNDS + "\n");

        int imageFd = -1;
        Map<Long, Integer> written = new HashMap<>(); // generation -> pwrite64s returned
        long coveredByWrites = 0; // every generation up to this has all its blocks written
        long durable = 0; // every generation up to this was covered when an fsync of the image began, and it returned
        Map<String, Entry> open = new HashMap<>();
        List<Long> flushedLines = new ArrayList<>();
        int fsyncs = 0;
        for (String line : Files.readAllLines(trace, StandardCharsets.ISO_8859_1)) {
            String pid;
            String name;
            String args;
            boolean entry;
            boolean exit;
            Matcher r = RESUMED.matcher(line);
            Matcher c = CALL.matcher(line);
            if (r.matches()) {
                pid = r.group(1);
                Entry e = open.remove(pid);
                if (e == null) {
                    continue;
                }
                name = e.name();
                args = e.args();
                entry = false;
                exit = true;
                if (name.equals("fsync") || name.equals("fdatasync")) {
                    durable = Math.max(durable, e.coveredAtEntry());
                    fsyncs++;
                    continue;
                }
            } else if (c.matches()) {
                pid = c.group(1);
                name = c.group(2);
                args = c.group(3);
                entry = true;
                exit = !args.endsWith("<unfinished ...>");
                if (!exit) {
                    open.put(pid, new Entry(name, args, coveredByWrites));
                }
            } else {
                continue;
            }
            Matcher fd = FIRST_ARG.matcher(args);
            int n = fd.find() ? Integer.parseInt(fd.group(1)) : -1;
            switch (name) {
                case "pwrite64", "pwritev" -> {
                    // pwritev: blkback's grant I/O on the hypervisor's descriptor, blocks as iovecs
                    if (exit && args.contains("\"" + MAGIC)) {
                        imageFd = n;
                        written.merge(generation(args), blocks(args), Integer::sum);
                        while (written.getOrDefault(coveredByWrites + 1, 0) >= BATCH) {
                            coveredByWrites++;
                        }
                    }
                }
                case "fsync", "fdatasync" -> {
                    if (entry && exit && n == imageFd) {
                        durable = Math.max(durable, coveredByWrites);
                        fsyncs++;
                    } else if (!exit && n != imageFd) {
                        open.remove(pid);
                    }
                }
                case "write" -> {
                    if (entry && n == 1) {
                        Matcher m = FLUSHED.matcher(decode(args));
                        while (m.find()) {
                            long g = Long.parseLong(m.group(1));
                            assertThat(g).as("generation %d said flushed only after an fsync of the image covering it "
                                    + "returned (fsyncs so far cover generations up to %d); at %s", g, durable, line)
                                    .isLessThanOrEqualTo(durable);
                            flushedLines.add(g);
                        }
                    }
                }
                default -> {
                }
            }
        }
        assertThat(imageFd).as("pwrite64s of blkcrash blocks in the trace").isNotNegative();
        assertThat(flushedLines).as("every flushed line in the trace").hasSize(ROUNDS);
        assertThat(fsyncs).as("an fsync of the image per flush").isGreaterThanOrEqualTo(ROUNDS);
    }
}
