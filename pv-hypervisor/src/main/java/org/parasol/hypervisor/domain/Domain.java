package org.parasol.hypervisor.domain;

import org.parasol.hypervisor.hvm.AtaDisk;
import org.parasol.hypervisor.hvm.PciHostBridge;
import org.parasol.hypervisor.hvm.Pic8259;
import org.parasol.hypervisor.hvm.Pit8254;
import org.parasol.hypervisor.hvm.Uart16550;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Gnttab;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypervisor.event.Event2l;
import org.parasol.hypervisor.event.EventChannels;
import org.parasol.hypervisor.grant.GrantTable;
import org.parasol.hypervisor.grant.Maptrack;
import org.parasol.hypervisor.mm.BootLayout;
import org.parasol.hypervisor.mm.DomainPages;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.sched.CreditDomain;
import org.parasol.hypervisor.time.Timers;

/**
 * A domain: its memory, its vCPUs, its event channels, its grant table, its code table, its
 * console and its place in the lifecycle (Xen's {@code struct domain}).
 *
 * <p>Lifecycle: built → running ⇄ paused → shut down (with a reason) → dying → dead, or
 * zombie when a vCPU never reached a safe point during destroy. A shutdown stops every vCPU
 * at its next safe point; destroy then waits for them and returns every frame, port and
 * timer. {@link DomainBuilder} builds a domain and takes it apart again, as a pair; this
 * class holds what was built and its state. Nothing a domain does can end another domain's
 * life except a privileged hypercall.
 */
public final class Domain {
    private static final System.Logger LOG = System.getLogger("org.parasol.hypervisor.domain");

    private final Host host;
    private final int domid;
    /** Replaced only by {@link #rename}, under the toolstack's claim lock. */
    private volatile DomainConfig config;
    private final boolean bare;
    private final DomainPages pages;
    private final long sharedInfoMfn;
    /** The start of day, once laid out: at build, or by Parasol's load-image domctl. */
    private volatile BootLayout layout;
    private final Event2l event2l;
    private final EventChannels events;
    private final GrantTable grants;
    private final Maptrack maptrack = new Maptrack(Maptrack.DEFAULT_MAX_FRAMES);
    private final CodeTable codeTable = new CodeTable();
    private final ConsoleLog console;
    /** The PV console ring's back end, once Parasol's load-image domctl laid it out; else null. */
    private volatile ConsoleRing consoleRing;
    /** COM1 of a native domain (its console), or null for a paravirtual one. */
    private final Uart16550 uart;
    /** The 8259 pair of a native domain (its devices' interrupts), or null for a paravirtual one. */
    private final Pic8259 pic;
    /** The 8254 PIT of a native-kernel domain (channel 0 on IRQ 0), or null. */
    private final Pit8254 pit;
    /** PCI bus 0 of a native domain (the PIIX3's IDE function), or null for a paravirtual one. */
    private final PciHostBridge pci;
    /** The ATA disk on the primary channel of a native domain, once dom0 attached one; else null. */
    private volatile AtaDisk ata;
    /** The NE2000 of a native domain, once dom0 attached one (its vif= entry); else null. */
    private volatile EmulatedNic nic;
    /** Guards the attachment of {@link #ata} and {@link #nic}; no guest code runs under it. */
    private final Object devicesLock = new Object();
    private final Vcpu[] vcpus;
    /** The domain in the credit scheduler: weight, cap, cpupool. */
    private final CreditDomain scheduling;
    private final long createdAt;
    private final Timers.Timer[] watchdogs = new Timers.Timer[2];
    private final AtomicInteger liveVcpuThreads = new AtomicInteger();
    private final CountDownLatch dead = new CountDownLatch(1);
    /**
     * Held by the one thread taking the domain apart; no guest code can reach it. A lock,
     * not a monitor, so the domctl path can try it and continue later instead of waiting.
     */
    final ReentrantLock destroyLock = new ReentrantLock();
    /** {@code xen_domain_handle_t}: the toolstack's 16-byte handle (a UUID), zero unless given. */
    private final byte[] handle = new byte[16];
    /**
     * Whether the vCPUs exist for the toolstack: from the build, or from
     * {@code XEN_DOMCTL_max_vcpus} for a domain {@code XEN_DOMCTL_createdomain} made.
     */
    private volatile boolean vcpusAllocated;
    /** When a domctl destroy first asked the vCPUs to stop ({@link System#nanoTime()}), or 0. */
    private final AtomicLong destroyAskedAt = new AtomicLong();

