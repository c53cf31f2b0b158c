package org.parasol.hypervisor.testing;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.EvtchnStat;
import org.parasol.hypercall.abi.Evtchn2l;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.event.EventChannels;
import org.parasol.hypervisor.grant.GrantLeaks;
import org.parasol.hypervisor.mm.FrameTable;

/**
 * Fails a test that leaks, as Netty's leak detector does for buffers: a hypervisor it booted
 * and did not close, or anything a destroyed domain still holds once the test is over — a
 * bound event-channel port, a grant entry in use, a maptrack entry (a mapping of another
 * domain's grant), a machine frame still owned by it or shared with it — and any frame that
 * did not make it back to the free pool. The failure names each leak: the domain, the ports,
 * the grant references, the maptrack handles, the frame numbers.
 *
 * <pre>{@code
 * @RegisterExtension
 * final LeakCheck leaks = new LeakCheck();
 *
 * @BeforeEach
 * void boot() {
 *     hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20)));
 * }
 * }</pre>
 *
 * <p>After each test (after its {@code @AfterEach} methods, which usually close the
 * hypervisor) every tracked hypervisor is checked:
 * <ol>
 *   <li>if it is still open, that is a leak; so is every frame a destroyed domain still holds
 *       while the others live (a mapping in a live domain keeps it: legal in Xen, but the test
 *       should have ended it), and every port, grant pin or mapping of a live domain that
 *       names a destroyed one. The check then closes it, which destroys the rest;</li>
 *   <li>a domain left a zombie is a leak;</li>
 *   <li>each destroyed domain must have no open port, no grant entry pinned and no maptrack
 *       handle in use;</li>
 *   <li>no machine frame may be owned by, or shared with, any domain, and the free pool must
 *       hold every frame but MFN 0 and the M2P table's.</li>
 * </ol>
 * A field of the test instance holding a hypervisor the check was not given fails the test
 * too, so a new test cannot forget {@link #track}. jqwik properties, which JUnit extensions do
 * not reach, call {@link #verify} themselves.
 *
 * <p>Thread safety: {@link #track} may be called from any thread; {@link #verify} from one.
 */
public final class LeakCheck implements AfterEachCallback {
    /** How many frame numbers one leak line lists before it says "and n more". */
    private static final int MAX_FRAMES_LISTED = 16;

    private final List<Tracked> tracked = new CopyOnWriteArrayList<>();
    /** Every hypervisor ever tracked, verified or not, by identity. */
    private final Set<Hypervisor> seen = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

    /** A tracked hypervisor, the domains it destroyed, and where it was booted. */
    private record Tracked(Hypervisor hv, Queue<Domain> destroyed, String bootedAt) {
    }

    /** Checks {@code hv} after the test; returns it, for {@code hv = leaks.track(Hypervisor.boot(...))}. */
    public Hypervisor track(Hypervisor hv) {
        Objects.requireNonNull(hv, "hv");
        if (!seen.add(hv)) {
            return hv;
        }
        Queue<Domain> destroyed = new ConcurrentLinkedQueue<>();
        hv.onDomainDestroyed(destroyed::add);
        tracked.add(new Tracked(hv, destroyed, caller(new Throwable())));
        return hv;
    }

