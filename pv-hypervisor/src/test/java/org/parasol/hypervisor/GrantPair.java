package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.GrantTableCalls;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * What the grant I/O tests start from: a host of one pCPU on a manual clock, an unprivileged
 * front end whose grant table is set up, and a privileged back end that may do host I/O into
 * the front end's granted frames. The front end's pages from {@link BareGuest#scratch2} on are
 * the ones the tests grant ({@link #va}, {@link #mfn}); the disk images the back end serves
 * hold a known pattern ({@link #image}, {@link #fileByte}).
 */
final class GrantPair {
    static final int PAGE = 4096;
    /** The front end's pages the tests may grant: {@code va(0)} to {@code va(PAGES - 1)}. */
    static final int PAGES = 32;

    final Hypervisor hv;
    /** The front end (unprivileged), whose pages are granted. */
    final BareGuest front;
    /** The back end (privileged). */
    final BareGuest back;
    /** The front end's grant table, as the front end writes it. */
    final GrantFrame table;
    /** The front end's and the back end's domain ids. */
    final int frontId;
    final int backId;
    /** The machine frames of the first {@link #PAGES} pages, read at boot (they stay the front end's until it dies). */
    private final long[] mfns = new long[PAGES];

    private GrantPair(Hypervisor hv, BareGuest front, BareGuest back, GrantFrame table) {
        this.hv = hv;
        this.front = front;
        this.back = back;
        this.table = table;
        this.frontId = front.domain.domid();
        this.backId = back.domain.domid();
        for (int k = 0; k < PAGES; k++) {
            mfns[k] = front.domain.vcpu(0).mmu().translate(va(k), false) >>> 12;
        }
    }

    /** Boots the host under {@code leaks} and builds both domains. */
    static GrantPair boot(LeakCheck leaks) throws Exception {
        Hypervisor hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1)));
        BareGuest front = BareGuest.create(hv, "front", 1024);
        BareGuest back = BareGuest.create(hv, new DomainConfig("back", 1024, 1024, 1, null, "", false, null, null, null)
                .withPrivileged(true));
        long[] frames = new long[1];
        GrantTableCalls calls = new GrantTableCalls(front.cpu, new ArgumentPage(front.scratch));
        assertThat(calls.setupTable(DomId.SELF, frames).status()).isEqualTo(Gntst.OKAY);
        return new GrantPair(hv, front, back, new GrantFrame(hv.machine().segment(), frames[0]));
    }

    /** The front end's {@code k}-th page after its scratch page. */
    long va(int k) {
        return front.scratch2 + (long) k * PAGE;
    }

    /** The machine frame of {@link #va va(k)}, as it was at boot (also after the front end died). */
    long mfn(int k) {
        return mfns[k];
    }

    /** The byte at {@code at} of an {@link #image}. */
    static byte fileByte(long at) {
        return (byte) (at * 13 + 5);
    }

    /** Writes {@code bytes} of the pattern {@link #fileByte} to {@code p}. */
    static Path image(Path p, int bytes) throws IOException {
        byte[] content = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            content[i] = fileByte(i);
        }
        Files.write(p, content);
        return p;
    }
}
