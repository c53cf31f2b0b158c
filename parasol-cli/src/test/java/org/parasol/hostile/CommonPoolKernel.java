package org.parasol.hostile;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/**
 * Attack class 4, "host threads run guest code": an async stage through the
 * {@code CompletionStage} interface puts guest code on the common pool, where it outlives its
 * domain. Expected: refused at load.
 */
public final class CommonPoolKernel implements GuestKernel {
    public CommonPoolKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        CompletionStage<Void> stage = CompletableFuture.completedFuture(null);
        stage.thenRunAsync(() -> {
            for (;;) {
                Thread.onSpinWait();
            }
        });
        new Hostile(cpu, startInfo).poweroff();
    }
}