    /**
     * Checks every hypervisor tracked since the last check, closing any left open, and
     * forgets them.
     *
     * @throws AssertionError naming every leak found
     */
    public void verify() {
        List<String> leaks = new ArrayList<>();
        for (Tracked t : tracked) {
            leaks.addAll(check(t));
        }
        tracked.clear();
        if (!leaks.isEmpty()) {
            throw new AssertionError("leak check: " + leaks.size() + " leak" + (leaks.size() == 1 ? "" : "s")
                    + "\n  " + String.join("\n  ", leaks));
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> untracked = new ArrayList<>();
        for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
            for (Class<?> c = instance.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (!Hypervisor.class.isAssignableFrom(f.getType()) || Modifier.isStatic(f.getModifiers())) {
                        continue;
                    }
                    Hypervisor hv = read(f, instance);
                    if (hv != null && !seen.contains(hv)) {
                        untracked.add(c.getSimpleName() + "." + f.getName()
                                + " holds a hypervisor the leak check was not given: boot it with leaks.track(...)");
                        track(hv);
                    }
                }
            }
        }
        try {
            verify();
        } catch (AssertionError e) {
            if (untracked.isEmpty()) {
                throw e;
            }
            throw new AssertionError(String.join("\n", untracked) + "\n" + e.getMessage(), e);
        }
        if (!untracked.isEmpty()) {
            throw new AssertionError(String.join("\n", untracked));
        }
    }

    private static Hypervisor read(Field f, Object instance) {
        try {
            f.setAccessible(true);
            return (Hypervisor) f.get(instance);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- the checks

    private static List<String> check(Tracked t) {
        List<String> leaks = new ArrayList<>();
        Hypervisor hv = t.hv();
        FrameTable frames = hv.frames();
        if (!hv.isClosed()) {
            List<String> live = new ArrayList<>();
            for (Domain d : hv.domains()) {
                live.add(name(d));
            }
            leaks.add("the hypervisor booted at " + t.bootedAt() + " was not closed"
                    + (live.isEmpty() ? "" : " (domains still alive: " + String.join(", ", live) + ")"));
            // What destroyed domains still hold while others live: frames a live mapping keeps,
            // and what live domains still have that names a destroyed one.
            Set<Integer> gone = new TreeSet<>();
            for (Domain d : t.destroyed()) {
                if (hv.lookup(d.domid()) != null) {
                    continue; // the id belongs to a newer domain now
                }
                gone.add(d.domid());
                List<Long> held = framesOf(frames, d.domid());
                if (!held.isEmpty()) {
                    leaks.add(name(d) + ", destroyed, still holds " + describeFrames(frames, held)
                            + " while the hypervisor runs");
                }
            }
            for (Domain d : hv.domains()) {
                for (OpenPort p : openPorts(d.events())) {
                    if ((p.state() == EvtchnStat.UNBOUND || p.state() == EvtchnStat.INTERDOMAIN)
                            && gone.contains(p.remote())) {
                        leaks.add(name(d) + " has " + p + ", naming destroyed " + DomId.of(p.remote()));
                    }
                }
                for (GrantLeaks.Pin pin : GrantLeaks.pins(d.grants())) {
                    if (gone.contains(pin.user())) {
                        leaks.add(name(d) + " has " + pin + ", a destroyed domain");
                    }
                }
                for (GrantLeaks.Mapping m : GrantLeaks.mappings(d.maptrack())) {
                    if (gone.contains(m.granter())) {
                        leaks.add(name(d) + " still has " + m + ", a destroyed domain's frame");
                    }
                }
            }
            hv.close();
        }
        for (Domain d : hv.domains()) {
            leaks.add(name(d) + " was left " + d.state() + " by the hypervisor's close");
        }
        for (Domain d : t.destroyed()) {
            for (OpenPort port : openPorts(d.events())) {
                leaks.add(name(d) + ", destroyed, has " + port + " still bound");
            }
            for (GrantLeaks.Pin pin : GrantLeaks.pins(d.grants())) {
                leaks.add(name(d) + ", destroyed, has " + pin);
            }
            for (GrantLeaks.Mapping m : GrantLeaks.mappings(d.maptrack())) {
                leaks.add(name(d) + ", destroyed, still has " + m);
            }
        }
        Map<Integer, List<Long>> byDomain = new TreeMap<>();
        List<Long> xen = new ArrayList<>();
        long m2pFirst = frames.machphysBase();
        long m2pEnd = m2pFirst + frames.machphysFrames();
        for (long mfn = 1; mfn < frames.frameCount(); mfn++) {
            int owner = frames.owner(mfn);
            if (owner == DomId.DOMID_INVALID) {
                continue;
            }
            if (owner == DomId.DOMID_XEN) {
                int with = frames.sharedWith(mfn);
                if (with != DomId.DOMID_INVALID) {
                    byDomain.computeIfAbsent(with, k -> new ArrayList<>()).add(mfn);
                } else if (mfn < m2pFirst || mfn >= m2pEnd) {
                    xen.add(mfn);
                }
                continue;
            }
            byDomain.computeIfAbsent(owner, k -> new ArrayList<>()).add(mfn);
        }
        byDomain.forEach((domid, held) -> leaks.add(DomId.of(domid) + " still owns or shares "
                + describeFrames(frames, held) + " after the hypervisor closed"));
        if (!xen.isEmpty()) {
            leaks.add("the hypervisor still holds " + describeFrames(frames, xen) + " beyond MFN 0 and the M2P table");
        }
        long expectedFree = frames.frameCount() - 1 - frames.machphysFrames();
        if (byDomain.isEmpty() && xen.isEmpty() && frames.freeFrames() != expectedFree) {
            leaks.add((expectedFree - frames.freeFrames()) + " frames never came back to the free pool ("
                    + frames.freeFrames() + " free of " + expectedFree + ")");
        }
        return leaks;
    }

    /** The frames {@code domid} owns or has shared with it. */
    private static List<Long> framesOf(FrameTable frames, int domid) {
        List<Long> held = new ArrayList<>();
        for (long mfn = 1; mfn < frames.frameCount(); mfn++) {
            int owner = frames.owner(mfn);
            if (owner == domid || (owner == DomId.DOMID_XEN && frames.sharedWith(mfn) == domid)) {
                held.add(mfn);
            }
        }
        return held;
    }

    private static String describeFrames(FrameTable frames, List<Long> mfns) {
        StringBuilder b = new StringBuilder();
        b.append(mfns.size()).append(mfns.size() == 1 ? " frame: " : " frames: ");
        for (int i = 0; i < mfns.size() && i < MAX_FRAMES_LISTED; i++) {
            long mfn = mfns.get(i);
            if (i > 0) {
                b.append(", ");
            }
            long type = frames.typeInfo(mfn);
            b.append(Mfn.of(mfn)).append(" (refs ").append(frames.refCount(mfn));
            if (FrameTable.pageType(type) != FrameTable.PGT_NONE || FrameTable.typeCount(type) != 0) {
                b.append(", ").append(typeName(FrameTable.pageType(type))).append(" x").append(FrameTable.typeCount(type));
            }
            if (frames.owner(mfn) == DomId.DOMID_XEN) {
                b.append(", a hypervisor page");
            }
            b.append(')');
        }
        if (mfns.size() > MAX_FRAMES_LISTED) {
            b.append(" and ").append(mfns.size() - MAX_FRAMES_LISTED).append(" more");
        }
        return b.toString();
    }

    private static String typeName(int type) {
        return switch (type) {
            case FrameTable.PGT_L1_PAGE_TABLE -> "l1";
            case FrameTable.PGT_L2_PAGE_TABLE -> "l2";
            case FrameTable.PGT_L3_PAGE_TABLE -> "l3";
            case FrameTable.PGT_L4_PAGE_TABLE -> "l4";
            case FrameTable.PGT_SEG_DESC_PAGE -> "seg_desc";
            case FrameTable.PGT_SHARED_PAGE -> "shared";
            case FrameTable.PGT_WRITABLE_PAGE -> "writable";
            default -> "none";
        };
    }

    /** An open port: its number, {@code EVTCHNSTAT_*} state, remote domain (or -1) and what it is. */
    private record OpenPort(int port, int state, int remote, String what) {
        @Override
        public String toString() {
            return Port.of(port) + " (" + what + ")";
        }
    }

    /** Each open port of {@code events}, named as Xen's 'e' debug key would. */
    private static List<OpenPort> openPorts(EventChannels events) {
        List<OpenPort> out = new ArrayList<>();
        for (int p = 1; p < Evtchn2l.NR_CHANNELS; p++) {
            if (!events.isOpen(p)) {
                continue;
            }
            int state = events.status(p);
            int remote = state == EvtchnStat.UNBOUND || state == EvtchnStat.INTERDOMAIN ? events.remoteDomain(p) : -1;
            String what = switch (state) {
                case EvtchnStat.UNBOUND -> "unbound for " + DomId.of(remote);
                case EvtchnStat.INTERDOMAIN -> "interdomain to " + DomId.of(remote) + " " + Port.of(events.remotePort(p));
                case EvtchnStat.VIRQ -> Objects.requireNonNullElse(Virq.name(events.boundVirq(p)),
                        "virq " + events.boundVirq(p));
                case EvtchnStat.IPI -> "IPI to vCPU " + events.notifyVcpu(p);
                case EvtchnStat.PIRQ -> "PIRQ";
                default -> "state " + state;
            };
            out.add(new OpenPort(p, state, remote, what));
        }
        return out;
    }

    private static String name(Domain d) {
        return DomId.of(d.domid()) + " '" + d.name() + "'";
    }

    /** The first frame of {@code t} outside this class and the JDK: where track was called. */
    private static String caller(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            String c = e.getClassName();
            if (!c.equals(LeakCheck.class.getName()) && !c.startsWith("java.") && !c.startsWith("jdk.")) {
                return e.getClassName().substring(e.getClassName().lastIndexOf('.') + 1) + "." + e.getMethodName()
                        + "(" + e.getFileName() + ":" + e.getLineNumber() + ")";
            }
        }
        return "an unknown place";
    }
}
