package org.parasol.guest.kernel;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

import org.parasol.guest.console.Console;
import org.parasol.guest.event.EventDispatcher;
import org.parasol.guest.grant.GrantMapper;
import org.parasol.guest.grant.GrantTable;
import org.parasol.guest.mm.Balloon;
import org.parasol.guest.mm.GuestHeap;
import org.parasol.guest.mm.Memory;
import org.parasol.guest.mm.P2m;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.mm.PageTables;
import org.parasol.guest.pvops.PvOps;
import org.parasol.guest.pvops.XenPvOps;
import org.parasol.guest.x86.NativeOps;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.RunLoop;
import org.parasol.guest.sched.Timer;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.Gnttab;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.Sif;
import org.parasol.hypercall.abi.TrapVector;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.GrantTableCalls;
import org.parasol.hypercall.guest.MemoryOpCalls;
import org.parasol.hypercall.guest.VcpuOpCalls;
import org.parasol.hypercall.struct.StartInfo;

/**
 * The Parasol guest kernel: boots a paravirtual domain from {@code start_info} and runs a
 * {@link GuestApplication} on a cooperative run loop. Our Mini-OS.
 *
 * <p>{@link #boot} is the whole boot sequence, in the order it happens; read it top to
 * bottom (docs/journey.md walks through it):
 * <ol>
 *   <li>check the {@code start_info} magic;</li>
 *   <li>take over the P2M list and the bootstrap page tables; the first free page becomes
 *       the hypercall argument page;</li>
 *   <li>map {@code shared_info} with {@code update_va_mapping};</li>
 *   <li>stop the default periodic timer (the kernel is tickless);</li>
 *   <li>register the event callback and the page-fault handler by code address (natively:
 *       gates in the kernel's IDT, the callback's vector given to {@code HVMOP_set_param});</li>
 *   <li>find the end of the builder's mappings and start the page allocator and the heap;</li>
 *   <li>bind {@code VIRQ_TIMER} (natively: the local APIC timer's gate, or the PIT's IRQ 0)
 *       and the IPI other vCPUs wake this one with, enable events, print the banner;</li>
 *   <li>when {@code start_info} names a store, queue a task that watches
 *       {@code control/shutdown} for the toolstack's requests ({@link ShutdownWatcher}); a
 *       domain without a store (dom0, domains the host builds itself) skips it;</li>
 *   <li>queue the application's {@code main}, then run the loop, for ever.</li>
 * </ol>
 *
 * <p>Every privileged operation goes through one {@link PvOps}; the boot builds the
 * paravirtual one ({@link XenPvOps}). The domain ends only through {@link #poweroff},
 * {@link #reboot} or {@link #crash}, or a toolstack request the {@link ShutdownWatcher} took,
 * each of which flushes the console first.
 *
 * <p>Invariants: one kernel per domain, running on vCPU 0's thread; applications call it only
 * from tasks (never from another thread, which the hypervisor would treat as a crash).
 */
public final class Kernel {
    /** The kernel's name and version, as the banner prints them. */
    public static final String VERSION = "Parasol guest kernel 0.1";
    /**
     * Where the grant table's frames are mapped: just above {@code shared_info}, under the
     * L1 table the builder left there, so mapping them needs no page-table page.
     */
    public static final long GRANT_TABLE_VA = StartOfDay.SHARED_INFO_VA + Mmu.PAGE_SIZE;
    /** Grant-table frames the kernel sets up (512 references each). */
    public static final int GRANT_FRAMES = 1;
    /**
     * Where other domains' grants are mapped ({@link #grantMapper()}): a window of
     * {@value #GRANT_MAP_SLOTS} pages at 1 TiB (the third L4 slot), above the linear map of any
     * domain this host can build, under page tables made on first use of each 2 MiB of it. (It
     * was at 4 GiB, where the linear map of a domain of 4 GiB, which starts at 4 MiB, reaches.)
     */
    public static final long GRANT_MAP_VA = 1L << 40;
    /**
     * Pages in the grant-mapping window: 32 MiB of address space, 16 L1 tables at most. A back
     * end maps every device's rings here and, with persistent grants, the front ends' data pages
     * for the life of a connection; 8192 holds several guests streaming through blkback's
     * persistent grants at once (a guest's share is capped by the back end, see
     * {@code BlkBackend}). What the window costs: an L1 table (4 KiB) for each 2 MiB of it in
     * use, and the free list's 32 KiB; a mapped page is the granter's frame, not this domain's.
     */
    public static final int GRANT_MAP_SLOTS = 8192;
    /** First retry of a grant whose end of access was deferred, ns. */
    private static final long GRANT_SWEEP_NS = 1_000_000L;

