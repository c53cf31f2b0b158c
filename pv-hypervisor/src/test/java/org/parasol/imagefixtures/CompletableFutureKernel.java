package org.parasol.imagefixtures;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/** Runs guest code on the common pool through an async method it inherits, called through its own interface. */
public final class CompletableFutureKernel implements GuestKernel {
    /** The guest's own view of a completion stage. */
    interface Stage extends CompletionStage<Void> {
    }

    /** A future of the guest's own. */
    static final class Future extends CompletableFuture<Void> implements Stage {
    }

    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        Stage s = new Future();
        s.thenRunAsync(() -> cpu.hypercall(0));
    }
}