    private volatile DomainState state = DomainState.RUNNING;
    private volatile int pauseCount;
    private volatile int shutdownReason = -1;
    private volatile int shutdownCode = -1;
    private volatile String crashCause;
    private volatile long endedAt;
    private volatile boolean writablePageTables;
    /** A native domain's {@code HVM_PARAM_*} values ({@code HVMOP_set_param}). Guarded by itself. */
    private final long[] hvmParams = new long[org.parasol.hypercall.abi.HvmOp.NR_PARAMS];
    /**
     * {@code HVM_PARAM_CALLBACK_IRQ}'s vector while its type is vector, else -1: event upcalls
     * are then an external interrupt through the IDT, not the PV event callback.
     */
    private volatile int callbackVector = -1;

    /**
     * The domain's structures over memory {@link DomainBuilder} has built ({@code pages}, the
     * {@code shared_info} frame, the start-of-day {@code layout}): event channels over
     * shared_info, the grant table, the console, the vCPUs. Step 2 of the build.
     *
     * <p>{@code created} is a domain made by {@code XEN_DOMCTL_createdomain}: no start of day
     * yet ({@code layout} null), paused once by its controller, its vCPUs not yet allocated.
     */
    Domain(Host host, int domid, DomainConfig config, boolean bare, DomainPages pages, long sharedInfoMfn,
            BootLayout layout, boolean created) {
        this.host = host;
        this.domid = domid;
        this.config = config;
        this.bare = bare;
        this.pages = pages;
        this.sharedInfoMfn = sharedInfoMfn;
        this.layout = layout;
        this.event2l = new Event2l(new SegmentBuffer(host.machine().segment().asSlice(
                MachineMemory.maddr(sharedInfoMfn), MachineMemory.PAGE_SIZE)), config.vcpus(), new Wakeups());
        this.events = new EventChannels(domid, config.vcpus(), event2l);
        this.grants = new GrantTable(domid, host.frames(), Gnttab.DEFAULT_MAX_FRAMES);
        this.console = new ConsoleLog(host.consoleThread());
        this.pic = config.virt().nativeKernel() ? new Pic8259() : null;
        this.pci = config.virt().nativeKernel() ? new PciHostBridge() : null;
        // COM1's interrupt output is IRQ 4 of the 8259 pair; input from the host raises it from
        // a host thread, so a halted vCPU 0 is woken to take it (as the NE2000's IRQ 10 is).
        this.uart = config.virt().nativeKernel() ? new Uart16550(console::write, !config.privileged(), level -> {
            pic.setIrq(org.parasol.hypercall.x86.Platform.COM1_IRQ, level);
            if (level) {
                vcpu(0).kick();
            }
        }) : null;
        this.pit = config.virt().nativeKernel() ? new Pit8254() : null;
        this.createdAt = host.systemTime();
        this.scheduling = host.scheduler().newDomain(domid);
        this.vcpus = new Vcpu[config.vcpus()];
        for (int i = 0; i < vcpus.length; i++) {
            vcpus[i] = new Vcpu(this, i, host);
        }
        this.vcpusAllocated = !created;
        if (created) {
            // Xen's controller_pause_count starts at 1: the toolstack unpauses once to start it.
            this.pauseCount = 1;
            this.state = DomainState.PAUSED;
        }
    }

    // ---------------------------------------------------------------- identity

    /** What the host gives this domain: frames, page tables, pCPUs, timers, the domain table. */
    public Host host() {
        return host;
    }

    public int domid() {
        return domid;
    }

    public String name() {
        return config.name();
    }

    public DomainConfig config() {
        return config;
    }

    /**
     * Gives the domain the name {@code name} (Parasol's load-image command): only the
     * toolstack's side of the hypervisor calls it, having claimed the name.
     */
    public void rename(String name) {
        config = config.withName(name);
    }

    /**
     * SIF_PRIVILEGED: Xen's {@code is_privileged}, a control domain. Only such a domain
     * passes the domctl family's check and names other domains in memory, event-channel and
     * grant calls.
     */
    public boolean privileged() {
        return config.privileged();
    }

    /** Byte {@code i} (0..15) of the domain's handle. */
    public int handle(int i) {
        synchronized (handle) {
            return handle[i] & 0xFF;
        }
    }

