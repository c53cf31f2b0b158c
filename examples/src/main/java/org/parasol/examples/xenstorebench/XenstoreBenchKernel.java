package org.parasol.examples.xenstorebench;

import java.time.Duration;
import java.util.List;

import org.parasol.examples.stats.LatencySummary;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.Timer;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.guest.xenbus.XenbusTransaction;
import org.parasol.guest.xenbus.XenbusWatch;

/**
 * xenstore-bench: measures, inside a guest, what the store costs over the domain's ring: how
 * many requests per second its xenbus client gets answered, and how long a watch event takes
 * from a write in one domain to the event in another. {@code ./parasol bench} runs it alone,
 * in pairs and sixteen at once beside dom0's ring-less baseline and prints the figures side by
 * side (issue 12, {@code docs/results.md}); on its own, {@code ./parasol run xenstore-bench
 * --domains 2} prints each guest's figures.
 *
 * <p><b>Throughput</b> ({@code requests=<n>}, 0 to skip): the domain writes a node it owns,
 * {@code data/xsbench/node}, then times four phases of {@code n} requests each, after a
 * quarter as many untimed to warm up: {@code XS_READ} of the node with one request in flight
 * (each sent when the previous answer arrived) and with {@link Xenbus#MAX_IN_FLIGHT} (the
 * client's whole pipeline: a new request as each answer arrives), then {@code XS_WRITE} of the
 * same 16-byte value the same two ways. Each phase prints its rate and its start and end on the
 * hypervisor's clock (system time, the same in every domain), so a reader of several domains'
 * lines can tell how far their phases overlapped.
 *
 * <p>With {@code start=<ms> phase=<ms>} the phases are windows of the hypervisor's clock
 * instead, the same for every domain of a run: reads warm up until {@code start}, then each
 * phase lasts {@code phase} ms, back to back, and counts the answers that arrive inside it.
 * Guests that dom0 built one after another then measure the same span, so their counts add up
 * to the store's aggregate rate ({@code parasol bench --store} runs sixteen so).
 *
 * <p><b>Watch latency</b> ({@code rounds=<n>}, 0 to skip): domains pair up by domain id, each
 * odd {@code d} with {@code d + 1}, as dom0 numbers the domains of a run in the order it builds
 * them. Nothing else in the store tells one guest of another: dom0 makes every
 * {@code /local/domain/<id>} readable by its own domain only. So each side opens one node of
 * its own {@code data/} to its peer with {@code XS_SET_PERMS} ({@code n<self> r<peer>}: owned
 * by the domain, readable by the peer) and watches the peer's.
 * <pre>
 *  writer d (odd)                                   watcher d+1
 *  data/xsbench/stamp "0 0", perms n&lt;d&gt; r&lt;d+1&gt;         watch /local/domain/&lt;d&gt;/data/xsbench/stamp
 *  watch /local/domain/&lt;d+1&gt;/data/xsbench/ack        data/xsbench/ack "0", perms n&lt;d+1&gt; r&lt;d&gt;
 *  ack event, reads "0": stamp "1 &lt;now&gt;"  ─────────►  event: t = now; reads "1 &lt;stamp&gt;";
 *                                                       latency t - stamp; ack "1"
 *  ack event, reads "1": stamp "2 &lt;now&gt;"  ─────────►  ...
 * </pre>
 * The writer writes the next stamp only once the watcher acknowledged the last, so exactly one
 * write is in flight and each event the watcher sees belongs to the stamp it then reads (a
 * reply comes after the events xenstored queued before it, and the event's task runs before
 * the reply's). Events that carry no new stamp (the watch's initial one, the permission change)
 * are read and passed over. The watcher prints p50 and p99 and leaves after its last
 * acknowledgement; the writer may find the node gone by then (dom0 removes a reaped domain's
 * paths), which after the last stamp it takes as that acknowledgement. A domain whose peer
 * has not shown itself within {@link #PEER_WAIT} (an odd domain last in its run) says so and
 * skips the phase.
 *
 * <p>Expected console output for {@code requests=10000 rounds=1000}, two domains (figures
 * vary):
 * <pre>
 * [xenstore-bench-1] xenstore-bench: d1, 10000 requests per phase
 * [xenstore-bench-2] xenstore-bench: d2, 10000 requests per phase
 * (the two domains' lines interleave)
 * [xenstore-bench-1] xenstore-bench: read, 1 in flight: 10000 requests in 812.4 ms, 12309 req/s (system time 61234567 to 62046967 ns)
 * [xenstore-bench-1] xenstore-bench: read, 16 in flight: 10000 requests in 301.2 ms, 33200 req/s (system time ...)
 * [xenstore-bench-1] xenstore-bench: write, 1 in flight: ...
 * [xenstore-bench-1] xenstore-bench: write, 16 in flight: ...
 * [xenstore-bench-1] xenstore-bench: wrote 1000 stamps, watched by d2
 * [xenstore-bench-2] xenstore-bench: watch events from d1: 1000 in 201.3 ms, p50 61.0 us, p99 210.3 us, max 1520.7 us, min 21.4 us
 * [xenstore-bench-1] xenstore-bench: done
 * </pre>
 */
