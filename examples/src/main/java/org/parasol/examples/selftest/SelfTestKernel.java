package org.parasol.examples.selftest;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantMapException;
import org.parasol.guest.grant.GrantMapping;
import org.parasol.guest.grant.GrantedPage;
import org.parasol.guest.grant.GrantTable;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.GuestBuffer;
import org.parasol.guest.mm.Memory;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.GrantTableCalls;

/**
 * selftest: the kernel testing itself on a real hypervisor, as Mini-OS's {@code test.c} —
 * the page allocator over every frame of the domain, the heap, the grant table, events under
 * load, timers, secondary vCPUs,
 * and (with {@code idle=MS} on the command line) an idle period the host can measure.
 *
 * <p>Each stage prints {@code selftest: <stage> ok ...} or crashes the domain with the
 * reason. Command line words: {@code only=idle} skips the other stages; {@code idle=MS}
 * ends with MS milliseconds of idleness (one timer, nothing else) before powering off;
 * {@code events=N} sets the number of events sent under load (default 20000);
 * {@code end=reboot} asks for a reboot instead of powering off; {@code vcpus=2} (with a
 * two-vCPU domain) brings up vCPU 1 and round-trips tasks through it.
 *
 * <p>Expected console output (numbers vary with the domain's size):
 * <pre>
 * selftest: allocator ok: 3960 frames, 3072 mapped on demand
 * selftest: heap ok: 400 buffers, 7 slab pages
 * selftest: grants ok: 4096 bytes copied through gref 8 of domain 1, 4096 bytes seen through a grant mapping
 * selftest: events ok: 20000 sent, 20000 seen in 812 handler runs
 * selftest: timers ok: 200 fired in deadline order, 100 cancelled, 25 reprogrammings
 * selftest: all passed
 * selftest: idling for 2500 ms
 * selftest: idle done
 * </pre>
 */
public final class SelfTestKernel extends ApplicationKernel {

    /** The kernel class an image names needs a public no-argument constructor. */
    public SelfTestKernel() {
    }