    /** Sets byte {@code i} (0..15) of the domain's handle (XEN_DOMCTL_createdomain). */
    public void handle(int i, int value) {
        synchronized (handle) {
            handle[i] = (byte) value;
        }
    }

    /**
     * The vCPUs that exist for the toolstack: every vCPU of a built domain; none of a created
     * one until {@code XEN_DOMCTL_max_vcpus}.
     */
    public int allocatedVcpus() {
        return vcpusAllocated ? vcpus.length : 0;
    }

    /** XEN_DOMCTL_max_vcpus: the vCPUs exist from now on, each down until its context is set. */
    public void allocateVcpus() {
        vcpusAllocated = true;
    }

    /** A bare test domain: no image, no threads; its vCPUs are attached to callers' threads. */
    public boolean isBare() {
        return bare;
    }

    /** The memory the domain holds now, in KiB ({@code tot_pages} × 4): what xl list shows. */
    public long memoryKiB() {
        return pages.totPages() * 4;
    }

    /** The most it may hold, {@code max_pages} in KiB: maxmem, or what {@code XEN_DOMCTL_max_mem} last set. */
    public long maxMemoryKiB() {
        return pages.maxPages() * 4;
    }

    public DomainPages pages() {
        return pages;
    }

    public long sharedInfoMfn() {
        return sharedInfoMfn;
    }

    /** The domain's {@code shared_info} page, through the ABI's flyweight (any thread). */
    public SharedInfo sharedInfo() {
        return event2l.sharedInfo();
    }

    /** vCPU {@code id}'s {@code vcpu_info} slot in shared_info (any thread), or null beyond the slots. */
    public VcpuInfo vcpuInfo(int id) {
        return event2l.vcpuInfo(id);
    }

    public EventChannels events() {
        return events;
    }

    /** The domain's grant table (its frames are released with its memory). */
    public GrantTable grants() {
        return grants;
    }

    /** The grant mappings this domain holds of others' grants (its maptrack). */
    public Maptrack maptrack() {
        return maptrack;
    }

    public CodeTable codeTable() {
        return codeTable;
    }

    /**
     * VM exits its vCPUs took (a trap-and-emulate domain; 0 for a paravirtual one). Exact once
     * its vCPUs have ended; a running domain's count may lag.
     */
    public long vmExits() {
        long n = 0;
        for (Vcpu v : vcpus) {
            VmExits x = v.vmExits();
            if (x != null) {
                n += x.exits();
            }
        }
        return n;
    }

    /** Instructions its vCPUs translated (a binary-translated domain; 0 otherwise). */
    public long translations() {
        long n = 0;
        for (Vcpu v : vcpus) {
            VmExits x = v.vmExits();
            if (x != null) {
                n += x.translations();
            }
        }
        return n;
    }

    /** The 8259 pair of a native-kernel domain, or null. */
    public Pic8259 pic() {
        return pic;
    }

    /** {@code HVM_PARAM_*} {@code index} (below {@code HVM_NR_PARAMS}), 0 until set. */
    public long hvmParam(int index) {
        synchronized (hvmParams) {
            return hvmParams[index];
        }
    }

    /**
     * Sets {@code HVM_PARAM_*} {@code index} (below {@code HVM_NR_PARAMS}; the caller checked
     * who may). {@code HVM_PARAM_CALLBACK_IRQ} also chooses how event upcalls are delivered, as
     * Xen's {@code hvm_set_callback_via}: type vector ({@code 2 << 56 | vector}) through the
     * IDT at that vector; anything else (0, a GSI or PCI INTx line — there is no I/O APIC — or
     * an unknown type) leaves no vector, and the PV event callback, if registered, is used.
     * Every vCPU is then kicked, as Xen asserts the new via at once for each.
     */
    public void setHvmParam(int index, long value) {
        synchronized (hvmParams) {
            hvmParams[index] = value;
        }
        if (index == org.parasol.hypercall.abi.HvmOp.PARAM_CALLBACK_IRQ) {
            long type = value >>> org.parasol.hypercall.abi.HvmOp.CALLBACK_IRQ_TYPE_SHIFT;
            callbackVector = type == org.parasol.hypercall.abi.HvmOp.CALLBACK_TYPE_VECTOR ? (int) (value & 0xFF) : -1;
            for (Vcpu v : vcpus) {
                if (v != null) {
                    v.kick();
                }
            }
        }
    }

