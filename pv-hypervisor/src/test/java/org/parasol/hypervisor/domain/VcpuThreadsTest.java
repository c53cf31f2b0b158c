package org.parasol.hypervisor.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * vCPU threads from spares: a platform thread started ahead of need runs exactly one vCPU's
 * body and ends with it; with none ready a fresh thread does; closing ends the spares nobody
 * took and the refiller.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class VcpuThreadsTest {

    @Test
    @DisplayName("a spare platform thread runs one vCPU body under the vCPU's name and ends with it; close ends the rest")
    void shouldRunEachBodyOnAThreadOfItsOwn() throws Exception {
        VcpuThreads threads = new VcpuThreads(false);
        AtomicInteger runs = new AtomicInteger();
        List<Thread> used = new ArrayList<>();
        List<Thread> ranOn = java.util.Collections.synchronizedList(new ArrayList<>());
        // The first start finds no spare (the refiller starts with it) and takes a fresh thread.
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                awaitSpare(threads);
            }
            CountDownLatch done = new CountDownLatch(1);
            VcpuThreads.Launch l = threads.launch("d" + i + "-vcpu0", () -> {
                runs.incrementAndGet();
                ranOn.add(Thread.currentThread());
                done.countDown();
            });
            Thread t = l.thread();
            assertThat(t.getName()).isEqualTo("d" + i + "-vcpu0");
            assertThat(t.isVirtual()).isFalse();
            assertThat(t.isDaemon()).isTrue();
            if (i > 0) {
                assertThat(t.isAlive()).as("a spare, started ahead of need").isTrue();
            }
            l.start();
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            t.join(Duration.ofSeconds(10));
            assertThat(t.isAlive()).as("the thread ends with its body").isFalse();
            used.add(t);
        }
        assertThat(runs.get()).isEqualTo(6);
        assertThat(ranOn).containsExactlyElementsOf(used);
        assertThat(used).doesNotHaveDuplicates();
        awaitSpare(threads);
        threads.close();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((threads.refillerAlive() || threads.sparesReady() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(threads.refillerAlive()).isFalse();
        assertThat(threads.sparesReady()).isZero();
    }

    @Test
    @DisplayName("with virtual threads each vCPU gets a new virtual thread")
    void shouldStartAVirtualThreadPerVcpu() throws Exception {
        VcpuThreads threads = new VcpuThreads(true);
        CountDownLatch done = new CountDownLatch(1);
        VcpuThreads.Launch l = threads.launch("v-vcpu0", done::countDown);
        assertThat(l.thread().isVirtual()).isTrue();
        l.start();
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        threads.close();
        assertThat(threads.refillerAlive()).isFalse();
    }

    private static void awaitSpare(VcpuThreads threads) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (threads.sparesReady() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(threads.sparesReady()).as("spares started by the refiller").isPositive();
    }
}
