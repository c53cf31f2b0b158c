package org.parasol.imagefixtures;

import java.util.List;
import java.util.Spliterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.StreamSupport;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/** Puts guest code on the common pool through a parallel stream and a parallel bulk operation. */
public final class CommonPoolKernel implements GuestKernel {
    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        Spliterator<String> s = List.of("a", "b").spliterator();
        StreamSupport.stream(s, true).forEach(x -> cpu.hypercall(0));
        ConcurrentHashMap<String, String> map = new ConcurrentHashMap<>();
        map.forEach(1L, (k, v) -> cpu.hypercall(0));
    }
}
