package org.parasol.cli.host;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.parasol.control.v1.DomainStatistics;

/**
 * The disk and vif counters of every domain, as dom0's back ends keep them: the host asks dom0
 * ({@code xl devstat}, one line per device) at most once a {@link #MAX_AGE_NANOS period}, on
 * the toolstack's thread, and keeps the last answer for the statistics that {@code top} reads.
 * xentop reads the same counters from dom0's sysfs and {@code /proc/net/dev}; Parasol's back
 * ends live in dom0's image, so dom0 is asked.
 *
 * <pre>
 *  dom0: devstat d5 vbd 51712 oo=0 rd=12 wr=3 f=1 ds=0 rsect=96 wsect=24
 *  dom0: devstat d5 vif 0 tx_bytes=1514 tx_packets=1 tx_errors=0 rx_bytes=98 rx_packets=1 rx_dropped=0
 * </pre>
 *
 * <p>A line that does not read as one of these is skipped: dom0's answer is not trusted to be
 * well formed (a number too large for a long is skipped too).
 */
final class DeviceCounters {
    /** How old a sample may be before a statistics stream asks dom0 again. */
    static final long MAX_AGE_NANOS = 1_000_000_000L;

    /** One domain's devices summed: the VBD and NET columns. */
    record Sums(int vbds, long oo, long rd, long wr, long rsect, long wsect, int vifs, long txBytes, long txPackets,
            long rxBytes, long rxPackets) {
        static final Sums NONE = new Sums(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        Sums plusVbd(Map<String, Long> v) {
            return new Sums(vbds + 1, oo + v.getOrDefault("oo", 0L), rd + v.getOrDefault("rd", 0L),
                    wr + v.getOrDefault("wr", 0L), rsect + v.getOrDefault("rsect", 0L),
                    wsect + v.getOrDefault("wsect", 0L), vifs, txBytes, txPackets, rxBytes, rxPackets);
        }

        Sums plusVif(Map<String, Long> v) {
            return new Sums(vbds, oo, rd, wr, rsect, wsect, vifs + 1, txBytes + v.getOrDefault("tx_bytes", 0L),
                    txPackets + v.getOrDefault("tx_packets", 0L), rxBytes + v.getOrDefault("rx_bytes", 0L),
                    rxPackets + v.getOrDefault("rx_packets", 0L));
        }

        DomainStatistics.Builder into(DomainStatistics.Builder b) {
            return b.setVbds(vbds).setVbdOo(oo).setVbdRd(rd).setVbdWr(wr).setVbdRsect(rsect).setVbdWsect(wsect)
                    .setVifs(vifs).setNetTxBytes(txBytes).setNetTxPackets(txPackets).setNetRxBytes(rxBytes)
                    .setNetRxPackets(rxPackets);
        }
    }

    /** One answer of dom0's: the sums by domid, and the system time it was read at. */
    record Sample(long at, Map<Integer, Sums> byDomain) {
        static final Sample NONE = new Sample(0, Map.of());

        Sums of(int domid) {
            return byDomain.getOrDefault(domid, Sums.NONE);
        }
    }

    /** What dom0 prints before each device's line. */
    static final String PREFIX = "dom0: devstat ";

    private volatile Sample last = Sample.NONE;

    Sample last() {
        return last;
    }

    /** Whether the last sample is older than {@link #MAX_AGE_NANOS} at system time {@code now}. */
    boolean stale(long now) {
        Sample s = last;
        return s.at() == 0 || now - s.at() > MAX_AGE_NANOS;
    }

    /** Keeps dom0's answer {@code lines}, read at system time {@code at}. */
    void update(long at, List<String> lines) {
        last = new Sample(at, parse(lines));
    }

    /** dom0's devstat lines summed by domain; what does not parse is left out. */
    static Map<Integer, Sums> parse(List<String> lines) {
        Map<Integer, Sums> out = new HashMap<>();
        for (String line : lines) {
            if (!line.startsWith(PREFIX)) {
                continue;
            }
            String[] w = line.substring(PREFIX.length()).split(" ");
            if (w.length < 4 || !w[0].matches("d[0-9]{1,5}") || !w[2].matches("[0-9]{1,10}")) {
                continue;
            }
            Map<String, Long> values = new HashMap<>();
            boolean ok = true;
            for (int i = 3; i < w.length && ok; i++) {
                int eq = w[i].indexOf('=');
                ok = eq > 0 && w[i].substring(eq + 1).matches("[0-9]{1,18}");
                if (ok) {
                    values.put(w[i].substring(0, eq), Long.parseLong(w[i].substring(eq + 1)));
                }
            }
            if (!ok) {
                continue;
            }
            int domid = Integer.parseInt(w[0].substring(1));
            Sums s = out.getOrDefault(domid, Sums.NONE);
            switch (w[1]) {
                case "vbd" -> out.put(domid, s.plusVbd(values));
                case "vif" -> out.put(domid, s.plusVif(values));
                default -> {
                }
            }
        }
        return out;
    }
}
