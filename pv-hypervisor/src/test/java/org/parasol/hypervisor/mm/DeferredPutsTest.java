package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The stand-in for Xen's TLB-flush clock: references whose drop could free a frame or change
 * its type wait for a shootdown, and a shootdown that times out keeps them — the frame stays
 * allocated and typed until a later shootdown succeeds or the domain's vCPUs have stopped.
 */
class DeferredPutsTest {
    private final TestHost host = new TestHost(4L << 20);
    private final FrameTable frames = host.frames;
    private final DomainPages owner = new DomainPages(1, 16);
    private final Object lock = new Object();

    @AfterEach
    void close() {
        host.close();
    }

    @Test
    @DisplayName("A last reference waits for the shootdown; a timed-out shootdown keeps it, a later one drops it")
    void shouldKeepLastReferencesUntilAShootdownSucceeds() {
        long mfn = frames.allocate(owner);
        assertThat(frames.getPage(mfn, 1)).isTrue();
        assertThat(frames.getPageType(mfn, FrameTable.PGT_WRITABLE_PAGE)).isTrue();
        assertThat(frames.putPageAllocRef(mfn)).isTrue(); // the mapping's reference is now the last
        long free = frames.freeFrames();

        DeferredPuts deferred = new DeferredPuts();
        deferred.putPageAndType(frames, mfn, false);
        assertThat(deferred.size()).as("the last type and general references are queued").isEqualTo(1);
        assertThat(frames.refCount(mfn)).isEqualTo(1);

        AtomicInteger shootdowns = new AtomicInteger();
        assertThat(deferred.release(frames, lock, () -> shootdowns.incrementAndGet() < 0)).isFalse();
        assertThat(deferred.size()).as("kept after the timeout").isEqualTo(1);
        assertThat(frames.refCount(mfn)).isEqualTo(1);
        assertThat(FrameTable.pageType(frames.typeInfo(mfn))).isEqualTo(FrameTable.PGT_WRITABLE_PAGE);
        assertThat(frames.freeFrames()).isEqualTo(free);

        assertThat(deferred.release(frames, lock, () -> shootdowns.incrementAndGet() > 0)).isTrue();
        assertThat(shootdowns).hasValue(2);
        assertThat(deferred.isEmpty()).isTrue();
        assertThat(frames.refCount(mfn)).isZero();
        assertThat(frames.freeFrames()).as("freed only after the successful shootdown").isEqualTo(free + 1);
    }

    @Test
    @DisplayName("References that are not the last are dropped at once, with no shootdown")
    void shouldDropNonLastReferencesAtOnce() {
        long mfn = frames.allocate(owner);
        assertThat(frames.getPage(mfn, 1)).isTrue();
        DeferredPuts deferred = new DeferredPuts();
        deferred.putPage(frames, mfn, false);
        assertThat(deferred.isEmpty()).isTrue();
        assertThat(frames.refCount(mfn)).isEqualTo(1);
        assertThat(deferred.release(frames, lock, () -> {
            throw new AssertionError("no shootdown for an empty queue");
        })).isTrue();
    }

    @Test
    @DisplayName("A foreign frame's reference always waits: the granter's vCPUs do not flush for us")
    void shouldQueueForeignReferences() {
        long mfn = frames.allocate(owner);
        assertThat(frames.getPage(mfn, 1)).isTrue();
        DeferredPuts deferred = new DeferredPuts();
        deferred.putPage(frames, mfn, true);
        assertThat(deferred.size()).isEqualTo(1);
        deferred.releaseStopped(frames);
        assertThat(deferred.isEmpty()).isTrue();
        assertThat(frames.refCount(mfn)).isEqualTo(1);
    }
}
