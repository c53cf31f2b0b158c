package org.parasol.guest.kernel;

import java.time.Duration;

import org.parasol.guest.console.Console;
import org.parasol.guest.event.EventDispatcher;
import org.parasol.guest.pvops.PvOps;
import org.parasol.guest.pvops.XenPvOps;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.RunLoop;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.VcpuEntry;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.TrapVector;
import org.parasol.guest.x86.NativeOps;

/**
 * A secondary vCPU running the kernel: its own run loop, timers, console and event
 * dispatcher, started by {@link Kernel#startVcpu} with {@code VCPUOP_initialise} and
 * {@code VCPUOP_up} (Mini-OS's and Linux's {@code cpu_bringup}).
 *
 * <pre>
 *  vCPU 0                                  vCPU n (this object's entry point)
 *  allocate an argument page
 *  VCPUOP_initialise(rip = this, cr3)  --&gt;
 *  VCPUOP_up                               stop the periodic tick, install the upcall,
 *                                          bind VIRQ_TIMER (natively: the LVT timer's gate
 *                                          in its own IDT) and an IPI, enable events
 *  startVcpu's promise completes   &lt;--     post "up" to vCPU 0; run main; run the loop
 *  kernel.post(v, task) --IPI--&gt;           the task runs on vCPU n's loop
 * </pre>
 *
 * <p>Work crosses vCPUs only by posting tasks ({@link Kernel#post}, {@link #postToBoot}):
 * each loop, its timers, its promises and its console belong to their own vCPU. The domain's
 * memory (page allocator, heap) belongs to vCPU 0; a secondary asks vCPU 0 for buffers by
 * posting a task there. An exception escaping a task here crashes the whole domain, with the
 * stack trace on the console, as on vCPU 0.
 *
 * <p>Invariants: the methods below other than {@link #id} are for code running on this vCPU
 * (its main and its tasks); other vCPUs reach it only through {@link Kernel#post}.
 */
public final class SecondaryVcpu implements VcpuEntry {
    /** What a secondary vCPU runs first, on its own thread, as its first task. */
    @FunctionalInterface
    public interface Main {
        /** Starts this vCPU's work; must not block. */
        void run(SecondaryVcpu vcpu);
    }

    private final Kernel kernel;
    private final int id;
    private final long argumentPageVa;
    /** On emulated hardware: this vCPU's own NativeOps, text page and IDT after the argument page. */
    private final boolean nativeOps;
    private final Main main;
    private final Promise<SecondaryVcpu> up;
    /** The IPI port that wakes this vCPU, published once its loop can take posts. */
    private volatile Port ipiPort;
    private Cpu cpu;
    private ArgumentPage args;
    private PvOps ops;
    private EventChannelCalls calls;
    private EventDispatcher events;
    private Console console;
    private RunLoop loop;

    SecondaryVcpu(Kernel kernel, int id, long argumentPageVa, boolean nativeOps, Main main, Promise<SecondaryVcpu> up) {
        this.kernel = kernel;
        this.id = id;
        this.argumentPageVa = argumentPageVa;
        this.nativeOps = nativeOps;
        this.main = main;
        this.up = up;
    }

    /** The vCPU's id. */
    public int id() {
        return id;
    }