    /** The vector event upcalls are delivered at through the IDT ({@code HVM_PARAM_CALLBACK_IRQ}), or -1. */
    public int callbackVector() {
        return callbackVector;
    }

    /** The 8254 PIT of a native-kernel domain, or null. */
    public Pit8254 pit() {
        return pit;
    }

    /** PCI bus 0 of a native-kernel domain, or null. */
    public PciHostBridge pci() {
        return pci;
    }

    /** The ATA disk of a native-kernel domain (primary channel, device 0), or null. */
    public AtaDisk ata() {
        return ata;
    }

    /**
     * Attaches {@code disk} as the domain's ATA disk; the domain owns it from here and closes
     * it when it dies.
     *
     * @return 0; {@code -EINVAL} for a paravirtual domain (it has no ports to find it on);
     *     {@code -EEXIST} when it has one already; {@code -ESRCH} when the domain is ending
     */
    public long attachAta(AtaDisk disk) {
        synchronized (devicesLock) {
            if (!config.virt().nativeKernel()) {
                return -org.parasol.hypercall.Errno.EINVAL;
            }
            if (ata != null) {
                return -org.parasol.hypercall.Errno.EEXIST;
            }
            if (state == DomainState.DEAD || state == DomainState.DYING || state == DomainState.SHUTDOWN) {
                return -org.parasol.hypercall.Errno.ESRCH;
            }
            // Its bus master reaches this domain's memory only, through the domain's IOMMU.
            disk.connect(pci, new DomainDma(host.frames(), host.machine(), domid));
            ata = disk;
            return 0;
        }
    }

    /** The NE2000 of a native-kernel domain, or null. */
    EmulatedNic nic() {
        return nic;
    }

    /**
     * Attaches an NE2000 with address {@code mac} served by {@code backend} (frames by its
     * calls, a port of its own raised when the card transmits).
     *
     * @return the back end's port; {@code -EINVAL} for a paravirtual domain; {@code -EEXIST}
     *     when it has one already; {@code -ESRCH} when the domain is ending; {@code -ENOSPC}
     *     when the back end has no port left
     */
    long attachNic(Domain backend, byte[] mac) {
        synchronized (devicesLock) {
            if (!config.virt().nativeKernel()) {
                return -org.parasol.hypercall.Errno.EINVAL;
            }
            if (nic != null) {
                return -org.parasol.hypercall.Errno.EEXIST;
            }
            if (state == DomainState.DEAD || state == DomainState.DYING || state == DomainState.SHUTDOWN) {
                return -org.parasol.hypercall.Errno.ESRCH;
            }
            EmulatedNic n = EmulatedNic.create(this, backend, mac);
            if (n == null) {
                return -org.parasol.hypercall.Errno.ENOSPC;
            }
            nic = n;
            return n.port();
        }
    }

    /** COM1, the console of a native-kernel domain; null for a paravirtual one. */
    public Uart16550 uart() {
        return uart;
    }

    public ConsoleLog console() {
        return console;
    }

    /**
     * The back end of the domain's PV console ring (its {@code in} half: console input), or
     * null for a domain built without one (dom0 and the launcher's domains read
     * {@code console_io}; native kernels have their UART).
     */
    public ConsoleRing consoleRing() {
        return consoleRing;
    }

    void consoleRing(ConsoleRing ring) {
        this.consoleRing = ring;
    }

    /** The domain in the credit scheduler (weight, cap, cpupool), for {@code host().scheduler()}. */
    public CreditDomain scheduling() {
        return scheduling;
    }

    public Vcpu vcpu(int id) {
        return vcpus[id];
    }

    public int vcpuCount() {
        return vcpus.length;
    }

    public List<Vcpu> vcpus() {
        return List.of(vcpus);
    }

    /** Where the builder put the start-of-day structures; null until a created domain's image is loaded. */
    public BootLayout layout() {
        return layout;
    }

    /** Records the start of day Parasol's load-image domctl laid out. */
    void layout(BootLayout laidOut) {
        this.layout = laidOut;
    }

    /** The virtual address of {@code start_info}, vCPU 0's boot argument. */
    public long startInfoVa() {
        return layout.startInfoVa();
    }

    /** VMASST_TYPE_writable_pagetables. */
    public boolean writablePageTables() {
        return writablePageTables;
    }

