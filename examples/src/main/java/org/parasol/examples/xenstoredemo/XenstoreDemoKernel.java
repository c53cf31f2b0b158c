package org.parasol.examples.xenstoredemo;

import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.guest.xenbus.XenbusException;
import org.parasol.guest.xenbus.XenbusWatch;

/**
 * xenstore-demo: a guest that uses the store through its kernel's xenbus client, the way a
 * Linux guest's xenbus driver first talks to xenstored. The store page and port come from
 * start_info, where dom0's builder put them; relative paths are under the domain's own
 * {@code /local/domain/<id>}, where dom0 wrote {@code name}, {@code domid} and made
 * {@code data/} writable by the domain.
 *
 * <ol>
 *   <li>reads {@code domid}, asks for its domain path ({@code XS_GET_DOMAIN_PATH}) and reads
 *       {@code name} there;</li>
 *   <li>writes {@code data/greeting} and reads it back;</li>
 *   <li>lists its domain's directory, and tries to rename itself: {@code name} is dom0's, only
 *       readable by the domain, so xenstored answers {@code EACCES};</li>
 *   <li>watches {@code data/counter}: the watch fires once at once (xenstored's initial
 *       event), then the domain increments the counter in a transaction (retried on
 *       {@code EAGAIN}) and the watch fires again on the commit;</li>
 *   <li>removes the watch and powers off.</li>
 * </ol>
 *
 * <p>Expected console output (built by dom0 as d1, named after the image):
 * <pre>
 * xenstore-demo: domid 1
 * xenstore-demo: domain path /local/domain/1
 * xenstore-demo: name xenstore-demo
 * xenstore-demo: wrote data/greeting, read back 'hello from xenstore-demo'
 * xenstore-demo: directory of /local/domain/1: attr,control,cpu,data,device,domid,drivers,error,feature,memory,name,vm
 * xenstore-demo: writing name: refused, EACCES
 * xenstore-demo: watch on data/counter fired at once: data/counter
 * xenstore-demo: transaction committed: data/counter 0 -> 1
 * xenstore-demo: watch on data/counter fired after the commit: data/counter
 * (these two lines in either order)
 * xenstore-demo: done
 * </pre>
 */
public final class XenstoreDemoKernel extends ApplicationKernel {
    private static final String TAG = "xenstore-demo: ";

    private Kernel k;
    private Xenbus xb;
    private XenbusWatch watch;
    private Promise<Void> secondFire;
    private Promise<Void> committed;
    private int fires;

    /** The kernel class an image names needs a public no-argument constructor. */
    public XenstoreDemoKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        this.xb = k.xenbus();
        this.secondFire = k.loop().promise();
        this.committed = k.loop().promise();
        String[] domainPath = new String[1];
        return xb.read("domid").then(id -> {
            k.println(TAG + "domid " + id);
            return xb.getDomainPath(Integer.parseInt(id));
        }).then(path -> {
            domainPath[0] = path;
            k.println(TAG + "domain path " + path);
            return xb.read(path + "/name");
        }).then(name -> {
            k.println(TAG + "name " + name);
            return xb.write("data/greeting", "hello from " + name);
        }).then(written -> xb.read("data/greeting")).then(greeting -> {
            k.println(TAG + "wrote data/greeting, read back '" + greeting + "'");
            return xb.directory(domainPath[0]);
        }).then(children -> {
            k.println(TAG + "directory of " + domainPath[0] + ": " + String.join(",", children));
            return refusal(xb.write("name", "impostor"));
        }).then(error -> {
            k.println(TAG + "writing name: " + error);
            watch = xb.watch("data/counter", this::fired);
            return watch.registered();
        }).then(registered -> committed).then(done -> secondFire).then(seen -> watch.unwatch()).map(unwatched -> {
            k.println(TAG + "done");
            return unwatched;
        });
    }

    /** The errno name {@code request} failed with, or "accepted". */
    private Promise<String> refusal(Promise<Void> request) {
        Promise<String> error = k.loop().promise();
        request.whenDone((v, failure) -> error.complete(failure == null ? "accepted"
                : failure instanceof XenbusException e ? "refused, " + e.error() : "failed, " + failure));
        return error;
    }

    /**
     * The watch's events: the initial one starts the transaction; the one its commit fires
     * ends the demo, together with the transaction's own end (xenstored sends the commit's
     * reply before the event, but the two reach the application as separate tasks, in either
     * order).
     */
    private void fired(String path) {
        fires++;
        if (fires == 1) {
            k.println(TAG + "watch on data/counter fired at once: " + path);
            long[] before = new long[1];
            xb.transaction(tx -> xb.readUnsigned(tx, "data/counter", 0).then(n -> {
                before[0] = n;
                return xb.write(tx, "data/counter", Long.toString(n + 1));
            })).whenDone((v, failure) -> {
                if (failure != null) {
                    committed.fail(failure);
                } else {
                    k.println(TAG + "transaction committed: data/counter " + before[0] + " -> " + (before[0] + 1));
                    committed.complete(null);
                }
            });
        } else if (fires == 2) {
            k.println(TAG + "watch on data/counter fired after the commit: " + path);
            secondFire.complete(null);
        }
    }
}
