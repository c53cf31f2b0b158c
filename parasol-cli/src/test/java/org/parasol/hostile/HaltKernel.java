package org.parasol.hostile;

import java.lang.constant.ClassDesc;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.MethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/**
 * Attack class 1, "java.lang.constant resolves anything": resolve a method-handle descriptor of
 * {@code Runtime.getRuntime} with the guest's own lookup and halt the host JVM. Expected:
 * refused at load.
 */
public final class HaltKernel implements GuestKernel {
    public HaltKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        try {
            ClassDesc runtime = ClassDesc.of("java.lang.Runtime");
            MethodHandle get = (MethodHandle) MethodHandleDesc.ofMethod(DirectMethodHandleDesc.Kind.STATIC, runtime,
                    "getRuntime", MethodTypeDesc.of(runtime)).resolveConstantDesc(MethodHandles.lookup());
            Object rt = get.invoke();
            MethodHandle halt = MethodHandles.lookup().findVirtual(rt.getClass(), "halt",
                    java.lang.invoke.MethodType.methodType(void.class, int.class));
            halt.invoke(rt, 42);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
