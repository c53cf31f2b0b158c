package org.parasol.hypervisor.domain;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Where a vCPU's thread comes from. With virtual threads, a new one each time. With platform
 * threads (the default), a few spares started ahead of need by a refiller thread, each handed
 * one vCPU's body and ending with it: starting a platform thread makes the starting thread wait
 * until the kernel has scheduled the new one twice (the JVM's start handshake), which on a
 * loaded host was most of a domain's creation; a spare is already past it and needs one
 * wake-up. A spare runs nothing but the body it is handed, so a vCPU on a spare is what a vCPU
 * on a fresh thread was: its own thread, its own stack, no state from anyone before it.
 *
 * <p>No host thread waits on a guest here: the refiller waits only for room among the spares,
 * and a vCPU start takes a spare without waiting (a fresh thread when none is ready).
 */
final class VcpuThreads {
    /** Spares kept started: enough for a burst of creations between the refiller's turns. */
    static final int SPARES = 4;

    private final boolean virtualThreads;
    private final ArrayBlockingQueue<Spare> ready;
    private final Thread refiller;
    private volatile boolean closed;

    VcpuThreads(boolean virtualThreads) {
        this.virtualThreads = virtualThreads;
        if (virtualThreads) {
            this.ready = null;
            this.refiller = null;
        } else {
            this.ready = new ArrayBlockingQueue<>(SPARES);
            this.refiller = Thread.ofPlatform().daemon(true).name("parasol-vcpu-spares").unstarted(this::refill);
        }
    }

    /** A vCPU's thread, named {@code name}, to run {@code body} once {@link Launch#start} is called. */
    Launch launch(String name, Runnable body) {
        if (virtualThreads) {
            return new Launch(Thread.ofVirtual().name(name).unstarted(body), null, body);
        }
        startRefiller();
        Spare spare = closed ? null : ready.poll();
        if (spare == null) {
            return new Launch(Thread.ofPlatform().daemon(true).name(name).unstarted(body), null, body);
        }
        spare.thread.setName(name);
        return new Launch(spare.thread, spare, body);
    }

    /** A thread chosen for a vCPU, not yet running its body. */
    static final class Launch {
        private final Thread thread;
        private final Spare spare;
        private final Runnable body;

        private Launch(Thread thread, Spare spare, Runnable body) {
            this.thread = thread;
            this.spare = spare;
            this.body = body;
        }

        /** The thread that will run the body. */
        Thread thread() {
            return thread;
        }

        /** Runs the body on the thread: starts it, or hands the spare its body. */
        void start() {
            if (spare == null) {
                thread.start();
            } else {
                spare.hand(body);
            }
        }
    }

    /** Ends the refiller and the spares nobody took. */
    void close() {
        closed = true;
        if (refiller != null) {
            refiller.interrupt();
            Spare s;
            while ((s = ready.poll()) != null) {
                s.hand(() -> { });
            }
        }
    }

    /** Spares started and waiting for a body: for tests. */
    int sparesReady() {
        return ready == null ? 0 : ready.size();
    }

    /** Whether the refiller runs: for tests. */
    boolean refillerAlive() {
        return refiller != null && refiller.isAlive();
    }

    private void startRefiller() {
        if (refiller.getState() == Thread.State.NEW) {
            synchronized (this) {
                if (refiller.getState() == Thread.State.NEW && !closed) {
                    refiller.start();
                }
            }
        }
    }

    private void refill() {
        Spare next = null;
        try {
            while (!closed) {
                next = new Spare();
                next.thread.start();
                ready.put(next);
                next = null;
            }
        } catch (InterruptedException e) {
            // closed
        } finally {
            if (next != null) {
                next.hand(() -> { });
            }
            Spare s;
            while ((s = ready.poll()) != null) {
                s.hand(() -> { });
            }
        }
    }

    /** A started platform thread parked until it is handed one body, which it runs and ends with. */
    private static final class Spare implements Runnable {
        final Thread thread = Thread.ofPlatform().daemon(true).name("parasol-vcpu-spare").unstarted(this);
        private volatile Runnable body;

        void hand(Runnable b) {
            body = b;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            Runnable b;
            while ((b = body) == null) {
                LockSupport.park(this);
            }
            b.run();
        }
    }
}
