package org.parasol.examples.blkbench;

import java.util.ArrayList;
import java.util.List;

import org.parasol.drivers.blk.Vbd;
import org.parasol.guest.kernel.CommandLine;

/**
 * The blkbench kernel's command line ({@link CommandLine}: {@code key=value} words separated by
 * blanks; a word it does not know is refused, naming it).
 *
 * <pre>
 *  mode=M          read (sequential), write (sequential), randread or randwrite (default randread)
 *  bs=N            bytes per I/O: a multiple of 512 up to 4 MiB; a K or M suffix multiplies by
 *                  1024 or 1048576 (default 4096)
 *  qd=N            I/Os in flight, 1..256 (default 1)
 *  runs=LIST       instead of mode/bs/qd: several tests one after the other on the same
 *                  connection, comma-separated MODE/BS/QD triples (randread/4K/32,read/64K/8)
 *  queues=N        queues asked for (default 1)
 *  order=N         ring page order asked for (default 0)
 *  persistent=0|1  ask for persistent grants (default 1)
 *  indirect=0|1    ask for indirect descriptors (default 1)
 *  register=0|1    register the I/O buffers with blkfront (BlkFront.register: granted once,
 *                  no grant or copy per request) when they fit its limit (default 0)
 *  warmup=MS       untimed I/O before each test's timed phase (default 200)
 *  time=MS         the timed phase's length (default 1000); 0: bounded by bytes= alone
 *  bytes=N         end the timed phase after this many bytes (K/M/G suffixes; default 0: no bound)
 *  gap=MS          idle time before and after each timed phase (default 20), in which the host
 *                  may read the domains' counters
 *  seed=N          the random pattern's seed (default 1)
 * </pre>
 *
 * @param tests      the tests, in order
 * @param queues     queues asked for
 * @param order      ring page order asked for
 * @param persistent whether persistent grants are asked for
 * @param indirect   whether indirect descriptors are asked for
 * @param register   whether the I/O buffers are registered with blkfront
 * @param warmupMs   untimed milliseconds before each timed phase
 * @param timeMs     the timed phase's milliseconds, or 0 for a phase bounded by bytes alone
 * @param maxBytes   bytes after which a timed phase ends, or 0 for none
 * @param gapMs      idle milliseconds around each timed phase
 * @param seed       the random offsets' seed
 */
record BlkBenchOptions(List<Test> tests, int queues, int order, boolean persistent, boolean indirect, boolean register,
        long warmupMs,
        long timeMs, long maxBytes, long gapMs, long seed) {

    /** The largest request size: 4 MiB. */
    static final long MAX_BS = 4L << 20;
    /** The most I/Os in flight. */
    static final int MAX_QD = 256;
    /** The longest warm-up, timed phase or gap: ten minutes. */
    static final long MAX_MS = 600_000;

    /** One test: a pattern, a request size and a queue depth. */
    record Test(String mode, int bs, int qd) {
        Test {
            if (!List.of("read", "write", "randread", "randwrite").contains(mode)) {
                throw new IllegalArgumentException("mode must be read, write, randread or randwrite: '" + mode + "'");
            }
            if (bs < 512 || bs > MAX_BS || bs % 512 != 0) {
                throw new IllegalArgumentException("bs must be a multiple of 512 from 512 to 4M: " + bs);
            }
            if (qd < 1 || qd > MAX_QD) {
                throw new IllegalArgumentException("qd must be 1.." + MAX_QD + ": " + qd);
            }
        }

        boolean random() {
            return mode.startsWith("rand");
        }

        boolean write() {
            return mode.endsWith("write");
        }
    }

    BlkBenchOptions {
        tests = List.copyOf(tests);
        if (tests.isEmpty()) {
            throw new IllegalArgumentException("no test");
        }
        if (timeMs == 0 && maxBytes == 0) {
            throw new IllegalArgumentException("time=0 needs bytes=N to end the timed phase");
        }
    }

    /** The values as the words set them, before they are checked together. */
    private static final class Words {
        String mode = "randread";
        long bs = 4096;
        long qd = 1;
        List<Test> runs;
        int queues = 1;
        int order;
        boolean persistent = true;
        boolean indirect = true;
        boolean register;
        long warmup = 200;
        long time = 1000;
        long bytes;
        long gap = 20;
        long seed = 1;
    }

    /**
     * Parses {@code cmdline} ({@link CommandLine}: a word it does not know is refused, naming it).
     *
     * @throws IllegalArgumentException naming the word at fault
     */
    static BlkBenchOptions parse(String cmdline) {
        Words w = new Words();
        new CommandLine("blkbench")
                .string("mode", v -> w.mode = v)
                .string("bs", v -> w.bs = size("bs", v, MAX_BS))
                .number("qd", 1, MAX_QD, v -> w.qd = v)
                .string("runs", v -> w.runs = runs(v))
                .number("queues", 1, Vbd.MAX_QUEUES, v -> w.queues = (int) v)
                .number("order", 0, Vbd.MAX_RING_PAGE_ORDER_VALUE, v -> w.order = (int) v)
                .number("persistent", 0, 1, v -> w.persistent = v == 1)
                .number("indirect", 0, 1, v -> w.indirect = v == 1)
                .number("register", 0, 1, v -> w.register = v == 1)
                .number("warmup", 0, MAX_MS, v -> w.warmup = v)
                .number("time", 0, MAX_MS, v -> w.time = v)
                .string("bytes", v -> w.bytes = size("bytes", v, Long.MAX_VALUE / 2))
                .number("gap", 0, MAX_MS, v -> w.gap = v)
                .number("seed", 0, Long.MAX_VALUE, v -> w.seed = v)
                .parse(cmdline);
        List<Test> tests = w.runs != null ? w.runs : List.of(new Test(w.mode, (int) w.bs, (int) w.qd));
        return new BlkBenchOptions(tests, w.queues, w.order, w.persistent, w.indirect, w.register, w.warmup, w.time, w.bytes,
                w.gap, w.seed);
    }

    /** {@code MODE/BS/QD[,MODE/BS/QD...]}. */
    private static List<Test> runs(String v) {
        List<Test> out = new ArrayList<>();
        for (String t : v.split(",")) {
            String[] p = t.split("/");
            if (p.length != 3) {
                throw new CommandLine.BadParameter("runs: '" + t + "' is not MODE/BS/QD");
            }
            out.add(new Test(p[0], (int) size("bs", p[1], MAX_BS), (int) CommandLine.decimal("qd", p[2], 1, MAX_QD)));
        }
        return out;
    }

    /** A byte count with an optional K, M or G suffix (powers of 1024). */
    static long size(String key, String v, long max) {
        long unit = 1;
        String digits = v;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'K', 'k' -> unit = 1L << 10;
                case 'M', 'm' -> unit = 1L << 20;
                case 'G', 'g' -> unit = 1L << 30;
                default -> unit = 1;
            }
            if (unit != 1) {
                digits = v.substring(0, v.length() - 1);
            }
        }
        long n = CommandLine.decimal(key, digits, 0, max / unit);
        return n * unit;
    }
}
