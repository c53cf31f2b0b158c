package org.parasol.imagefixtures;

import java.lang.constant.ClassDesc;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.MethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/** Has java.lang.constant find Runtime.halt for it, and MethodType load a host class by name. */
public final class ConstantDescKernel implements GuestKernel {
    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        try {
            MethodHandleDesc halt = MethodHandleDesc.ofMethod(DirectMethodHandleDesc.Kind.VIRTUAL,
                    ClassDesc.of("java.lang.Runtime"), "halt", MethodTypeDesc.ofDescriptor("(I)V"));
            cpu.hypercall(0, halt.resolveConstantDesc(MethodHandles.lookup()).hashCode());
            cpu.hypercall(0, MethodType.fromMethodDescriptorString("(Lorg/parasol/hypervisor/Hypervisor;)V", null).hashCode());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