    private final Cpu cpu;
    private final BootInfo bootInfo;
    private final PvOps ops;
    private final Console console;
    private final Memory memory;
    private final GuestHeap heap;
    private final EventDispatcher events;
    private final EventChannelCalls eventCalls;
    private final ArgumentPage args;
    private final RunLoop loop;
    /** The IPI port secondary vCPUs wake vCPU 0 with; bound at boot. */
    private Port bootIpiPort;
    private GrantTable grants;
    private GrantMapper grantMapper;
    private boolean grantSweepArmed;
    private Xenbus xenbus;
    private ShutdownWatcher shutdownWatcher;
    private BalloonDriver balloonDriver;
    private VcpuHotplug hotplug;
    /** Each secondary vCPU's bring-up, by id, once started (by the application or hot-plug). */
    @SuppressWarnings("unchecked")
    private final Promise<SecondaryVcpu>[] secondaries = new Promise[VcpuHotplug.MAX_VCPUS];
    private org.parasol.guest.console.ConsoleInput consoleInput;

    private Kernel(Cpu cpu, BootInfo bootInfo, PvOps ops, Console console, Memory memory, EventDispatcher events,
            EventChannelCalls eventCalls, ArgumentPage args) {
        this.cpu = cpu;
        this.bootInfo = bootInfo;
        this.ops = ops;
        this.console = console;
        this.memory = memory;
        this.heap = new GuestHeap(memory);
        this.events = events;
        this.eventCalls = eventCalls;
        this.args = args;
        this.loop = new RunLoop(ops, this::crash);
    }

