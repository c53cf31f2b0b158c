package org.parasol.imagefixtures;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/** Reaches Throwable.printStackTrace() by dispatch, through an interface of its own. */
public final class PrintStackTraceKernel implements GuestKernel {
    /** Declares what Throwable implements. */
    interface Tracing {
        void printStackTrace();
    }

    /** Inherits printStackTrace() from Throwable as its implementation of Tracing. */
    static final class Trap extends RuntimeException implements Tracing {
        private static final long serialVersionUID = 1L;
    }

    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        Tracing t = new Trap();
        t.printStackTrace();
    }
}
