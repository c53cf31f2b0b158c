package org.parasol.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The store figures' table from what the domains print (lines in xenstore-bench's and dom0's
 * formats, written here): the rows, the aggregate over the guests' windows and the ratios. The
 * boots themselves run in {@code parasol bench --store}; {@code XenstoreBenchTest} (parasol-cli)
 * runs the image and dom0's baseline.
 */
class StoreFiguresTest {

    private static String phase(String op, int depth, long requests, long start, long end) {
        double ns = end - start;
        return String.format(java.util.Locale.ROOT, "xenstore-bench: %s, %d in flight: %d requests in %.1f ms, %d req/s"
                + " (system time %d to %d ns)", op, depth, requests, ns / 1e6, Math.round(requests * 1e9 / ns), start, end);
    }

    private static List<String> fourPhases(long perPhase) {
        List<String> lines = new ArrayList<>();
        lines.add("xenstore-bench: d1, phases of 1000 ms from 3000 ms");
        long t = 3_000_000_000L;
        for (String op : List.of("read", "write")) {
            for (int depth : List.of(1, 16)) {
                lines.add(phase(op, depth, depth * perPhase, t, t + 1_000_000_000L));
                t += 1_000_000_000L;
            }
        }
        return lines;
    }

    @Test
    @DisplayName("each phase of one guest and of sixteen beside dom0's baseline, the aggregate over the common windows, "
            + "and the watch latencies")
    void shouldTabulateTheBootsFigures() {
        StoreFigures.Boot baseline = new StoreFigures.Boot(List.of("dom0: xenstored up: 8 nodes",
                "dom0: store baseline, no ring: read: 200000 requests in 200.0 ms, 1000000 req/s",
                "dom0: store baseline, no ring: write: 200000 requests in 400.0 ms, 500000 req/s"), Map.of());
        StoreFigures.Boot alone = new StoreFigures.Boot(List.of(), Map.of(1, fourPhases(20_000)));
        Map<Integer, List<String>> two = new TreeMap<>();
        two.put(1, List.of("xenstore-bench: wrote 2000 stamps, watched by d2"));
        two.put(2, List.of("xenstore-bench: watch events from d1: 2000 in 180.5 ms, p50 40.0 us, p99 140.2 us, "
                + "max 900.1 us, min 20.3 us"));
        StoreFigures.Boot pair = new StoreFigures.Boot(List.of(), two);
        Map<Integer, List<String>> sixteen = new TreeMap<>();
        for (int d = 1; d <= 16; d++) {
            List<String> lines = new ArrayList<>(fourPhases(5_000));
            if (d % 2 == 0) {
                lines.add("xenstore-bench: watch events from d" + (d - 1) + ": 2000 in 300.0 ms, p50 " + (80 + d)
                        + ".0 us, p99 " + (1000 + d) + ".0 us, max 5000.0 us, min 30.0 us");
            }
            sixteen.put(d, lines);
        }
        StoreFigures.Boot many = new StoreFigures.Boot(List.of(), sixteen);

        String table = StoreFigures.table(new StoreFigures.Sizes(2_000, 2_000, 3_000, 1_000), baseline, alone, pair, many);

        assertThat(table).contains("1000 ms per phase from 3000 ms after boot, 2000 watch rounds; dom0's baseline 2000 ms per phase");
        // 20 000 reads in 1 s alone: 50 us each against dom0's 1 us, 50x.
        assertThat(table).containsPattern("read, 1 guest, 1 in flight +20000 +50\\.00 +dom0 read, no ring +1000000 +1\\.000 +50\\.0x");
        assertThat(table).containsPattern("write, 1 guest, 16 in flight +320000 +3\\.13 +dom0 write, no ring +500000 +2\\.000 +1\\.56x");
        // Sixteen guests of 80 000 reads each in the same second: 1.28 M/s, 0.78 us a request.
        assertThat(table).containsPattern("read, 16 guests at once, 16 in flight +1280000 +0\\.78 +dom0 read, no ring");
        assertThat(table).contains("(guest rates 80000..80000 req/s; window starts spread over 0.0 ms)");
        assertThat(table).containsPattern("1 pair alone \\(d1 -> d2\\) +40\\.0 +140\\.2 +900\\.1 +2000");
        assertThat(table).containsPattern("8 pairs of 16 guests at once \\(range\\) +82-96 +1002-1016 +5000-5000 +16000");
    }
}