    /**
     * Boots the kernel on vCPU 0 from the {@code start_info} at {@code startInfoVa} and runs
     * {@code app}. Returns only by unwinding ({@link GuestAbort}) when the domain ends.
     */
    public static void boot(Cpu cpu, long startInfoVa, GuestApplication app) {
        Objects.requireNonNull(app, "app");
        GuestMemory mem = cpu.memory();

        // 1. start_info: is this really a 64-bit PV start of day? Copy it out and check.
        SegmentBuffer copy = SegmentBuffer.allocate(StartInfo.SIZE);
        mem.copyToSegment(startInfoVa, copy.segment(), 0, StartInfo.SIZE);
        StartInfo si = new StartInfo().wrap(copy, 0);
        if (!si.magic().startsWith(Sif.MAGIC_X86_64)) {
            throw new IllegalStateException("start_info magic '" + si.magic() + "' is not " + Sif.MAGIC_X86_64);
        }
        BootInfo info = new BootInfo(si.nrPages(), si.sharedInfo(), si.flags(), si.mfnList(), si.ptBase(),
                si.nrPtFrames(), si.storeMfn(), si.storeEvtchn(), si.consoleMfn(), si.consoleEvtchn(), si.cmdLine(),
                si.modStart(), si.modLen());

        // 2. Take over the P2M list and the bootstrap page tables. The page after the tables is
        //    the first free one; it becomes this vCPU's hypercall argument page.
        P2m p2m = new P2m(mem, info.mfnList(), info.nrPages());
        long ptPfn = Memory.pfn(info.ptBase());
        long argumentPagePfn = ptPfn + info.nrPtFrames();
        ArgumentPage args = new ArgumentPage(Memory.va(argumentPagePfn));
        //    On emulated hardware (SIF_PARASOL_NATIVE) the page after it holds the kernel's
        //    privileged text, and the next its IDT: the operations are instructions, not hypercalls.
        boolean nativeOps = (info.flags() & Sif.PARASOL_NATIVE) != 0;
        NativeOps nativeImpl = nativeOps
                ? new NativeOps(cpu, args, StartOfDay.SHARED_INFO_VA, Memory.va(argumentPagePfn + 1))
                : null;
        PvOps ops = nativeOps ? nativeImpl : new XenPvOps(cpu, args, StartOfDay.SHARED_INFO_VA);
        PageTables tables = new PageTables(mem, ops, p2m.mfn(ptPfn), info.ptBase());
        for (long i = 1; i < info.nrPtFrames(); i++) {
            tables.adoptTable(p2m.mfn(ptPfn + i), info.ptBase() + (i << Mmu.PAGE_SHIFT));
        }
        if (nativeImpl != null) {
            nativeImpl.useTables(tables);
        }

        // 3. shared_info: the builder gave us its machine address; we choose where to see it.
        ops.setPteForVa(StartOfDay.SHARED_INFO_VA, info.sharedInfoMaddr() | PageTables.WRITABLE);

        // 4. Tickless: stop the 10 ms periodic timer every PV vCPU starts with.
        ops.stopPeriodicTick();

        // 5. Entry points, by code address: the event upcall and the page-fault handler.
        EventChannelCalls eventCalls = new EventChannelCalls(cpu, args);
        EventDispatcher events = new EventDispatcher(cpu, eventCalls, StartOfDay.SHARED_INFO_VA);
        Console console = new Console(ops);
        ops.installEventCallback(c -> {
            try {
                events.upcall(c);
            } catch (GuestAbort abort) {
                throw abort;
            } catch (Throwable failure) {
                oops(ops, console, "*** guest crash in an event handler: " + failure, failure);
            }
        });
        ops.installTrapHandler(TrapVector.PF, (c, vector, errorCode, address) ->
                pageFault(ops, console, errorCode, address));
        //    On emulated hardware the exceptions an instruction raises come through the IDT too:
        //    an exception-table fixup, or an oops (Linux's do_error_trap). Then the MSR probe.
        if (nativeImpl != null) {
            TrapHandler trap = (c, vector, errorCode, address) -> nativeException(nativeImpl, console, c, vector,
                    errorCode);
            ops.installTrapHandler(TrapVector.DE, trap);
            ops.installTrapHandler(TrapVector.UD, trap);
            ops.installTrapHandler(TrapVector.GP, trap);
            nativeImpl.probeMiscFeatures();
        }

        // 6. Memory: the allocator starts after the argument page; frames beyond what the
        //    builder mapped are mapped the first time they are allocated. A domain with a store
        //    whose max_pages is above its size gets room to balloon up to it.
        long firstFree = argumentPagePfn + (nativeOps ? 3 : 1);
        long mappedEnd = Memory.probeMappedEnd(tables, firstFree, info.nrPages());
        long maxPfn = nativeOps || info.storeMfn() == 0 || info.storeEvtchn() == 0 ? info.nrPages()
                : balloonRoom(info.nrPages(), new MemoryOpCalls(cpu, args).maximumReservation(DomId.SELF));
        Memory memory = new Memory(mem, ops, p2m, tables, firstFree, mappedEnd, maxPfn);
        Kernel kernel = new Kernel(cpu, info, ops, console, memory, events, eventCalls, args);

        // 7. The timer event wakes the run loop: VIRQ_TIMER, or on emulated hardware the local
        //    APIC timer's interrupt through the IDT — or, with "clock=pit" on the command line, the
        //    8254 PIT's IRQ 0 in its place (as Linux's clock= parameter once chose). Then events
        //    on, and the banner.
        if (nativeImpl == null) {
            events.bindVirq(Virq.TIMER, port -> kernel.loop.timerEvent());
        } else if (hasWord(info.commandLine(), CommandLine.CLOCK + "=pit")) {
            nativeImpl.usePitTick(() -> kernel.loop.timerEvent());
        } else {
            nativeImpl.useLocalApicTick(() -> kernel.loop.timerEvent());
        }
        kernel.bootIpiPort = events.bindIpi(0, port -> kernel.loop.takePosted()).port();
        ops.restoreEvents(true);
        console.println(VERSION + " on " + ops.platformName() + ": " + info.nrPages() + " pages ("
                + memory.frames().freeFrames() + " free, " + (mappedEnd - firstFree) + " mapped at boot), "
                + "command line '" + info.commandLine() + "'");
        if (nativeImpl != null && nativeImpl.pitTick()) {
            console.println("timer: 8254 PIT channel 0, mode 2 at " + NativeOps.PIT_TICK_HZ + " Hz on IRQ 0");
        }

        // 8. With a store, the toolstack's shutdown requests are heard from the start; the watch
        //    is registered asynchronously, so main is not held up by it.
        if (kernel.hasStore()) {
            kernel.loop.execute(() -> kernel.watchShutdown(app));
            //    The balloon and vCPU hot-plug too (a kernel on emulated hardware has neither).
            if (!nativeOps) {
                kernel.loop.execute(kernel::startBalloonAndHotplug);
            }
        }

        // 9. The application's main is the first task; the loop runs until the domain ends.
        kernel.loop.execute(() -> kernel.startApplication(app));
        kernel.loop.run();
    }

