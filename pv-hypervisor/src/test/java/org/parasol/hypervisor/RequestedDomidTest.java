package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainCreationException;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Requested and reserved domain ids: what a toolstack uses to know a domain's id before it
 * exists (libxl's {@code domid=}), so another domain can grant to it or offer it a port first.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestedDomidTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;

    @BeforeEach
    void boot() {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(32L << 20)));
        // Every image name boots a kernel that prints the image's name and powers off.
        hv.setKernelSource((image, privileged) -> domid -> TestKernels.poweroff("image " + image));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** Kept after power-off (PRESERVE), so its id stays in use until the test ends. */
    private static DomainConfig cfg(String name) {
        return DomainConfig.of(name, "img", 1).withMemoryKiB(1024).withActions(DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE);
    }

    private static void awaitEnd(Domain d) throws InterruptedException {
        assertThat(d.awaitDeath(20, TimeUnit.SECONDS)).as("%s ended", d.name()).isTrue();
    }

    @Test
    @DisplayName("a requested free domid is the created domain's id, and the domain runs its image")
    void shouldCreateTheDomainWithTheRequestedId() throws Exception {
        Domain d = hv.createDomain(cfg("asked").withActions(DomainConfig.Action.DESTROY,
                DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY), 42);

        assertThat(d.domid()).isEqualTo(42);
        assertThat(hv.domain(42)).containsSame(d);
        awaitEnd(d);
        assertThat(d.shutdownReason()).isEqualTo(Shutdown.POWEROFF);
        assertThat(d.console().lines()).containsExactly("image img");
    }

    @Test
    @DisplayName("a reserved domid is never handed out by automatic allocation, and its reservation creates the domain")
    void shouldKeepAReservedIdFromAutomaticAllocation() throws Exception {
        int reserved = hv.reserveDomid();
        List<Integer> others = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            others.add(hv.createDomain(cfg("auto" + i)).domid());
        }
        assertThat(others).doesNotContain(reserved).doesNotHaveDuplicates();

        Domain d = hv.createDomain(cfg("reserved"), reserved);

        assertThat(d.domid()).isEqualTo(reserved);
        assertThat(hv.releaseDomid(reserved)).as("the reservation was used up").isFalse();
    }

    @Test
    @DisplayName("a domid in use is refused with DomainCreationException, and the live domain keeps it")
    void shouldRefuseATakenDomid() throws Exception {
        Domain first = hv.createDomain(cfg("first"));
        long free = hv.frames().freeFrames();

        assertThatThrownBy(() -> hv.createDomain(cfg("second"), first.domid()))
                .isInstanceOf(DomainCreationException.class)
                .hasMessageContaining("domain id " + first.domid() + " is taken by 'first'");
        assertThat(hv.domain(first.domid())).containsSame(first);
        assertThat(hv.domain("second")).isEmpty();
        assertThat(hv.frames().freeFrames()).as("nothing allocated for the refused domain").isEqualTo(free);
    }

    @Test
    @DisplayName("DOMID_SELF, the other special ids, 0 and negative ids cannot be requested")
    void shouldRefuseIdsThatAreNotDomains() {
        for (int bad : new int[] {0, -1, DomId.DOMID_FIRST_RESERVED, DomId.DOMID_SELF, DomId.DOMID_INVALID,
                DomId.DOMID_IDLE, 0x10000}) {
            assertThatThrownBy(() -> hv.createDomain(cfg("bad"), bad))
                    .as("domid %d", bad)
                    .isInstanceOf(DomainCreationException.class)
                    .hasMessageContaining("cannot be requested");
        }
        assertThat(hv.domains()).isEmpty();
    }

    @Test
    @DisplayName("a reservation survives a failed creation and can be released once")
    void shouldKeepTheReservationWhenCreationFailsAndReleaseItOnce() throws Exception {
        int reserved = hv.reserveDomid();
        DomainConfig tooBig = cfg("huge").withMemoryKiB(1L << 30).withMaxMemoryKiB(1L << 30);

        assertThatThrownBy(() -> hv.createDomain(tooBig, reserved))
                .isInstanceOf(DomainCreationException.class)
                .hasMessageContaining("not enough free machine memory");
        for (int i = 0; i < 3; i++) {
            assertThat(hv.createDomain(cfg("auto" + i)).domid()).as("still reserved").isNotEqualTo(reserved);
        }

        assertThat(hv.releaseDomid(reserved)).isTrue();
        assertThat(hv.releaseDomid(reserved)).as("released twice").isFalse();
        assertThat(hv.createDomain(cfg("after"), reserved).domid()).isEqualTo(reserved);
    }

    @Test
    @DisplayName("two creations racing for one requested domid: exactly one gets it, the other is refused")
    void shouldGiveARacedIdToExactlyOneCreation() throws Exception {
        int id = hv.reserveDomid();
        int rounds = 20;
        for (int r = 0; r < rounds; r++) {
            int domid = r == 0 ? id : 100 + r;
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger created = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                String name = "race" + r + "-" + t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        hv.createDomain(cfg(name), domid);
                        created.incrementAndGet();
                    } catch (DomainCreationException e) {
                        refused.incrementAndGet();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(20));
            }
            assertThat(created.get()).as("round %d", r).isEqualTo(1);
            assertThat(refused.get()).as("round %d", r).isEqualTo(1);
            assertThat(hv.domain(domid)).isPresent();
        }
    }
}
