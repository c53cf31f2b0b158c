package org.parasol.guest.kernel;

import java.util.Objects;
import java.util.function.Consumer;

import org.parasol.guest.sched.RunLoop;
import org.parasol.guest.xenbus.Xenbus;

/**
 * vCPU hot-plug, the kernel's side of {@code xl vcpu-set} (Linux's
 * {@code drivers/xen/cpu_hotplug.c}): a watch on the domain's own {@code cpu} directory; for
 * each {@code cpu/K/availability} the toolstack writes, vCPU K is brought up ({@code online})
 * or taken down ({@code offline}).
 *
 * <pre>
 *  cpu/K/availability   vCPU K now      vCPU 0 does                         vCPU K does
 *  online               never started   VCPUOP_initialise, VCPUOP_up        boots ({@link SecondaryVcpu}), idles
 *  offline              online          posts "play dead" to K              VCPUOP_down on itself (xen_play_dead)
 *  online               down            VCPUOP_up once VCPUOP_is_up says 0  goes on where it stopped
 * </pre>
 *
 * <p>vCPU 0 is never taken down (Linux's PV guests keep the boot CPU). A vCPU going down does so
 * at a safe point of its own, between two tasks of its run loop, so nothing it was running is
 * cut short; its timers and posted tasks wait for it to come back. While it goes down, vCPU 0
 * polls {@code VCPUOP_is_up} on a run-loop timer (as Linux's {@code xen_cpu_die} polls), never
 * spinning. An availability other than {@code online} or {@code offline}, or a K outside
 * 1..{@value #MAX_VCPUS}-1, is ignored with a console line.
 *
 * <p>Invariants: on vCPU 0's run loop only; the state of each vCPU changes only here and in
 * {@link Kernel#startVcpu}.
 */
public final class VcpuHotplug {
    /** The directory, relative to the domain's home. */
    public static final String CPU = "cpu";
    /** The most vCPUs a PV domain has here (shared_info's legacy vcpu_info slots). */
    public static final int MAX_VCPUS = 32;
    /** First and longest interval of the is-it-down poll, ns. */
    static final long POLL_FIRST_NS = 1_000_000L;
    static final long POLL_MAX_NS = 100_000_000L;

    /** What vCPU 0 does to other vCPUs: the kernel, or a fake in tests. */
    interface Vcpus {
        /** Starts vCPU {@code k} idle ({@link Kernel#startVcpu}); {@code started} runs on vCPU 0 when it is up. */
        void start(int k, Runnable started);

        /** Posts "play dead" to vCPU {@code k}: it calls {@code VCPUOP_down} on itself. */
        void playDead(int k);

        /** {@code VCPUOP_is_up(k)}: 1, 0 or -errno. */
        long isUp(int k);

        /** {@code VCPUOP_up(k)}: 0 or -errno. */
        long up(int k);

        /** Runs {@code action} on vCPU 0's loop after {@code ns}. */
        void after(long ns, Runnable action);
    }

    /** Where each vCPU stands (ints, not an enum: a switch on an enum makes a class of mutable static state). */
    static final int ABSENT = 0;
    static final int STARTING = 1;
    static final int ONLINE = 2;
    static final int GOING_DOWN = 3;
    static final int DOWN = 4;

    private final Xenbus xenbus;
    private final RunLoop loop;
    private final Vcpus vcpus;
    private final Consumer<String> log;
    private final int[] state = new int[MAX_VCPUS];
    private final boolean[] wantOnline = new boolean[MAX_VCPUS];
    private final boolean[] told = new boolean[MAX_VCPUS];
    private final long[] pollNs = new long[MAX_VCPUS];
    private boolean scanning;
    private boolean scanAgain;

    VcpuHotplug(Xenbus xenbus, RunLoop loop, Vcpus vcpus, Consumer<String> log) {
        this.xenbus = xenbus;
        this.loop = Objects.requireNonNull(loop, "loop");
        this.vcpus = Objects.requireNonNull(vcpus, "vcpus");
        this.log = Objects.requireNonNull(log, "log");
        state[0] = ONLINE;
        wantOnline[0] = true;
    }