    /**
     * The PFNs the kernel makes room for: {@code max_pages} from
     * {@code XENMEM_maximum_reservation}, at most {@value #EXTRA_MEM_RATIO} times the built size
     * (Linux's {@code EXTRA_MEM_RATIO}: the P2M list for more would cost too much of a small
     * domain); the built size when the call fails or names less.
     */
    static long balloonRoom(long nrPages, long maxReservation) {
        if (maxReservation <= nrPages) {
            return nrPages;
        }
        return Math.min(maxReservation, Math.min(nrPages * EXTRA_MEM_RATIO, Integer.MAX_VALUE));
    }

    /** How many times its built size a domain may balloon up to. */
    static final long EXTRA_MEM_RATIO = 10;

    private void startBalloonAndHotplug() {
        MemoryOpCalls memoryOps = new MemoryOpCalls(cpu, args);
        Balloon balloon = new Balloon(memory, new Balloon.Reservation() {
            @Override
            public long decrease(long[] mfns, int n) {
                return memoryOps.reservation(MemoryOp.DECREASE_RESERVATION, mfns, n, 0, 0, DomId.SELF);
            }

            @Override
            public long populate(long[] pfnsInMfnsOut, int n) {
                return memoryOps.reservation(MemoryOp.POPULATE_PHYSMAP, pfnsInMfnsOut, n, 0, 0, DomId.SELF);
            }
        });
        balloonDriver = new BalloonDriver(xenbus(), loop, balloon, this::now, this::println);
        balloonDriver.start();
        VcpuOpCalls vcpuOps = new VcpuOpCalls(cpu, args);
        hotplug = new VcpuHotplug(xenbus(), loop, new VcpuHotplug.Vcpus() {
            @Override
            public void start(int k, Runnable started) {
                Promise<SecondaryVcpu> up;
                try {
                    up = secondaries[k] != null ? secondaries[k] : startVcpu(k, v -> { });
                } catch (IllegalStateException e) {
                    println("cpu hotplug: cannot start vCPU " + k + ": " + e.getMessage());
                    return;
                }
                up.whenDone((v, e) -> {
                    if (e == null) {
                        started.run();
                    }
                });
            }

            @Override
            public void playDead(int k) {
                SecondaryVcpu v = secondaries[k].value();
                post(v, v::playDead);
            }

            @Override
            public long isUp(int k) {
                return vcpuOps.isUp(k);
            }

            @Override
            public long up(int k) {
                return vcpuOps.up(k);
            }

            @Override
            public void after(long ns, Runnable action) {
                loop.at(now() + ns, action);
            }
        }, this::println);
        hotplug.start();
    }

    /** The balloon's driver, or null for a domain without a store (or before its first tasks ran). */
    public BalloonDriver balloonDriver() {
        return balloonDriver;
    }

    /** Watches {@code control/shutdown} and hands each request the kernel takes to {@code app}. */
    private void watchShutdown(GuestApplication app) {
        shutdownWatcher = new ShutdownWatcher(xenbus(), loop, false, new ShutdownWatcher.Actions() {
            @Override
            public Promise<?> request(ShutdownRequest request) {
                return app.onShutdownRequest(Kernel.this, request);
            }

            @Override
            public void shutdown(int reason) {
                Kernel.this.shutdown(reason);
            }

            @Override
            public void log(String line) {
                println(line);
            }
        });
        shutdownWatcher.start();
    }

    private void startApplication(GuestApplication app) {
        Promise<?> end = app.main(this);
        if (end != null) {
            end.whenDone((v, failure) -> {
                if (failure != null) {
                    crash(failure);
                } else {
                    poweroff();
                }
            });
        }
    }

    // ---------------------------------------------------------------- services

    /** The boot parameters. */
    public BootInfo bootInfo() {
        return bootInfo;
    }

    /** The kernel command line. */
    public String commandLine() {
        return bootInfo.commandLine();
    }

