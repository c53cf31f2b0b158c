package org.parasol.examples.xenstorescribbler;

import java.time.Duration;

import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.Memory;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.XsWire;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.io.XenstoreDomainInterface;

/**
 * xenstore-scribbler: a store client that breaks the ring protocol on purpose, to show that
 * xenstored ends only that client's connection. It writes {@code data/before} through xenbus
 * (the store answers), then sets {@code req_prod} more than a ring's worth (1024 bytes) ahead
 * of {@code req_cons} in its store page and kicks the store port. xenstored sees an index no
 * honest client could produce, writes {@code XENSTORE_ERROR_RINGIDX} into the page's
 * {@code error} field and stops reading or writing the ring (Xen's
 * {@code ignore_connection}); the scribbler waits for that, says so and powers off.
 *
 * <p>Expected console output:
 * <pre>
 * xenstore-scribbler: the store answered: data/before = ok
 * xenstore-scribbler: req_prod set 5000 bytes ahead of req_cons
 * xenstore-scribbler: xenstored ended our connection: error 2
 * </pre>
 */
public final class XenstoreScribblerKernel extends ApplicationKernel {
    private static final String TAG = "xenstore-scribbler: ";
    /** How far ahead the lie goes: more than the 1024-byte ring. */
    private static final int LIE = 5000;
    private static final Duration POLL = Duration.ofMillis(10);
    private static final int POLLS = 500;

    private Kernel k;
    private XenstoreDomainInterface page;

    /** The kernel class an image names needs a public no-argument constructor. */
    public XenstoreScribblerKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        long pfn = k.memory().p2m().pfnOf(k.bootInfo().storeMfn());
        page = new XenstoreDomainInterface().wrap(new GuestMemoryBuffer(k.cpu().memory(), Memory.va(pfn), Mmu.PAGE_SIZE), 0);
        return k.xenbus().write("data/before", "ok").then(x -> k.xenbus().read("data/before")).then(v -> {
            k.println(TAG + "the store answered: data/before = " + v);
            lie();
            k.println(TAG + "req_prod set " + LIE + " bytes ahead of req_cons");
            return waitForError(POLLS);
        }).map(error -> {
            k.println(TAG + (error == XsWire.XENSTORE_ERROR_NONE ? "xenstored never ended our connection"
                    : "xenstored ended our connection: error " + error));
            return error;
        });
    }

    /** Sets {@code req_prod} {@value #LIE} bytes ahead of {@code req_cons} and kicks the store port. */
    private void lie() {
        page.reqProdRelease(page.reqConsAcquire() + LIE);
        new EventChannelCalls(k.cpu(), k.argumentPage()).send(Port.of((int) k.bootInfo().storeEvtchn()));
    }

    /**
     * The page's {@code error} once xenstored sets it, polled up to {@code polls} times. Until
     * then the lie is told again at each poll: the kernel's own xenbus client (its
     * {@code control/shutdown} watch may still have a request on the way) writes its private
     * {@code req_prod} over the page's when it sends, which would undo a lie told once.
     */
    private Promise<Integer> waitForError(int polls) {
        int error = page.errorAcquire();
        if (error != XsWire.XENSTORE_ERROR_NONE || polls == 0) {
            Promise<Integer> now = k.loop().promise();
            now.complete(error);
            return now;
        }
        lie();
        return k.sleep(POLL).then(t -> waitForError(polls - 1));
    }
}