    public void setWritablePageTables(boolean on) {
        this.writablePageTables = on;
    }

    // ---------------------------------------------------------------- state

    public DomainState state() {
        return state;
    }

    /** Whether vCPUs may run guest code (not shut down, dying or dead). */
    public boolean mayRun() {
        DomainState s = state;
        return s == DomainState.RUNNING || s == DomainState.PAUSED;
    }

    /** The reason of the shutdown, or -1 while running. */
    public int shutdownReason() {
        return shutdownReason;
    }

    /** The cause recorded when the domain crashed, or null. */
    public String crashCause() {
        return crashCause;
    }

    /** System time the domain was created at. */
    public long createdAt() {
        return createdAt;
    }

    /** Nanoseconds the domain has existed (until it shut down, if it did). */
    public long uptimeNanos() {
        long end = endedAt;
        return (end == 0 ? host.systemTime() : end) - createdAt;
    }

    /** Hypercalls made by all vCPUs (any thread). */
    public long hypercalls() {
        long n = 0;
        for (Vcpu v : vcpus) {
            n += v.hypercalls();
        }
        return n;
    }

    /** Events sent by all vCPUs with {@code EVTCHNOP_send} (any thread). */
    public long eventSends() {
        long n = 0;
        for (Vcpu v : vcpus) {
            n += v.eventSends();
        }
        return n;
    }

    /** Grant mappings this domain holds now (its maptrack handles in use). */
    public int grantMaps() {
        return maptrack.inUse();
    }

    /** Page faults delivered to all vCPUs (any thread). */
    public long faults() {
        long n = 0;
        for (Vcpu v : vcpus) {
            n += v.faults();
        }
        return n;
    }

    // ---------------------------------------------------------------- vCPUs

    /** Counts a vCPU's thread before it starts. */
    void vcpuThreadStarting() {
        liveVcpuThreads.incrementAndGet();
    }

    /** Called by a vCPU thread when it ends. */
    void vcpuExited(Vcpu v) {
        int left = liveVcpuThreads.decrementAndGet();
        if (left == 0 && mayRun() && !bare) {
            // Every vCPU's entry returned without a shutdown: nothing can run it again.
            shutdown(Shutdown.POWEROFF, null);
        }
    }

    /**
     * {@code VCPUOP_down} of {@code v}: marks it down, so it stops at its next safe point;
     * taking down the last vCPU that is up powers the domain off instead, as Xen does.
     */
    void vcpuDown(Vcpu v) {
        boolean last = true;
        synchronized (this) {
            for (Vcpu other : vcpus) {
                if (other != v && other.isUp()) {
                    last = false;
                    break;
                }
            }
            if (!last) {
                v.sched().markDown();
            }
        }
        if (last) {
            shutdown(Shutdown.POWEROFF, null);
        } else {
            v.requestPreempt();
        }
    }

    /**
     * Raises VIRQ_TIMER on {@code v}: the timer interrupt, sent from the timer thread, which
     * never waits on a lock a vCPU may hold. Returns false when the event table was busy (a
     * vCPU is binding or closing a port) and the caller should retry shortly.
     */
    boolean tryRaiseTimer(Vcpu v) {
        return !mayRun() || events.trySendVirq(Virq.TIMER, v.id()) != EventChannels.VIRQ_BUSY;
    }

    // ---------------------------------------------------------------- lifecycle

    /** Pause: increments the pause count; vCPUs stop at their next safe point. */
    public void pause() {
        synchronized (this) {
            if (!mayRun()) {
                return;
            }
            pauseCount++;
            state = DomainState.PAUSED;
        }
        for (Vcpu v : vcpus) {
            v.requestPreempt();
        }
    }

    /** Unpause: decrements the pause count; at zero vCPUs resume. */
    public void unpause() {
        synchronized (this) {
            if (pauseCount == 0) {
                return;
            }
            if (--pauseCount == 0 && state == DomainState.PAUSED) {
                state = DomainState.RUNNING;
            }
        }
        for (Vcpu v : vcpus) {
            v.kick();
        }
    }

    /** Whether the domain is paused (vCPUs should wait at safe points). */
    public boolean pauseRequested() {
        return pauseCount > 0;
    }

    /** The controller's pause count (Xen's {@code controller_pause_count}). */
    public int pauseCount() {
        return pauseCount;
    }