    /**
     * The boot module's bytes ({@code start_info.mod_start} and {@code mod_len}, as Xen hands
     * dom0 the modules its boot loader loaded), copied out of the domain's memory; empty when
     * there is none.
     *
     * @throws IllegalStateException if start_info places the module anywhere but in pages this
     *     domain has mapped since boot
     */
    public byte[] bootModule() {
        long len = bootInfo.modLen();
        if (len == 0) {
            return new byte[0];
        }
        long first = (bootInfo.flags() & Sif.MOD_START_PFN) != 0 ? bootInfo.modStart()
                : Memory.pfn(bootInfo.modStart());
        long pages = (len + Mmu.PAGE_SIZE - 1) / Mmu.PAGE_SIZE;
        if (len > Integer.MAX_VALUE - Mmu.PAGE_SIZE || first < 0 || first + pages > bootInfo.nrPages()
                || (bootInfo.flags() & Sif.MOD_START_PFN) == 0 && (bootInfo.modStart() & (Mmu.PAGE_SIZE - 1)) != 0) {
            throw new IllegalStateException("start_info's module (mod_start " + bootInfo.modStart() + ", mod_len " + len
                    + ") is not in this domain's pages");
        }
        for (long pfn = first; pfn < first + pages; pfn++) {
            if (!memory.isMapped(pfn)) {
                throw new IllegalStateException("start_info's module page " + pfn + " is not mapped");
            }
        }
        byte[] bytes = new byte[(int) len];
        cpu.memory().copyToSegment(Memory.va(first), java.lang.foreign.MemorySegment.ofArray(bytes), 0, len);
        return bytes;
    }

    /** This vCPU. */
    public Cpu cpu() {
        return cpu;
    }

    /** The privileged operations (for code that needs the machine below the kernel's services). */
    public PvOps pvOps() {
        return ops;
    }

    /**
     * vCPU 0's hypercall argument page, for applications that call hypercall-api's typed
     * wrappers ({@code org.parasol.hypercall.guest}) themselves.
     */
    public ArgumentPage argumentPage() {
        return args;
    }

    /** The console. */
    public Console console() {
        return console;
    }

    /** Prints {@code line} and a newline on the console. */
    public void println(String line) {
        console.println(line);
    }

    /** The page allocator, page tables and P2M. */
    public Memory memory() {
        return memory;
    }

    /** The guest-memory buffer heap. */
    public GuestHeap heap() {
        return heap;
    }

    /** Event channels; wrap handlers with {@link RunLoop#deferred} to run them as tasks. */
    public EventDispatcher events() {
        return events;
    }

    /** This vCPU's run loop: tasks, timers, promises. */
    public RunLoop loop() {
        return loop;
    }

    /** Monotonic system time, ns since the hypervisor booted. */
    public long now() {
        return ops.systemTime();
    }

    /** Wall-clock time. */
    public Instant wallClock() {
        long ns = ops.wallClock();
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
    }

    /** A promise completed with the system time at which {@code d} has passed. */
    public Promise<Long> sleep(Duration d) {
        return loop.sleep(d.toNanos());
    }

    /** Runs {@code action} as a task after {@code d}. */
    public Timer after(Duration d, Runnable action) {
        return loop.at(now() + d.toNanos(), action);
    }

    /** Queues {@code task} on the run loop. */
    public void execute(Runnable task) {
        loop.execute(task);
    }

    // ---------------------------------------------------------------- grants

    /**
     * This domain's grant table (Mini-OS's {@code gnttab.c}), set up on first use:
     * {@code GNTTABOP_setup_table} for {@value #GRANT_FRAMES} frame(s), which the kernel maps
     * at {@link #GRANT_TABLE_VA} with {@code update_va_mapping}. Each grant is a
     * {@link org.parasol.guest.grant.GrantedPage}; closing it ends the access, and an end the
     * hypervisor still holds up (a copy in progress, a live mapping) is retried on a run-loop
     * timer with back-off, never spun on.
     *
     * @throws IllegalStateException if the hypervisor refuses the table
     */
    public GrantTable grants() {
        if (grants == null) {
            long[] frames = new long[GRANT_FRAMES];
            GrantTableCalls.Status s = new GrantTableCalls(cpu, args).setupTable(DomId.SELF, frames);
            if (!s.ok()) {
                throw new IllegalStateException("GNTTABOP_setup_table failed: " + s);
            }
            for (int i = 0; i < frames.length; i++) {
                ops.setPteForVa(GRANT_TABLE_VA + ((long) i << Mmu.PAGE_SHIFT), (frames[i] << Mmu.PAGE_SHIFT) | PageTables.WRITABLE);
            }
            grants = new GrantTable(cpu.memory(), GRANT_TABLE_VA, frames.length * Gnttab.ENTRIES_PER_FRAME_V1,
                    this::now, this::armGrantSweep);
        }
        return grants;
    }

