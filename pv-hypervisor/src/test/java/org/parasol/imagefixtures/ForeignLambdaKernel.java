package org.parasol.imagefixtures;

import java.util.random.RandomGenerator;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/** A lambda implementing a JDK interface that is listed but not extendable. */
public final class ForeignLambdaKernel implements GuestKernel {
    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        RandomGenerator dice = () -> 4;
        cpu.hypercall(0, dice.nextLong());
    }
}