    @Override
    public Promise<?> main(Kernel k) {
        long[] o = {0, 1, 20_000}; // idle ms, vCPUs, events
        boolean[] b = {false, false}; // only=idle, end=reboot
        new CommandLine("selftest")
                .number("idle", 0, 3_600_000, v -> o[0] = v)
                .number("vcpus", 1, 2, v -> o[1] = v)
                .number("events", 1, 10_000_000, v -> o[2] = v)
                .choice("only", v -> b[0] = true, "idle")
                .choice("end", v -> b[1] = v.equals("reboot"), "poweroff", "reboot")
                .parse(k.commandLine());
        long idleMs = o[0];
        long vcpus = o[1];
        boolean onlyIdle = b[0];
        Promise<Long> done = k.loop().completed(0L);
        if (onlyIdle && vcpus > 1) {
            done = smp(k, 10); // bring vCPU 1 up, so that both vCPUs idle
        }
        if (!onlyIdle) {
            allocator(k);
            heap(k);
            grants(k);
            done = events(k, (int) o[2])
                    .then(x -> timers(k))
                    .then(x -> vcpus > 1 ? smp(k, 1000) : k.loop().completed(x))
                    .map(x -> {
                        k.println("selftest: all passed");
                        return x;
                    });
        }
        if (idleMs > 0) {
            done = done.then(x -> {
                k.println("selftest: idling for " + idleMs + " ms");
                return k.loop().sleep(idleMs * 1_000_000L);
            }).map(t -> {
                k.println("selftest: idle done");
                return t;
            });
        }
        if (b[1]) {
            return done.map(t -> {
                k.println("selftest: rebooting");
                k.reboot();
                return t;
            });
        }
        return done;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("selftest failed: " + what);
        }
    }

    /** Every free frame, one page at a time: mapped, zeroed, written, read back, freed. */
    private static void allocator(Kernel k) {
        Memory m = k.memory();
        GuestMemory mem = k.cpu().memory();
        long free = m.frames().freeFrames();
        long before = m.mappedOnDemand();
        List<PageRun> runs = new ArrayList<>();
        for (long i = 0; i < free; i++) {
            PageRun r = m.allocatePages(1);
            check(mem.getLong(r.va() + 4088) == 0, "page " + r.pfn() + " handed out zeroed");
            mem.putLong(r.va(), r.pfn());
            mem.putLong(r.va() + 4088, ~r.pfn());
            runs.add(r);
        }
        check(m.frames().freeFrames() == 0, "every frame allocated");
        boolean refused = false;
        try {
            m.allocatePages(1);
        } catch (org.parasol.guest.mm.GuestOutOfMemoryException expected) {
            refused = true;
        }
        check(refused, "allocation beyond the domain's frames is refused");
        for (PageRun r : runs) {
            check(mem.getLong(r.va()) == r.pfn() && mem.getLong(r.va() + 4088) == ~r.pfn(),
                    "page " + r.pfn() + " kept its contents");
            check(m.mfn(r.pfn()).value() == m.p2m().mfn(r.pfn()), "p2m agrees");
            m.freePages(r);
        }
        check(m.frames().freeFrames() == free, "every frame returned");
        PageRun run = m.allocatePages(8);
        check(run.count() == 8 && mem.getLong(run.va() + 8 * 4096 - 8) == 0, "an 8-page run is contiguous and zeroed");
        m.freePages(run);
        k.println("selftest: allocator ok: " + free + " frames, " + (m.mappedOnDemand() - before)
                + " mapped on demand");
    }

    /**
     * The grant table: a frame granted read-only to ourselves is copied with
     * {@code GNTTABOP_copy} through its reference; a read-only grant refuses to be a copy's
     * destination; ending access frees the reference.
     */
    private static void grants(Kernel k) {
        GrantTable g = k.grants();
        GuestMemory mem = k.cpu().memory();
        int free = g.freeReferences();
        DomId self = ownDomid(k);
        PageRun src = k.memory().allocatePages(1);
        PageRun dst = k.memory().allocatePages(1);
        for (int i = 0; i < 4096; i += 8) {
            mem.putLong(src.va() + i, 0x6772616E74L + i);
        }
        GrantRef ref;
        try (GrantedPage granted = g.grantAccess(self, k.memory().mfn(src.pfn()), true)) {
            ref = granted.ref();
            GrantTableCalls calls = new GrantTableCalls(k.cpu(), k.argumentPage());
            GrantTableCalls.Status s = calls.copy(Gntcopy.SOURCE_GREF, ref.value(), self, 0,
                    k.memory().mfn(dst.pfn()).value(), DomId.SELF, 0, 4096);
            check(s.ok(), "copy from a granted frame: " + s);
            for (int i = 0; i < 4096; i += 8) {
                check(mem.getLong(dst.va() + i) == 0x6772616E74L + i, "copied byte " + i);
            }
            GrantTableCalls.Status refused = calls.copy(Gntcopy.DEST_GREF, k.memory().mfn(dst.pfn()).value(),
                    DomId.SELF, 0, ref.value(), self, 0, 8);
            check(!refused.ok(), "a read-only grant is no copy destination");
        }
        check(g.freeReferences() == free, "closing the granted page ended access and freed the reference");
        int mapped = grantMapping(k, self, src);
        k.memory().freePages(src);
        k.memory().freePages(dst);
        k.println("selftest: grants ok: 4096 bytes copied through " + ref + " of domain " + self.value()
                + ", " + mapped + " bytes seen through a grant mapping");
    }

    /**
     * The mapping side, on a loopback grant: a writable grant mapped at a second address shows
     * the same frame both ways; while it is mapped the granter cannot end access (the end is
     * deferred); a read-only grant refuses a writable map; after the mapping is closed the
     * end of access goes through.
     */
    private static int grantMapping(Kernel k, DomId self, PageRun page) {
        GuestMemory mem = k.cpu().memory();
        GrantTable g = k.grants();
        GrantedPage rw = g.grantAccess(self, k.memory().mfn(page.pfn()), false);
        int seen = 0;
        try (GrantMapping m = k.grantMapper().map(self, rw.ref(), false)) {
            check(m.va() != page.va(), "mapped at an address of its own");
            for (int i = 0; i < 4096; i += 8) {
                check(mem.getLong(m.va() + i) == 0x6772616E74L + i, "byte " + i + " through the mapping");
                seen += 8;
            }
            mem.putLong(m.va() + 16, 0x6D6170706564L);
            check(mem.getLong(page.va() + 16) == 0x6D6170706564L, "a store through the mapping reaches the frame");
            check(!g.tryEndAccess(rw), "no end of access while mapped (GTF_reading|GTF_writing)");
        }
        check(rw.endAccess(), "end of access once unmapped");
        GrantedPage ro = g.grantAccess(self, k.memory().mfn(page.pfn()), true);
        try {
            k.grantMapper().map(self, ro.ref(), false).close();
            check(false, "a read-only grant mapped writable");
        } catch (GrantMapException e) {
            check(e.status() == Gntst.GENERAL_ERROR, "read-only grant mapped writable: " + e.getMessage());
        }
        try (GrantMapping m = k.grantMapper().map(self, ro.ref(), true)) {
            check(mem.getLong(m.va() + 16) == 0x6D6170706564L, "a read-only mapping reads");
        }
        check(ro.endAccess(), "end of access of the read-only grant");
        check(k.grantMapper().openMappings() == 0, "no mapping left open");
        return seen;
    }

    /**
     * This domain's id, which a grant entry must name: the remote end of a loopback channel,
     * as {@code EVTCHNOP_status} reports it (a real guest would read {@code domid} from xenstore).
     */
    private static DomId ownDomid(Kernel k) {
        BoundPort a = k.events().allocUnbound(DomId.SELF, port -> { });
        BoundPort b = k.events().bindInterdomain(DomId.SELF, a.port(), port -> { });
        EventChannelCalls.ChannelStatus st = new EventChannelCalls(k.cpu(), k.argumentPage()).status(DomId.SELF, b.port());
        b.close();
        a.close();
        check(st.result() == 0, "EVTCHNOP_status: " + st);
        return st.remoteDom();
    }

    /** Buffers of mixed sizes and alignments: aligned, disjoint, zeroed, reused. */
    private static void heap(Kernel k) {
        GuestMemory mem = k.cpu().memory();
        Random rnd = new Random(6);
        List<GuestBuffer> live = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            long size = 1 + rnd.nextInt(i % 10 == 0 ? 9000 : 600);
            long align = 1L << rnd.nextInt(13);
            GuestBuffer b = k.heap().allocate(size, align);
            check(b.va() % align == 0, b + " aligned to " + align);
            check(mem.getByte(b.va()) == 0 && mem.getByte(b.va() + size - 1) == 0, b + " zeroed");
            mem.fill(b.va(), size, (byte) (i + 1));
            live.add(b);
        }
        for (int i = 0; i < live.size(); i++) {
            GuestBuffer b = live.get(i);
            check(mem.getByte(b.va()) == (byte) (i + 1) && mem.getByte(b.va() + b.size() - 1) == (byte) (i + 1),
                    b + " not overwritten by another buffer");
        }
        live.forEach(GuestBuffer::close);
        check(k.heap().liveBuffers() == 0, "every buffer returned");
        k.println("selftest: heap ok: " + live.size() + " buffers, " + k.heap().slabPages() + " slab pages");
    }

    /**
     * A loopback interdomain channel under load: tasks send {@code total} notifications,
     * each after bumping a counter in guest memory; the deferred handler records the last
     * count it saw. Events coalesce, but none may be lost: the handler must see the final count.
     */
    private static Promise<Long> events(Kernel k, int total) {
        GuestMemory mem = k.cpu().memory();
        GuestBuffer counter = k.heap().allocate(8, 8);
        long[] seen = {0};
        long[] runs = {0};
        Promise<Long> done = k.loop().promise();
        BoundPort receiver = k.events().allocUnbound(DomId.SELF, k.loop().deferred(port -> {
            runs[0]++;
            seen[0] = mem.getLongAcquire(counter.va());
            if (seen[0] == total) {
                done.complete(seen[0]);
            }
        }));
        BoundPort sender = k.events().bindInterdomain(DomId.SELF, receiver.port(), port -> { });
        int[] sent = {0};
        Runnable burst = new Runnable() {
            @Override
            public void run() {
                for (int i = 0; i < 100 && sent[0] < total; i++) {
                    mem.putLongRelease(counter.va(), ++sent[0]);
                    sender.notifyRemote();
                }
                if (sent[0] < total) {
                    k.execute(this); // let the handler run between bursts
                }
            }
        };
        k.execute(burst);
        return done.map(n -> {
            check(runs[0] >= 1 && runs[0] <= total, "handler runs within 1.." + total);
            sender.close();
            receiver.close();
            counter.close();
            k.println("selftest: events ok: " + total + " sent, " + n + " seen in " + runs[0] + " handler runs");
            return n;
        });
    }

    /**
     * vCPU 1 brought up on the kernel: {@code count} tasks posted to it, each posting an
     * answer back to vCPU 0; and vCPU 1's own timer.
     */
    private static Promise<Long> smp(Kernel k, int count) {
        Promise<Long> done = k.loop().promise();
        long[] answers = {0};
        // Runs on vCPU 0 for each answer and once when vCPU 1's own timer has fired.
        Runnable answer = () -> {
            check(k.cpu().vcpuId() == 0, "an answer runs on vCPU 0");
            if (++answers[0] == count + 1) {
                done.complete((long) count);
            }
        };
        k.startVcpu(1, v -> v.sleep(java.time.Duration.ofMillis(5)).map(t -> {
            v.println("selftest: vCPU 1 timer fired on vCPU " + v.cpu().vcpuId());
            v.postToBoot(answer);
            return t;
        })).map(v -> {
            for (int i = 0; i < count; i++) {
                k.post(v, () -> {
                    check(v.cpu().vcpuId() == 1, "a posted task runs on vCPU 1");
                    v.postToBoot(answer);
                });
            }
            return v;
        });
        return done.map(n -> {
            k.println("selftest: smp ok: " + n + " tasks round-tripped to vCPU 1");
            return n;
        });
    }

    /** 200 timers set in random order fire in deadline order, none early; cancelled ones never. */
    private static Promise<Long> timers(Kernel k) {
        Random rnd = new Random(5);
        long start = k.now();
        long reprogrammedBefore = k.loop().timers().reprogrammings();
        List<Long> fired = new ArrayList<>();
        Promise<Long> done = k.loop().promise();
        int count = 200;
        for (int i = 0; i < count; i++) {
            long deadline = start + 1_000_000L + rnd.nextInt(30_000_000);
            k.loop().at(deadline, () -> {
                check(k.now() >= deadline, "timer fired early");
                fired.add(deadline);
                if (fired.size() == count) {
                    done.complete(k.now());
                }
            });
        }
        List<org.parasol.guest.sched.Timer> cancelled = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            cancelled.add(k.loop().at(start + 2_000_000L + rnd.nextInt(20_000_000), () -> {
                throw new IllegalStateException("a cancelled timer fired");
            }));
        }
        cancelled.forEach(t -> check(t.cancel(), "cancel before expiry"));
        return done.map(t -> {
            for (int i = 1; i < fired.size(); i++) {
                check(fired.get(i - 1) <= fired.get(i), "deadline order");
            }
            k.println("selftest: timers ok: " + count + " fired in deadline order, " + cancelled.size()
                    + " cancelled, " + (k.loop().timers().reprogrammings() - reprogrammedBefore) + " reprogrammings");
            return t;
        });
    }
}