    /**
     * Maps other domains' grants into this one ({@code GNTTABOP_map_grant_ref} into the
     * window at {@link #GRANT_MAP_VA}); each mapping is closed to unmap it.
     */
    public GrantMapper grantMapper() {
        if (grantMapper == null) {
            if (Memory.va(memory.maxPfn()) > GRANT_MAP_VA) {
                throw new IllegalStateException("this domain's linear map (" + memory.maxPfn()
                        + " pages from " + StartOfDay.VIRT_BASE + ") reaches the grant-mapping window at " + GRANT_MAP_VA);
            }
            grantMapper = new GrantMapper(new GrantTableCalls(cpu, args), GRANT_MAP_VA, GRANT_MAP_SLOTS,
                    memory::ensurePageTable);
        }
        return grantMapper;
    }

    /** A grant's end of access was deferred: retry the deferred ends on a timer until none is left. */
    private void armGrantSweep() {
        if (grantSweepArmed) {
            return;
        }
        grantSweepArmed = true;
        loop.at(now() + GRANT_SWEEP_NS, () -> {
            grantSweepArmed = false;
            if (grants.processDeferred(now()) > 0) {
                armGrantSweep();
            }
        });
    }

    // ---------------------------------------------------------------- xenbus

    /** Whether {@code start_info} names a store page and port ({@link #xenbus()} can be made). */
    public boolean hasStore() {
        return bootInfo.storeMfn() != 0 && bootInfo.storeEvtchn() != 0;
    }

    /**
     * The watcher of the toolstack's shutdown requests, or null for a domain without a store
     * (or before its first task ran).
     */
    public ShutdownWatcher shutdownWatcher() {
        return shutdownWatcher;
    }

    /**
     * The xenbus client over the store page and store event channel the builder put in
     * {@code start_info} ({@code store_mfn}, {@code store_evtchn}), made on first use. The page
     * is one of the domain's own, mapped at its linear address since boot; the channel is
     * already bound to xenstored, so the kernel only attaches its handler, which runs the
     * client as a task ({@link RunLoop#deferred}).
     *
     * @throws IllegalStateException if {@code start_info} names no store page, or one the
     *         domain does not have mapped
     */
    public Xenbus xenbus() {
        if (xenbus == null) {
            long mfn = bootInfo.storeMfn();
            if (mfn == 0 || bootInfo.storeEvtchn() == 0) {
                throw new IllegalStateException("start_info names no store page (store_mfn " + mfn + ", store_evtchn "
                        + bootInfo.storeEvtchn() + ")");
            }
            long pfn = memory.p2m().pfnOf(mfn);
            if (pfn < 0 || !memory.isMapped(pfn)) {
                throw new IllegalStateException("the store page (mfn " + mfn + ") is not one of the domain's mapped pages");
            }
            Port port = Port.of((int) bootInfo.storeEvtchn());
            Xenbus client = new Xenbus(loop, new GuestMemoryBuffer(cpu.memory(), Memory.va(pfn), Mmu.PAGE_SIZE), 0,
                    () -> eventCalls.send(port));
            events.attach(port, loop.deferred(p -> client.onEvent()));
            xenbus = client;
        }
        return xenbus;
    }

    // ---------------------------------------------------------------- console input

    /** Whether {@code start_info} names a console ring and port ({@link #consoleInput()} can be made). */
    public boolean hasConsoleRing() {
        return bootInfo.consoleMfn() != 0 && bootInfo.consoleEvtchn() != 0;
    }

    /**
     * Console input, made on first use: what a user types at {@code parasol console}, cut into
     * lines ({@link org.parasol.guest.console.ConsoleInput}). A paravirtual kernel reads the PV
     * console ring the builder put in {@code start_info} ({@code console.domU.mfn},
     * {@code console.domU.evtchn}): the page is one of the domain's own, mapped at its linear
     * address since boot; the port is already bound to the back end, so the kernel only
     * attaches its handler, which reads the ring as a task. A kernel on emulated hardware reads
     * COM1 instead, on IRQ 4 ({@link org.parasol.guest.x86.UartInput}), where the host sends a
     * native domain's input; the ring is not read.
     *
     * @throws IllegalStateException if a paravirtual kernel's {@code start_info} names no
     *         console ring (dom0, a domain the launcher built), or one the domain does not have mapped
     */
    public org.parasol.guest.console.ConsoleInput consoleInput() {
        if (consoleInput == null && ops instanceof NativeOps n) {
            org.parasol.guest.x86.UartInput uart = new org.parasol.guest.x86.UartInput(loop, n);
            org.parasol.guest.console.ConsoleInput input = new org.parasol.guest.console.ConsoleInput(uart);
            consoleInput = input;
            uart.start(input);
        }
        if (consoleInput == null) {
            long mfn = bootInfo.consoleMfn();
            if (!hasConsoleRing()) {
                throw new IllegalStateException("start_info names no console ring (console.domU.mfn " + mfn
                        + ", evtchn " + bootInfo.consoleEvtchn() + ")");
            }
            long pfn = memory.p2m().pfnOf(mfn);
            if (pfn < 0 || !memory.isMapped(pfn)) {
                throw new IllegalStateException("the console page (mfn " + mfn + ") is not one of the domain's mapped pages");
            }
            Port port = Port.of((int) bootInfo.consoleEvtchn());
            org.parasol.guest.console.ConsoleInput input = new org.parasol.guest.console.ConsoleInput(
                    new GuestMemoryBuffer(cpu.memory(), Memory.va(pfn), Mmu.PAGE_SIZE), () -> eventCalls.send(port));
            events.attach(port, loop.deferred(p -> input.poll()));
            consoleInput = input;
            // Whatever was typed before the handler was attached.
            loop.execute(input::poll);
        }
        return consoleInput;
    }