    /**
     * XEN_DOMCTL_pausedomain ({@code domain_pause_by_systemcontroller}): one more pause, whatever
     * the domain's state; its vCPUs stop at their next safe point (asynchronously: Xen waits
     * for them to be descheduled). The count stops at {@link #MAX_CONTROLLER_PAUSES}.
     *
     * @return 0, or {@code -EOVERFLOW} when the count would pass 255
     */
    public int pauseByController() {
        synchronized (this) {
            if (pauseCount >= MAX_CONTROLLER_PAUSES) {
                return -org.parasol.hypercall.Errno.EOVERFLOW;
            }
            pauseCount++;
            if (mayRun()) {
                state = DomainState.PAUSED;
            }
        }
        for (Vcpu v : vcpus) {
            v.requestPreempt();
        }
        return 0;
    }

    /**
     * XEN_DOMCTL_unpausedomain ({@code domain_unpause_by_systemcontroller}): one pause less; at
     * zero the vCPUs that are up run (for a created domain: its first start).
     *
     * @return 0, or {@code -EINVAL} when the domain is not paused by its controller
     */
    public int unpauseByController() {
        synchronized (this) {
            if (pauseCount == 0) {
                return -org.parasol.hypercall.Errno.EINVAL;
            }
            if (--pauseCount == 0 && state == DomainState.PAUSED) {
                state = DomainState.RUNNING;
            }
        }
        for (Vcpu v : vcpus) {
            v.kick();
        }
        return 0;
    }

    /** Xen's limit on the controller's pause count, which keeps it from overflowing. */
    public static final int MAX_CONTROLLER_PAUSES = 255;

    /**
     * Waits until every vCPU is at a safe point or blocked (not running guest code), up to
     * {@code timeoutNanos}; returns the vCPUs that did not get there.
     */
    public List<Integer> awaitQuiescent(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        List<Integer> busy = new ArrayList<>();
        for (Vcpu v : vcpus) {
            while (v.inGuest() && !bare && System.nanoTime() < deadline) {
                v.requestPreempt();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (v.inGuest() && !bare) {
                busy.add(v.id());
            }
        }
        return busy;
    }

    /**
     * A TLB shootdown: asks every vCPU of the domain to flush its TLB and waits until each
     * has acknowledged (at its next guest access or safe point) or is not running guest code
     * (blocked, paused, offline: it acknowledges before it runs guest code again). After this
     * returns no vCPU can use a translation that existed before the call. Returns false if a
     * vCPU neither acknowledged nor stopped within {@code timeoutNanos}.
     */
    public boolean flushTlbs(long timeoutNanos) {
        if (org.parasol.hypervisor.jfr.JfrSwitch.tlbShootdown) {
            return flushTlbsRecorded(timeoutNanos);
        }
        return flushTlbs(timeoutNanos, null);
    }

    /** {@link #flushTlbs(long)} inside a {@code parasol.TlbShootdown} event. */
    private boolean flushTlbsRecorded(long timeoutNanos) {
        org.parasol.hypervisor.jfr.TlbShootdownEvent e = new org.parasol.hypervisor.jfr.TlbShootdownEvent();
        e.begin();
        int[] waited = new int[1];
        boolean completed = flushTlbs(timeoutNanos, waited);
        e.end();
        if (e.shouldCommit()) {
            e.domid = domid;
            e.vcpus = vcpus.length;
            e.waitedFor = waited[0];
            e.completed = completed;
            e.commit();
        }
        return completed;
    }

    /** The shootdown; counts into {@code waited[0]} (when given) the vCPUs it had to wait for. */
    private boolean flushTlbs(long timeoutNanos, int[] waited) {
        long deadline = System.nanoTime() + timeoutNanos;
        for (Vcpu v : vcpus) {
            v.requestFlush();
        }
        Vcpu self = null;
        for (Vcpu v : vcpus) {
            if (v.onOwnThread()) {
                self = v;
            }
        }
        for (int i = 0; i < vcpus.length; i++) {
            Vcpu v = vcpus[i];
            if (waited != null && v.mmu().flushAcked() < v.mmu().flushRequested() && v.inGuest() && !v.onOwnThread()) {
                waited[0]++;
            }
            // Waiting for the latest generation (ours, or a later request's) allocates nothing
            // and is at least as strong as waiting for ours.
            while (v.mmu().flushAcked() < v.mmu().flushRequested() && v.inGuest() && !v.onOwnThread()) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                if (self != null) {
                    // Another vCPU may be shooting down our TLB while we wait for its.
                    self.ackFlushRequest();
                }
                Thread.onSpinWait();
            }
            if (v.onOwnThread()) {
                v.mmu().flushTlb();
            }
        }
        return true;
    }