    /** The entry point: runs on the new vCPU's thread until the domain ends. */
    @Override
    public void start(Cpu c, long argument) {
        this.cpu = c;
        args = new ArgumentPage(argumentPageVa);
        // On emulated hardware the vCPU's own native operations: its own IDT (lidt), its own
        // local APIC timer, its event upcalls through the callback vector's gate in its IDT.
        NativeOps nativeImpl = nativeOps
                ? new NativeOps(c, args, StartOfDay.SHARED_INFO_VA, argumentPageVa + Mmu.PAGE_SIZE, false)
                : null;
        ops = nativeImpl != null ? nativeImpl : new XenPvOps(c, args, StartOfDay.SHARED_INFO_VA);
        ops.stopPeriodicTick();
        calls = new EventChannelCalls(c, args);
        events = new EventDispatcher(kernel.events(), c, calls, StartOfDay.SHARED_INFO_VA);
        console = new Console(ops);
        ops.installEventCallback(cb -> {
            try {
                events.upcall(cb);
            } catch (GuestAbort abort) {
                throw abort;
            } catch (Throwable failure) {
                Kernel.oops(ops, console, "*** guest crash in an event handler on vCPU " + id + ": " + failure, failure);
            }
        });
        // Each vCPU's IDT is its own here (deviation 43), so it gets the gates vCPU 0's has: the
        // page-fault handler, and on emulated hardware the exceptions an instruction raises
        // (an exception-table fixup, or Linux's oops line), as every CPU of a Linux kernel shares.
        ops.installTrapHandler(TrapVector.PF, (tc, vector, errorCode, address) ->
                Kernel.pageFault(ops, console, errorCode, address));
        if (nativeImpl != null) {
            TrapHandler trap = (tc, vector, errorCode, address) -> Kernel.nativeException(nativeImpl, console, tc,
                    vector, errorCode);
            ops.installTrapHandler(TrapVector.DE, trap);
            ops.installTrapHandler(TrapVector.UD, trap);
            ops.installTrapHandler(TrapVector.GP, trap);
        }
        loop = new RunLoop(ops, failure -> {
            loop.stop();
            Kernel.oops(ops, console, "*** guest crash on vCPU " + id + ": " + failure, failure);
        });
        if (nativeImpl != null) {
            nativeImpl.useLocalApicTick(() -> loop.timerEvent());
        } else {
            events.bindVirq(Virq.TIMER, port -> loop.timerEvent());
        }
        Port ipi = events.bindIpi(id, port -> loop.takePosted()).port();
        ops.restoreEvents(true);
        ipiPort = ipi; // from here on vCPU 0 may post to us
        loop.execute(() -> main.run(this));
        postToBoot(() -> up.complete(this));
        loop.run();
    }

    /** The IPI port that wakes this vCPU (null until it is up). */
    Port ipiPort() {
        return ipiPort;
    }

    /** This vCPU's run loop. */
    public RunLoop loop() {
        return loop;
    }

    /** This vCPU's event channels (ports bound here notify this vCPU). */
    public EventDispatcher events() {
        return events;
    }

    /** This vCPU's {@code Cpu}. */
    public Cpu cpu() {
        return cpu;
    }

    /** This vCPU's privileged operations ({@code NativeOps} on emulated hardware, its own). */
    public PvOps pvOps() {
        return ops;
    }

    /** Prints {@code line} on the console (this vCPU's line buffer). */
    public void println(String line) {
        console.println(line);
    }

    /** Monotonic system time, ns. */
    public long now() {
        return ops.systemTime();
    }

    /** A promise completed with the system time once {@code d} has passed, on this vCPU. */
    public Promise<Long> sleep(Duration d) {
        return loop.sleep(d.toNanos());
    }

    /**
     * Linux's {@code xen_play_dead}, run as a task of this vCPU's loop (a safe point: no task of
     * its own is half done): {@code VCPUOP_down} on itself, which returns when vCPU 0 brings it
     * up again ({@code VCPUOP_up}); then the loop goes on where it stopped.
     */
    void playDead() {
        long rc = new org.parasol.hypercall.guest.VcpuOpCalls(cpu, args).down(id);
        if (rc < 0) {
            console.println("cpu hotplug: VCPUOP_down(" + id + ") failed: " + rc);
        }
    }

    /** Posts {@code task} to vCPU 0's run loop and wakes vCPU 0 with its IPI. */
    public void postToBoot(Runnable task) {
        kernel.loop().post(task);
        calls.send(kernel.bootIpiPort());
    }
}