    // ---------------------------------------------------------------- secondary vCPUs

    /** The most vCPUs {@link #vcpus} looks for (Xen's {@code XEN_LEGACY_MAX_VCPUS}). */
    public static final int MAX_VCPUS = 32;

    /**
     * How many vCPUs the domain has: ids from 0 up to the first that {@code VCPUOP_is_up}
     * answers {@code -ENOENT} for, at most {@value #MAX_VCPUS} (Linux counts its possible CPUs
     * the same way at boot). Up or down does not matter: each can be started with
     * {@link #startVcpu}.
     */
    public int vcpus() {
        VcpuOpCalls vcpuOps = new VcpuOpCalls(cpu, args);
        int n = 1;
        while (n < MAX_VCPUS && vcpuOps.isUp(n) >= 0) {
            n++;
        }
        return n;
    }

    /**
     * Brings up vCPU {@code vcpu} running the kernel ({@code VCPUOP_initialise} with a
     * context naming the new vCPU's entry point and this address space, then
     * {@code VCPUOP_up}) and runs {@code main} there as its first task.
     *
     * @return a promise completed on this vCPU once the new one takes posted tasks
     * @throws IllegalStateException if the hypervisor refuses (no such vCPU, already up)
     */
    public Promise<SecondaryVcpu> startVcpu(int vcpu, SecondaryVcpu.Main main) {
        Objects.requireNonNull(main, "main");
        if (vcpu > 0 && vcpu < secondaries.length && secondaries[vcpu] != null) {
            // Hot-plug brought it up already (idle): main runs there as a posted task.
            if (hotplug != null && hotplug.state(vcpu) != VcpuHotplug.ONLINE
                    && hotplug.state(vcpu) != VcpuHotplug.STARTING) {
                throw new IllegalStateException("vCPU " + vcpu + " is offline (cpu/" + vcpu + "/availability)");
            }
            Promise<SecondaryVcpu> ready = loop.promise();
            secondaries[vcpu].whenDone((v, e) -> {
                if (e != null) {
                    ready.fail(e);
                    return;
                }
                post(v, () -> main.run(v));
                ready.complete(v);
            });
            return ready;
        }
        Promise<SecondaryVcpu> up = loop.promise();
        // On emulated hardware the argument page is followed by the vCPU's privileged text and IDT.
        boolean nativeOps = ops instanceof NativeOps;
        PageRun argumentPage = memory.allocatePages(nativeOps ? 3 : 1);
        SecondaryVcpu secondary = new SecondaryVcpu(this, vcpu, argumentPage.va(), nativeOps, main, up);
        // vcpu_guest_context is 5168 bytes: two pages, given back once the hypervisor copied it.
        PageRun context = memory.allocatePages(2);
        try {
            VcpuOpCalls vcpuOps = new VcpuOpCalls(cpu, args);
            long rc = vcpuOps.initialise(vcpu, context.va(), 0, cpu.registerCode(secondary), 0, 0,
                    memory.pageTables().l4Mfn() << Mmu.PAGE_SHIFT, 0, 0);
            if (rc < 0) {
                memory.freePages(argumentPage);
                throw new IllegalStateException("VCPUOP_initialise(" + vcpu + ") failed: " + rc);
            }
            rc = vcpuOps.up(vcpu);
            if (rc < 0) {
                throw new IllegalStateException("VCPUOP_up(" + vcpu + ") failed: " + rc);
            }
        } finally {
            memory.freePages(context);
        }
        if (vcpu > 0 && vcpu < secondaries.length) {
            secondaries[vcpu] = up;
        }
        return up;
    }