    /** Registers the watch; its first event scans every vCPU the toolstack listed. */
    void start() {
        xenbus.watch(CPU, path -> fired()).registered().whenDone((v, e) -> {
            if (e != null) {
                log.accept("cpu hotplug: cannot watch " + CPU + " (" + e.getMessage() + ")");
            }
        });
    }

    /** Where vCPU {@code k} stands. */
    int state(int k) {
        return state[k];
    }

    /** vCPUs online (0 included). */
    int online() {
        int n = 0;
        for (int s : state) {
            n += s == ONLINE ? 1 : 0;
        }
        return n;
    }

    /** Any event under {@code cpu}: every vCPU listed is read again (at most 32 reads). */
    void fired() {
        if (scanning) {
            scanAgain = true;
            return;
        }
        scanning = true;
        xenbus.directory(CPU).whenDone((names, e) -> {
            if (e == null) {
                for (String name : names) {
                    readAvailability(name);
                }
            }
            scanning = false;
            if (scanAgain) {
                scanAgain = false;
                fired();
            }
        });
    }

    private void readAvailability(String name) {
        int k = vcpuNumber(name);
        if (k < 0) {
            return;
        }
        xenbus.readOptional(org.parasol.guest.xenbus.XenbusTransaction.NONE, CPU + "/" + k + "/availability").whenDone((v, e) -> {
            if (e == null && v.isPresent()) {
                availability(k, v.get());
            }
        });
    }

    /** The vCPU a child of {@code cpu} names: decimal 0..31, else -1. */
    static int vcpuNumber(String name) {
        long k = name.length() > 2 ? -1 : Xenbus.unsigned(name);
        return k >= 0 && k < MAX_VCPUS ? (int) k : -1;
    }

    /** {@code cpu/K/availability} read as {@code value}. */
    void availability(int k, String value) {
        boolean online;
        if (value.equals("online")) {
            online = true;
        } else if (value.equals("offline")) {
            online = false;
        } else {
            log.accept("cpu hotplug: ignoring vCPU " + k + "'s availability: not online or offline");
            return;
        }
        if (k == 0) {
            if (!online) {
                log.accept("cpu hotplug: vCPU 0 stays online");
            }
            return;
        }
        wantOnline[k] = online;
        reconcile(k);
    }

    /** Moves vCPU {@code k} one step towards what the toolstack asked. */
    private void reconcile(int k) {
        switch (state[k]) {
            case ABSENT -> {
                if (wantOnline[k]) {
                    state[k] = STARTING;
                    vcpus.start(k, () -> {
                        state[k] = ONLINE;
                        say(k, "up");
                        reconcile(k);
                    });
                }
            }
            case STARTING -> {
                // reconciled again once it is up
            }
            case ONLINE -> {
                if (!wantOnline[k]) {
                    state[k] = GOING_DOWN;
                    pollNs[k] = POLL_FIRST_NS;
                    vcpus.playDead(k);
                    pollDown(k);
                }
            }
            case GOING_DOWN -> {
                // pollDown goes on
            }
            case DOWN -> {
                if (wantOnline[k]) {
                    long rc = vcpus.up(k);
                    if (rc < 0) {
                        log.accept("cpu hotplug: VCPUOP_up(" + k + ") failed: " + rc);
                        return;
                    }
                    state[k] = ONLINE;
                    say(k, "up");
                }
            }
        }
    }

    private void pollDown(int k) {
        long up = vcpus.isUp(k);
        if (up == 0) {
            state[k] = DOWN;
            say(k, "down");
            reconcile(k);
            return;
        }
        if (up < 0) {
            log.accept("cpu hotplug: VCPUOP_is_up(" + k + ") failed: " + up);
            state[k] = DOWN;
            return;
        }
        long wait = pollNs[k];
        pollNs[k] = Math.min(POLL_MAX_NS, wait * 2);
        vcpus.after(wait, () -> pollDown(k));
    }

    /** A line for each change but a vCPU's first bring-up (the boot's, which Linux does not announce). */
    private void say(int k, String what) {
        if (told[k] || !what.equals("up")) {
            log.accept("cpu hotplug: vCPU " + k + " " + what);
        }
        told[k] = true;
    }
}
