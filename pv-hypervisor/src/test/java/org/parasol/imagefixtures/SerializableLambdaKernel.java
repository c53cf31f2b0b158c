package org.parasol.imagefixtures;

import java.io.Serializable;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/** A serializable lambda: its deserialization goes through reflection ($deserializeLambda$). */
public final class SerializableLambdaKernel implements GuestKernel {
    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        Runnable r = (Runnable & Serializable) () -> cpu.hypercall(0);
        r.run();
    }
}