    /**
     * Posts {@code task} to {@code target}'s run loop and wakes it with its IPI.
     *
     * @throws IllegalStateException if {@code target} is not up yet (wait for
     *     {@link #startVcpu}'s promise)
     */
    public void post(SecondaryVcpu target, Runnable task) {
        Port port = target.ipiPort();
        if (port == null) {
            throw new IllegalStateException("vCPU " + target.id() + " is not up yet");
        }
        target.loop().post(task);
        eventCalls.send(port);
    }

    /** The IPI port secondary vCPUs wake vCPU 0 with. */
    Port bootIpiPort() {
        return bootIpiPort;
    }

    // ---------------------------------------------------------------- shutdown

    /** Flushes the console and powers the domain off. Does not return. */
    public void poweroff() {
        shutdown(Shutdown.POWEROFF);
    }

    /** Flushes the console and asks for a reboot. Does not return. */
    public void reboot() {
        shutdown(Shutdown.REBOOT);
    }

    /**
     * Prints {@code failure} with its stack trace (and causes) on the console, flushes it and
     * crashes the domain. Does not return. The run loop calls it for an exception escaping a
     * task; an exception escaping an event handler inside the upcall takes the same path.
     */
    public void crash(Throwable failure) {
        loop.stop();
        oops(ops, console, "*** guest crash: " + failure, failure);
    }

    /**
     * The one crash path (Linux's oops and panic): flush what the console holds, print the
     * headline and the stack trace, cancel the timer and crash the domain. Does not return.
     */
    static void oops(PvOps ops, Console console, String headline, Throwable trace) {
        console.flush();
        console.println(headline);
        printStackTrace(console, trace);
        console.flush();
        ops.programTimer(0);
        ops.shutdown(Shutdown.CRASH);
    }

    private void shutdown(int reason) {
        loop.stop();
        ops.programTimer(0);
        console.flush();
        ops.shutdown(reason);
    }

    /** Whether {@code word} is one of the whitespace-separated words of {@code line}. */
    static boolean hasWord(String line, String word) {
        if (line == null) {
            return false;
        }
        for (String w : line.trim().split("\\s+")) {
            if (w.equals(word)) {
                return true;
            }
        }
        return false;
    }

    private static void printStackTrace(Console console, Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 8; depth++) {
            if (depth > 0) {
                console.println("Caused by: " + t);
            }
            for (StackTraceElement e : t.getStackTrace()) {
                console.println("\tat " + e);
            }
            t = t.getCause() == t ? null : t.getCause();
        }
    }

    /**
     * The page-fault handler: the kernel maps everything it uses before touching it, so a
     * fault is a bug (a wild or null pointer). Like Linux's oops for a kernel-mode fault with
     * no fixup, it reports the address, the kind of access and where it happened, then crashes
     * the domain.
     */
    /**
     * An exception raised by one of the native kernel's instructions: the exception table's
     * fixup if the faulting instruction has one ({@code rdmsr_safe}), else an oops line in
     * Linux's words — {@code "general protection fault: 0000 [#1]"}, {@code "invalid opcode:
     * 0000 [#1]"}, {@code "divide error: 0000 [#1]"} — with the vector and the faulting
     * {@code rip}, and the domain is crashed (pvpanic).
     */
    static void nativeException(NativeOps ops, Console console, Cpu cpu, int vector, long errorCode) {
        if (ops.fixupException(vector)) {
            return;
        }
        String what = switch (vector) {
            case TrapVector.DE -> "divide error";
            case TrapVector.UD -> "invalid opcode";
            case TrapVector.GP -> "general protection fault";
            default -> "exception " + vector;
        };
        oops(ops, console, String.format("*** %s: %04x [#1] (vector %d) RIP: %04x:0x%x", what, errorCode & 0xFFFF,
                vector, NativeOps.KERNEL_CS, cpu.frameRip()), new Throwable(what));
    }

    static void pageFault(PvOps ops, Console console, long errorCode, long address) {
        oops(ops, console, String.format("*** page fault at 0x%x: %s of a %s page (error code 0x%x)", address,
                (errorCode & TrapVector.PFEC_WRITE) != 0 ? "write" : "read",
                (errorCode & TrapVector.PFEC_PRESENT) != 0 ? "read-only" : "not-present", errorCode),
                new Throwable("page fault"));
    }
}
