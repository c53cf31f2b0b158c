package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GSO rows of {@code parasol bench --net}, in a short mode: netbench's source streams
 * TCP/IPv4 GSO frames of 65226 bytes at MSS 1448 (45 segments of 1514 bytes each) to a sink that
 * takes them whole ({@code gso=1}) or as dom0's segments ({@code gso=0}). The sink counts only
 * what arrived and passed its check: the counts must agree with each other, with the frame's
 * shape, with what the source sent and with what netback delivered. Counts only, never a time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetGsoStreamTest {
    private static final Pattern SINK = Pattern.compile(
            "\\[sink\\] netbench: sink stream frames=(\\d+) ns=\\d+ events=\\d+ segments=(\\d+) gaps=(\\d+) lost=(\\d+) bad=(\\d+)");
    private static final Pattern SOURCE = Pattern.compile("\\[source\\] netbench: result mode=gso size=65226 mss=1448"
            + " frames=(\\d+) segments=(\\d+) bytes=(\\d+) ns=\\d+ sent=(\\d+) notifications=\\d+ gaps=(\\d+) lost=(\\d+) bad=(\\d+)");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "sink gso={0}")
    @ValueSource(ints = {1, 0})
    @DisplayName("the GSO stream's sink counts what arrived: whole 64 KiB frames standing for 45 segments of 1514 bytes"
            + " (feature-gso-tcpv4), or 1514-byte frames cut by dom0 (none); no more than was sent or delivered")
    void shouldCountWhatArrived(int gso) throws IOException {
        Path sink = NetGuestCfg.write(dir, "sink", "netbench", "role=sink mss=1448 gso=" + gso);
        Path source = NetGuestCfg.write(dir, "source", "netbench", "role=source mss=1448 warmup=100 time=300 gap=10");

        RunOutcome o = RunOutcome.of(sink.toString(), source.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[sink] netbench: sink as 00:16:3e:00:01:00 (netfront), 1 queue, split event channels, "
                + (gso == 1 ? "GSO frames whole" : "GSO frames as dom0's segments"))
                .contains("[source] netbench: source as 00:16:3e:00:02:00 (netfront), 1 queue, split event channels,"
                        + " TCP/IPv4 GSO stream of 65226-byte frames at MSS 1448")
                .containsPattern("(?m)^sink\\s+1 poweroff").containsPattern("(?m)^source\\s+2 poweroff");
        Matcher s = SINK.matcher(o.out());
        Matcher r = SOURCE.matcher(o.out());
        assertThat(s.find()).as(o.out()).isTrue();
        assertThat(r.find()).as(o.out()).isTrue();
        long frames = Long.parseLong(r.group(1));
        long segments = Long.parseLong(r.group(2));
        long bytes = Long.parseLong(r.group(3));
        long sent = Long.parseLong(r.group(4));
        long lost = Long.parseLong(r.group(6));
        // what the source reports is the sink's count, carried back in COUNT
        assertThat(new long[] {frames, segments, Long.parseLong(r.group(5)), lost, Long.parseLong(r.group(7))})
                .containsExactly(Long.parseLong(s.group(1)), Long.parseLong(s.group(2)), Long.parseLong(s.group(3)),
                        Long.parseLong(s.group(4)), Long.parseLong(s.group(5)));
        assertThat(Long.parseLong(r.group(7))).as("frames the sink's check refused").isZero();
        assertThat(frames).as("frames received in the window").isPositive();
        assertThat(sent).as("GSO frames sent in the window").isPositive();
        // every segment a 1514-byte frame: 45 of them per whole frame
        assertThat(segments).isEqualTo(gso == 1 ? 45 * frames : frames);
        assertThat(bytes).isEqualTo(1514 * segments);
        assertThat(segments).as("no more than was sent").isLessThanOrEqualTo(45 * sent);
        // a gap skips whole segments (whole frames for a sink that takes them whole)
        assertThat(lost % (gso == 1 ? 45 * 1448 : 1448)).isZero();
        // netback delivered at least what the sink counted, as it says at the close
        Matcher nb = Pattern.compile(gso == 1 ? "netback: vif1\\.0: .*GSO: 0 frames sent, (\\d+) received whole"
                : "netback: vif1\\.0: \\d+ frames sent, (\\d+) received").matcher(o.out());
        assertThat(nb.find()).as(o.out()).isTrue();
        assertThat(Long.parseLong(nb.group(1))).isGreaterThanOrEqualTo(frames);
        // and the source's GSO frames were all taken by dom0, none refused
        assertThat(o.out()).containsPattern("netback: vif2\\.0: .*, 0 refused \\(0 GSO");
    }
}
