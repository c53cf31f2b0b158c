package org.parasol.guest;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.parasol.guest.pvops.PvOps;
import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.TrapHandler;

/**
 * A machine for kernel unit tests, behind the {@link PvOps} seam: a manual clock, a one-shot
 * timer that "fires" when the kernel halts (time jumps to the deadline and {@link #onTimer}
 * runs, as the VIRQ_TIMER upcall would), a console that collects bytes, and a record of
 * page-table updates with Linux's lazy-mode semantics.
 *
 * <p>Halting with no timer armed and nothing else to wake the vCPU would sleep for ever;
 * the fake throws {@link IdleForever} instead, so a test can see that the kernel went idle
 * with its timer cancelled.
 */
public final class FakePvOps implements PvOps {
    /** Thrown by {@link #safeHalt} when nothing could ever wake the vCPU. */
    public static final class IdleForever extends RuntimeException {
        private static final long serialVersionUID = 1L;

        IdleForever() {
            super("halted with no timer armed and no event pending");
        }
    }

    public long now = 1_000_000L;
    public long armed;
    public final List<Long> programmed = new ArrayList<>();
    public Runnable onTimer = () -> { };
    /** Runs inside {@link #saveAndDisableEvents}, as an event racing the mask would. */
    public Runnable onMask = () -> { };
    /** Runs inside {@link #safeHalt} before the timer check: an event arriving while halted. */
    public Runnable onHalt = null;
    public boolean eventsEnabled = true;
    public int halts;
    public final ByteArrayOutputStream console = new ByteArrayOutputStream();
    public final List<Integer> consoleWrites = new ArrayList<>();
    /** Applied page-table updates: {machine address, pte}. */
    public final List<long[]> applied = new ArrayList<>();
    public final List<long[]> queued = new ArrayList<>();
    public int flushes;
    public boolean lazy;
    public int shutdownReason = -1;
    /**
     * Called for each update as it takes effect: {@code (machine address of the entry, pte)}
     * for {@link #setPte}, {@code (-va, pte)} for {@link #setPteForVa}. A test that needs the
     * page tables to change wires it to its fake memory.
     */
    public java.util.function.BiConsumer<Long, Long> onApply = (a, p) -> { };

    @Override
    public String platformName() {
        return "fake";
    }

    @Override
    public void installEventCallback(EventCallback callback) {
    }

    @Override
    public void installTrapHandler(int vector, TrapHandler handler) {
    }

    @Override
    public boolean saveAndDisableEvents() {
        boolean was = eventsEnabled;
        eventsEnabled = false;
        onMask.run();
        return was;
    }

    @Override
    public void restoreEvents(boolean enabled) {
        eventsEnabled = enabled;
    }

    @Override
    public void safeHalt() {
        halts++;
        eventsEnabled = true;
        if (onHalt != null) {
            Runnable r = onHalt;
            onHalt = null;
            r.run();
            return;
        }
        if (armed == 0) {
            throw new IdleForever();
        }
        now = Math.max(now, armed);
        armed = 0;
        onTimer.run();
    }

    @Override
    public void setPte(long pteMachineAddress, long pte) {
        queued.add(new long[] {pteMachineAddress, pte});
        if (!lazy) {
            flushLazyMmu();
        }
    }

    @Override
    public void setPteForVa(long va, long pte) {
        flushLazyMmu();
        applied.add(new long[] {-va, pte});
        onApply.accept(-va, pte);
    }

    @Override
    public void enterLazyMmu() {
        lazy = true;
    }

    @Override
    public void leaveLazyMmu() {
        lazy = false;
        flushLazyMmu();
    }

    @Override
    public void flushLazyMmu() {
        if (!queued.isEmpty()) {
            flushes++;
            applied.addAll(queued);
            for (long[] u : queued) {
                onApply.accept(u[0], u[1]);
            }
            queued.clear();
        }
    }

    @Override
    public void switchAddressSpace(Mfn l4) {
    }

    @Override
    public void flushTlb() {
    }

    @Override
    public void flushTlbOne(long va) {
    }

    @Override
    public long systemTime() {
        return now;
    }

    @Override
    public long wallClock() {
        return 1_700_000_000_000_000_000L + now;
    }

    @Override
    public void stopPeriodicTick() {
    }

    @Override
    public void programTimer(long deadline) {
        programmed.add(deadline);
        armed = deadline;
    }

    @Override
    public void consoleWrite(MemorySegment bytes, long offset, long length) {
        consoleWrites.add((int) length);
        console.writeBytes(bytes.asSlice(offset, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }

    @Override
    public void shutdown(int reason) {
        shutdownReason = reason;
        throw new org.parasol.hypercall.GuestAbort("shutdown " + reason);
    }

    /** What the console received, as text. */
    public String consoleText() {
        return console.toString(StandardCharsets.UTF_8);
    }
}
