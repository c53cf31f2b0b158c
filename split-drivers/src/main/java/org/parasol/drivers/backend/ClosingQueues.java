package org.parasol.drivers.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A back end's queues on the domain's secondary vCPUs that are closing: asked to stop on their
 * own vCPU and not yet let go of on the boot vCPU. Linux's {@code xenvif_disconnect} stops each
 * queue's kthreads and {@code xen_blkif_disconnect} waits for each ring's before they go on;
 * here a queue's close is two posted tasks (its vCPU's half, then the boot vCPU's), so whoever
 * must not go on before they are done (dom0 powering off: the closing lines, and what the
 * queues still held, would be lost) asks {@link #whenNoneClosing}, and bounds its own wait.
 *
 * <p>Only the domain's own queues are counted: nothing here waits on a guest. The boot vCPU only.
 */
public final class ClosingQueues {
    /** Each closing queue, by identity, with the name a log line gives it; in the order they began. */
    private final Map<Object, String> closing = new LinkedHashMap<>();
    private final List<Runnable> waiters = new ArrayList<>();

    /** {@code queue} (named {@code name} in a log line) has been asked to stop on its vCPU. */
    public void begin(Object queue, String name) {
        closing.put(queue, name);
    }

    /** {@code queue} has let go on the boot vCPU: waiters run once none is left closing. */
    public void end(Object queue) {
        if (closing.remove(queue) != null && closing.isEmpty()) {
            List<Runnable> now = List.copyOf(waiters);
            waiters.clear();
            now.forEach(Runnable::run);
        }
    }

    /** The names of the queues closing now, in the order they began. */
    public List<String> names() {
        return List.copyOf(closing.values());
    }

    /** Runs {@code then} now if no queue is closing, else once the last has let go. */
    public void whenNoneClosing(Runnable then) {
        if (closing.isEmpty()) {
            then.run();
        } else {
            waiters.add(then);
        }
    }
}