    /**
     * Xen's {@code d->shutdown_code}: the reason the domain shut down with, else the code
     * SCHEDOP_shutdown_code latched, else -1 ({@code SHUTDOWN_CODE_INVALID}).
     */
    public int shutdownCode() {
        int reason = shutdownReason;
        return reason >= 0 ? reason : shutdownCode;
    }

    /**
     * SCHEDOP_shutdown_code: latch the reason a later shutdown reports. Only the first code
     * counts, as Xen keeps {@code shutdown_code} once it is set.
     */
    public synchronized void setShutdownCode(int reason) {
        if (shutdownCode < 0) {
            shutdownCode = reason;
        }
    }

    /**
     * Shuts the domain down with {@code reason}: every vCPU stops at its next safe point and
     * the on_* action of the config follows (on a hypervisor thread). Idempotent.
     */
    public void shutdown(int reason, String cause) {
        shutdown(reason, cause, null);
    }

    /**
     * The shutdown itself; {@code lastWords} (may be null) go to the console before it closes.
     * Returns whether this call shut the domain down (false: it had already stopped).
     */
    private boolean shutdown(int reason, String cause, byte[] lastWords) {
        synchronized (this) {
            if (!mayRun()) {
                return false;
            }
            int latched = shutdownCode;
            shutdownReason = latched >= 0 ? latched : reason;
            if (cause != null) {
                crashCause = cause;
            }
            state = DomainState.SHUTDOWN;
            endedAt = host.systemTime();
        }
        if (lastWords != null) {
            console.write(lastWords, 0, lastWords.length);
        }
        stopWatchdogs();
        for (Vcpu v : vcpus) {
            v.requestAbort();
            v.timers().stopAll();
        }
        console.close();
        host.domainShutDown(this);
        return true;
    }

    /**
     * Crashes the domain: logs its name and cause and shuts it down with reason crash. The
     * cause is a host-made string (see {@link GuestThrowables}): guest objects never reach the
     * host's logs. Only the first of several racing crashes is logged.
     */
    public void crash(String cause) {
        crash(cause, null);
    }