public final class XenstoreBenchKernel extends ApplicationKernel {
    private static final String TAG = "xenstore-bench: ";
    /**
     * How long a domain waits for its peer to show itself before it skips the latency phase:
     * long enough for a peer still in its counted throughput phases (sixteen guests' phases
     * end seconds apart), short enough that an odd domain last in its run is not waited for long.
     */
    static final Duration PEER_WAIT = Duration.ofSeconds(10);
    /** The node the throughput phases read and write, in the domain's own {@code data/}. */
    private static final String NODE = "data/xsbench/node";
    /** What the write phases write: 16 bytes, about what a front end writes (a ring-ref, a state). */
    private static final String VALUE = "0123456789abcdef";
    /** The writer's stamp node and the watcher's acknowledgement node, each in its own domain's {@code data/}. */
    private static final String STAMP = "data/xsbench/stamp";
    private static final String ACK = "data/xsbench/ack";

    private Kernel k;
    private Xenbus xb;
    private int domid;

    /** The kernel class an image names needs a public no-argument constructor. */
    public XenstoreBenchKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        XenstoreBenchOptions options = XenstoreBenchOptions.parse(k.commandLine());
        this.xb = k.xenbus();
        return xb.read("domid").then(id -> {
            domid = Integer.parseInt(id);
            k.println(TAG + "d" + domid + ", " + (options.windowed() ? "phases of " + options.phaseMs() + " ms from "
                    + options.startMs() + " ms" : options.requests() + " requests per phase"));
            if (options.windowed()) {
                return windows(options.startMs() * 1_000_000, options.phaseMs() * 1_000_000);
            }
            return options.requests() == 0 ? k.loop().<Void>completed(null) : throughput(options.requests());
        }).then(v -> options.rounds() == 0 ? k.loop().<Void>completed(null) : latency(options.rounds()))
                .then(v -> xb.rm("data/xsbench")).map(v -> {
                    k.println(TAG + "done");
                    return v;
                });
    }

    // ---------------------------------------------------------------- throughput

    /** The four phases, one after the other. */
    private Promise<Void> throughput(int requests) {
        return xb.write(NODE, VALUE)
                .then(v -> phase(false, 1, requests))
                .then(v -> phase(false, Xenbus.MAX_IN_FLIGHT, requests))
                .then(v -> phase(true, 1, requests))
                .then(v -> phase(true, Xenbus.MAX_IN_FLIGHT, requests));
    }

    /** A quarter of {@code requests} untimed, then {@code requests} timed; prints the rate. */
    private Promise<Void> phase(boolean write, int depth, int requests) {
        return run(write, depth, Math.max(1, requests / 4)).then(warm -> {
            long start = k.now();
            return run(write, depth, requests).map(end -> {
                long ns = end - start;
                k.println(String.format("%s%s, %d in flight: %d requests in %.1f ms, %d req/s (system time %d to %d ns)",
                        TAG, write ? "write" : "read", depth, requests, ns / 1e6,
                        Math.round(requests * 1e9 / Math.max(1, ns)), start, end));
                return null;
            });
        });
    }

    /**
     * The four phases as windows of the hypervisor's clock, the same for every domain of the
     * run: reads of the whole pipeline warm up until {@code start}, then each phase runs from
     * {@code start + i * phase} to the next and counts the answers that arrive inside it. A
     * domain that boots after {@code start} says so, and its late windows print as the shorter
     * spans they were.
     */
    private Promise<Void> windows(long start, long phase) {
        return xb.write(NODE, VALUE).then(v -> {
            if (k.now() < start) {
                return runUntil(false, Xenbus.MAX_IN_FLIGHT, start);
            }
            k.println(TAG + "booted after start=" + start / 1_000_000 + " ms; no warm-up, and late windows");
            return k.loop().completed(0);
        }).then(v -> window(false, 1, start, start + phase))
                .then(v -> window(false, Xenbus.MAX_IN_FLIGHT, start + phase, start + 2 * phase))
                .then(v -> window(true, 1, start + 2 * phase, start + 3 * phase))
                .then(v -> window(true, Xenbus.MAX_IN_FLIGHT, start + 3 * phase, start + 4 * phase));
    }

    /** One timed window from {@code from} (or now, if later) to {@code to}; prints its rate as {@link #phase} does. */
    private Promise<Void> window(boolean write, int depth, long from, long to) {
        long wait = from - k.now();
        Promise<Long> begin = wait > 0 ? k.sleep(Duration.ofNanos(wait)) : k.loop().completed(k.now());
        return begin.then(woke -> {
            long start = Math.max(from, k.now());
            return runUntil(write, depth, to).map(answered -> {
                long ns = to - start;
                k.println(String.format("%s%s, %d in flight: %d requests in %.1f ms, %d req/s (system time %d to %d ns)",
                        TAG, write ? "write" : "read", depth, answered, ns / 1e6,
                        Math.round(answered * 1e9 / Math.max(1, ns)), start, to));
                return null;
            });
        });
    }

    /**
     * Reads or writes of {@link #NODE} with {@code depth} in flight until system time
     * {@code end}: each answer that arrives before {@code end} is counted and sends the next
     * request. Completes, with the count, when the last request in flight was answered.
     */
    private Promise<Integer> runUntil(boolean write, int depth, long end) {
        Promise<Integer> done = k.loop().promise();
        int[] inFlight = {0};
        int[] answered = {0};
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
            inFlight[0]++;
            Promise<?> request = write ? xb.write(NODE, VALUE) : xb.read(NODE);
            request.whenDone((v, failure) -> {
                inFlight[0]--;
                if (failure != null) {
                    done.fail(failure);
                } else if (k.now() < end) {
                    answered[0]++;
                    next[0].run();
                } else if (inFlight[0] == 0) {
                    done.complete(answered[0]);
                }
            });
        };
        for (int i = 0; i < depth; i++) {
            next[0].run();
        }
        return done;
    }

    /**
     * {@code n} reads or writes of {@link #NODE} with at most {@code depth} in flight: the
     * first {@code depth} go at once, and each answer sends the next. Completes with the
     * system time at which the last answer arrived.
     */
    private Promise<Long> run(boolean write, int depth, int n) {
        Promise<Long> done = k.loop().promise();
        int[] issued = {0};
        int[] answered = {0};
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
            issued[0]++;
            Promise<?> request = write ? xb.write(NODE, VALUE) : xb.read(NODE);
            request.whenDone((v, failure) -> {
                if (failure != null) {
                    done.fail(failure);
                    return;
                }
                if (++answered[0] == n) {
                    done.complete(k.now());
                } else if (issued[0] < n) {
                    next[0].run();
                }
            });
        };
        for (int i = 0; i < Math.min(depth, n); i++) {
            next[0].run();
        }
        return done;
    }

    // ---------------------------------------------------------------- watch latency

    private Promise<Void> latency(int rounds) {
        boolean writer = (domid & 1) == 1;
        int peer = writer ? domid + 1 : domid - 1;
        return writer ? new Writer(peer, rounds).start() : new Watcher(peer, rounds).start();
    }

    /** A node of this domain's {@code data/} written with {@code value} and opened to {@code peer} for reading. */
    private Promise<Void> publish(String node, String value, int peer) {
        return xb.write(node, value).then(v -> xb.setPerms(XenbusTransaction.NONE, node, List.of("n" + domid, "r" + peer)));
    }

    /** The writer's side: a stamp, then waits for the watcher's acknowledgement, {@code rounds} times. */
    private final class Writer {
        private final int peer;
        private final int rounds;
        private final String ackPath;
        private final Promise<Void> done = k.loop().promise();
        private XenbusWatch watch;
        private Timer noPeer;
        /** The last stamp written; the watcher acknowledges each before the next. */
        private int sent;

        Writer(int peer, int rounds) {
            this.peer = peer;
            this.rounds = rounds;
            this.ackPath = "/local/domain/" + peer + "/" + ACK;
        }

        Promise<Void> start() {
            noPeer = k.after(PEER_WAIT, () -> {
                k.println(TAG + "no watcher d" + peer + " within " + PEER_WAIT.toSeconds() + " s; no watch latency");
                finish();
            });
            return publish(STAMP, "0 0", peer).then(v -> {
                watch = xb.watch(ackPath, path -> acknowledged());
                return watch.registered();
            }).then(v -> done);
        }

        /**
         * The peer's ack node changed, or the watch fired at once: read it; it may not be there
         * or ours to read yet. After the last stamp, a node that has gone means the watcher
         * acknowledged it and left: it leaves only after its last acknowledgement, and dom0
         * removes a domain's paths when it reaps it, maybe before this read.
         */
        private void acknowledged() {
            xb.read(ackPath).whenDone((value, failure) -> {
                if (done.isDone()) {
                    return;
                }
                boolean last = sent == rounds && (failure != null || parseSeq(value) == sent);
                if (!last && (failure != null || parseSeq(value) != sent)) {
                    return;
                }
                noPeer.cancel();
                if (last) {
                    k.println(TAG + "wrote " + rounds + " stamps, watched by d" + peer);
                    finish();
                    return;
                }
                sent++;
                xb.write(STAMP, sent + " " + k.now()).whenDone((v, e) -> {
                    if (e != null) {
                        done.fail(e);
                    }
                });
            });
        }

        private void finish() {
            if (watch != null) {
                watch.unwatch();
            }
            done.complete(null);
        }
    }

    /** The watcher's side: the time of each event on the peer's stamp, less the stamp. */
    private final class Watcher {
        private final int peer;
        private final int rounds;
        private final String stampPath;
        private final long[] latencies;
        private final Promise<Void> done = k.loop().promise();
        private XenbusWatch watch;
        private Timer noPeer;
        private long firstEvent;
        /** When the latest event reached this domain's application. */
        private long lastEvent;
        private int got;

        Watcher(int peer, int rounds) {
            this.peer = peer;
            this.rounds = rounds;
            this.stampPath = "/local/domain/" + peer + "/" + STAMP;
            this.latencies = new long[rounds];
        }

        Promise<Void> start() {
            noPeer = k.after(PEER_WAIT, () -> {
                k.println(TAG + "no writer d" + peer + " within " + PEER_WAIT.toSeconds() + " s; no watch latency");
                finish();
            });
            watch = xb.watch(stampPath, path -> fired());
            return watch.registered().then(v -> publish(ACK, "0", peer)).then(v -> done);
        }

        private void fired() {
            lastEvent = k.now();
            xb.read(stampPath).whenDone((value, failure) -> {
                if (failure != null || done.isDone()) {
                    return;
                }
                int seq = parseSeq(value);
                if (seq != got + 1) {
                    return; // the initial event, the permission change, or a stamp already counted
                }
                noPeer.cancel();
                if (got == 0) {
                    firstEvent = lastEvent;
                }
                latencies[got++] = lastEvent - Long.parseLong(value.substring(value.indexOf(' ') + 1));
                xb.write(ACK, Integer.toString(got)).whenDone((v, e) -> {
                    if (e != null) {
                        done.fail(e);
                    } else if (got == rounds) {
                        LatencySummary s = LatencySummary.of(latencies, got);
                        k.println(String.format("%swatch events from d%d: %d in %.1f ms, %s, min %.1f us", TAG, peer,
                                got, (lastEvent - firstEvent) / 1e6, s.percentiles(), s.min() / 1e3));
                        finish();
                    }
                });
            });
        }

        private void finish() {
            watch.unwatch();
            done.complete(null);
        }
    }

    /** The sequence number before the space of a stamp or an acknowledgement, or -1. */
    private static int parseSeq(String value) {
        int space = value.indexOf(' ');
        String seq = space < 0 ? value : value.substring(0, space);
        if (seq.isEmpty() || seq.length() > 9) {
            return -1;
        }
        for (int i = 0; i < seq.length(); i++) {
            if (seq.charAt(i) < '0' || seq.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(seq);
    }
}
