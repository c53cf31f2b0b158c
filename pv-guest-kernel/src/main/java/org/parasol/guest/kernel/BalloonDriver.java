package org.parasol.guest.kernel;

import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.parasol.guest.mm.Balloon;
import org.parasol.guest.sched.RunLoop;
import org.parasol.guest.xenbus.Xenbus;

/**
 * The balloon's xenbus side (Linux's {@code xen-balloon.c} and {@code balloon_process}): a watch
 * on the domain's own {@code memory/target} (KiB); each value read sets the {@link Balloon}'s
 * target, and the balloon works towards it one batch per run-loop task.
 *
 * <pre>
 *  xl mem-set d 64m  -- write "65536" --&gt;  memory/target  --watch--&gt;  read, parse
 *                                                                    balloon.setTarget(16384 pages)
 *                                                                    task: step(); step(); ...
 *  getdomaininfo's tot_pages follows  &lt;-- decrease_reservation / populate_physmap
 * </pre>
 *
 * <p>The node is the toolstack's; the kernel only reads it ({@code memory/target} stays the
 * request, as in Xen; what the balloon reached is {@link Balloon#currentPages}, which Linux
 * shows in sysfs, not in the store, and the kernel says on its console when it gets there or
 * stops short). A value that is not a decimal number of KiB is ignored with a console line,
 * as Linux's {@code watch_target} ignores what {@code sscanf} cannot read. A batch that moves
 * nothing (the host has no memory left, max_pages is reached, the kernel has no free page above
 * the floor) is retried on a timer that backs off from {@value #RETRY_FIRST_NS} ns to
 * {@value #RETRY_MAX_NS} ns, as Linux's balloon worker does; a new target retries at once.
 *
 * <p>Invariants: on vCPU 0's run loop only; nothing here blocks; at most one batch task or one
 * retry timer is pending at a time.
 */
public final class BalloonDriver {
    /** The node, relative to the domain's home. */
    public static final String MEMORY_TARGET = "memory/target";
    /** The first retry after a batch that moved nothing, ns. */
    static final long RETRY_FIRST_NS = 100_000_000L;
    /** The longest retry interval, ns (Linux: 32 s). */
    static final long RETRY_MAX_NS = 32_000_000_000L;
    /** Longest value quoted on the console. */
    static final int QUOTE_MAX = 32;

    private final Xenbus xenbus;
    private final RunLoop loop;
    private final Balloon balloon;
    private final LongSupplier now;
    private final Consumer<String> log;
    private boolean scheduled;
    private long retryNs = RETRY_FIRST_NS;
    private org.parasol.guest.sched.Timer retry;
    private boolean reading;
    private boolean readAgain;
    /** The last state said on the console, so it is said once per target. */
    private long saidFor = -1;

    /** A driver for {@code balloon} over {@code xenbus}, on {@code loop}. */
    public BalloonDriver(Xenbus xenbus, RunLoop loop, Balloon balloon, LongSupplier now, Consumer<String> log) {
        this.xenbus = Objects.requireNonNull(xenbus, "xenbus");
        this.loop = Objects.requireNonNull(loop, "loop");
        this.balloon = Objects.requireNonNull(balloon, "balloon");
        this.now = Objects.requireNonNull(now, "now");
        this.log = Objects.requireNonNull(log, "log");
    }

    /** Registers the watch (its first event reads the target the toolstack wrote at build). */
    public void start() {
        xenbus.watch(MEMORY_TARGET, path -> fired()).registered().whenDone((v, e) -> {
            if (e != null) {
                log.accept("balloon: cannot watch " + MEMORY_TARGET + " (" + e.getMessage() + ")");
            }
        });
    }

    /** The balloon. */
    public Balloon balloon() {
        return balloon;
    }

    void fired() {
        if (reading) {
            readAgain = true;
            return;
        }
        reading = true;
        xenbus.readOptional(org.parasol.guest.xenbus.XenbusTransaction.NONE, MEMORY_TARGET).whenDone((value, e) -> {
            reading = false;
            if (e == null && value.isPresent()) {
                target(value.get());
            }
            if (readAgain) {
                readAgain = false;
                fired();
            }
        });
    }

    /** A value of the node: a new target, or a console line saying it is not one. */
    void target(String value) {
        long kib = parseKiB(value);
        if (kib < 0) {
            log.accept("balloon: ignoring memory/target '" + quote(value) + "': not a number of KiB");
            return;
        }
        long pages = Math.min(kib / 4, balloon.currentPages() + balloon.balloonedPages());
        if (pages == balloon.targetPages() && !balloon.wantsWork()) {
            return;
        }
        balloon.setTarget(pages);
        saidFor = -1;
        retryNs = RETRY_FIRST_NS;
        if (retry != null) {
            retry.cancel();
            retry = null;
        }
        schedule();
    }

    /** Decimal KiB, at most 2^40 (a PiB): what Xen's toolstack writes; -1 for anything else. */
    static long parseKiB(String s) {
        long v = Xenbus.unsigned(s);
        return v > 1L << 40 ? -1 : v;
    }

    private void schedule() {
        if (!scheduled && retry == null) {
            scheduled = true;
            loop.execute(this::work);
        }
    }

    private void work() {
        scheduled = false;
        int moved = balloon.step();
        if (balloon.currentPages() == balloon.targetPages()) {
            say("balloon: at " + balloon.currentPages() * 4 + " KiB, the target");
            return;
        }
        if (moved > 0) {
            schedule();
            return;
        }
        say("balloon: at " + balloon.currentPages() * 4 + " KiB, short of the target " + balloon.targetPages() * 4
                + " KiB (" + (balloon.currentPages() < balloon.targetPages() ? "the hypervisor gives no more pages"
                        : "no free page left to give back") + "); trying again");
        retry = loop.at(now.getAsLong() + retryNs, () -> {
            retry = null;
            schedule();
        });
        retryNs = Math.min(RETRY_MAX_NS, retryNs * 2);
    }

    private void say(String line) {
        if (saidFor != balloon.targetPages()) {
            saidFor = balloon.targetPages();
            log.accept(line);
        }
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < QUOTE_MAX; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f && c != '\'' ? c : '?');
        }
        return s.length() > QUOTE_MAX ? sb + "..." : sb.toString();
    }
}