    /**
     * Crashes the domain because the hypervisor itself failed on its behalf ({@code hostFault}
     * is a hypervisor exception, logged with its stack trace; never a guest's throwable).
     */
    public void crash(String cause, Throwable hostFault) {
        byte[] line = ("[parasol] domain crashed: " + cause + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (!shutdown(Shutdown.CRASH, cause, line)) {
            return;
        }
        if (hostFault != null) {
            LOG.log(System.Logger.Level.WARNING, "domain " + name() + " (" + domid + ") crashed: " + cause, hostFault);
        } else {
            LOG.log(System.Logger.Level.WARNING, "domain " + name() + " (" + domid + ") crashed: " + cause);
        }
    }

    /**
     * Destroys the domain: stops every vCPU, waits for their threads up to
     * {@code timeoutNanos}, then returns every resource ({@link DomainBuilder#destroy}).
     * Returns false (and leaves the domain a zombie holding its frames) when a vCPU never
     * reached a safe point.
     */
    public boolean destroy(long timeoutNanos) {
        return DomainBuilder.destroy(this, timeoutNanos);
    }

    /**
     * The first step of a destroy: the domain is dying (or stays a zombie). Returns false if
     * it is already dead.
     */
    synchronized boolean beginDestroy() {
        if (state == DomainState.DEAD) {
            return false;
        }
        if (state != DomainState.ZOMBIE) {
            if (mayRun()) {
                endedAt = host.systemTime();
            }
            state = DomainState.DYING;
        }
        return true;
    }

    /**
     * Stops every vCPU and waits for their threads, up to {@code timeoutNanos}; returns false,
     * leaving the domain a zombie, when one does not come back.
     */
    boolean stopVcpus(long timeoutNanos) {
        askVcpusToStop();
        long deadline = System.nanoTime() + timeoutNanos;
        for (Vcpu v : vcpus) {
            Thread t = v.thread();
            if (t == null || bare || t == Thread.currentThread()) {
                continue;
            }
            boolean exited;
            try {
                // A latch the vCPU's thread counts down as it ends: never Thread.join, whose
                // monitor is the thread object, which guest code running on it could hold.
                exited = v.awaitExit(Math.max(0, deadline - System.nanoTime()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exited = false;
            }
            if (!exited) {
                state = DomainState.ZOMBIE;
                LOG.log(System.Logger.Level.ERROR, "domain " + name() + " (" + domid + "): vCPU " + v.id()
                        + " never reached a safe point; left as a zombie holding " + pages.totPages() + " pages");
                return false;
            }
        }
        return true;
    }

    /** Asks every vCPU to stop at its next safe point and stops its timers and the watchdogs. */
    void askVcpusToStop() {
        stopWatchdogs();
        for (Vcpu v : vcpus) {
            v.requestAbort();
            v.timers().stopAll();
        }
    }

    /** Whether every vCPU's thread has ended (or never started): a destroy need not wait. */
    boolean vcpusStopped() {
        for (Vcpu v : vcpus) {
            Thread t = v.thread();
            if (t == null || bare || t == Thread.currentThread()) {
                continue;
            }
            try {
                if (!v.awaitExit(0)) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** When a domctl destroy first asked the vCPUs to stop: set once, to {@code now} if unset. */
    long destroyAskedAt(long now) {
        destroyAskedAt.compareAndSet(0, now == 0 ? 1 : now);
        return destroyAskedAt.get();
    }

    /** The last step of a destroy: every resource is back; whoever waits for the death is told. */
    void died() {
        synchronized (devicesLock) {
            state = DomainState.DEAD;
            AtaDisk disk = ata;
            if (disk != null) {
                disk.close();
            }
            EmulatedNic n = nic;
            if (n != null) {
                n.close();
            }
        }
        dead.countDown();
    }

    /** Waits until the domain is dead; returns whether it got there in time. */
    public boolean awaitDeath(long timeout, TimeUnit unit) throws InterruptedException {
        return dead.await(timeout, unit);
    }

    // ---------------------------------------------------------------- watchdog

    /**
     * SCHEDOP_watchdog: id 0 creates (returns 1..2, or -ENOSPC), id with timeout 0 destroys,
     * otherwise re-arms. Expiry shuts the domain down with reason watchdog.
     */
    public synchronized long watchdog(int id, long timeoutSeconds) {
        if (id == 0) {
            for (int i = 0; i < watchdogs.length; i++) {
                if (watchdogs[i] == null) {
                    final int slot = i;
                    watchdogs[i] = host.timers().newTimer(() -> watchdogExpired(slot));
                    watchdogs[i].set(host.clock().nanos() + timeoutSeconds * 1_000_000_000L);
                    return i + 1;
                }
            }
            return -org.parasol.hypercall.Errno.ENOSPC;
        }
        if (id < 1 || id > watchdogs.length || watchdogs[id - 1] == null) {
            return -org.parasol.hypercall.Errno.EINVAL;
        }
        if (timeoutSeconds == 0) {
            watchdogs[id - 1].stop();
            watchdogs[id - 1] = null;
            return 0;
        }
        watchdogs[id - 1].set(host.clock().nanos() + timeoutSeconds * 1_000_000_000L);
        return 0;
    }

    /** On the timer thread: the shutdown (which takes the domain's locks) runs on the host worker. */
    private void watchdogExpired(int slot) {
        host.hostWork(() -> {
            LOG.log(System.Logger.Level.WARNING, "domain " + name() + " (" + domid + "): watchdog " + (slot + 1) + " expired");
            shutdown(Shutdown.WATCHDOG, "watchdog " + (slot + 1) + " expired");
        });
    }

    private synchronized void stopWatchdogs() {
        for (int i = 0; i < watchdogs.length; i++) {
            if (watchdogs[i] != null) {
                watchdogs[i].stop();
                watchdogs[i] = null;
            }
        }
    }

    // ---------------------------------------------------------------- events

    /** Who the 2-level event ABI wakes: the vCPU marked events-pending, and every poller. */
    private final class Wakeups implements Event2l.Wakeups {
        @Override
        public void kick(int vcpu) {
            vcpus[vcpu].kick();
        }

        @Override
        public void wakePollers(int port) {
            for (Vcpu v : vcpus) {
                if (v.sched().polling()) {
                    v.kick();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "domain " + name() + " (" + domid + ", " + state.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
