package org.parasol.guest.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.parasol.guest.FakePvOps;

/**
 * {@link Promise#whenTaken}, the rule netfront's receive path rests on: a driver that completes
 * its connect promise holds frames back until the application has the interface. The forced
 * ordering: events ("frames") are already waiting when the promise completes, and more come in
 * every task after; the application takes the value at the end of a chain of {@code then} hops
 * of any depth, with tasks of its own queued in between. No frame may reach the application's
 * handler before the callback that stores the value has run.
 */
class WhenTakenProperties {

    /** What the application holds, and what its handler saw. */
    private static final class Image {
        Object nic;
        int framesBeforeNic;
        int frames;
    }

    @Property(tries = 300)
    @Label("a connect promise's frames reach the handler only after the callback that takes the value, however deep the chain")
    void shouldHoldFramesUntilTheValueIsTaken(@ForAll @IntRange(min = 0, max = 6) int hopsBefore,
            @ForAll @IntRange(min = 0, max = 6) int hopsAfter, @ForAll @IntRange(min = 0, max = 5) int busyTasks,
            @ForAll boolean takeByMap) {
        FakePvOps ops = new FakePvOps();
        List<Throwable> crashes = new ArrayList<>();
        RunLoop loop = new RunLoop(ops, crashes::add);
        ops.onTimer = loop::timerEvent;
        Image image = new Image();
        Object driver = new Object();
        boolean[] delivering = new boolean[1];
        Runnable frame = () -> {
            if (delivering[0]) {
                image.frames++;
                if (image.nic == null) {
                    image.framesBeforeNic++;
                }
            }
        };
        // The driver's connect: its promise, and a hook that starts delivery.
        Promise<Object> connect = loop.promise();
        connect.whenTaken(() -> {
            delivering[0] = true;
            loop.execute(frame); // the frames that waited
        });
        // The application: hops of then before it asks to connect, then its chain to the value.
        Promise<Integer> start = loop.completed(0);
        for (int i = 0; i < hopsBefore; i++) {
            start = start.then(x -> loop.completed(x + 1));
        }
        Promise<Object> got = start.then(x -> connect);
        for (int i = 0; i < hopsAfter; i++) {
            Promise<Object> inner = got;
            got = loop.completed(0).then(x -> inner);
        }
        if (takeByMap) {
            got.map(n -> image.nic = n);
        } else {
            got.then(n -> {
                image.nic = n;
                return loop.completed(n);
            });
        }
        for (int i = 0; i < busyTasks; i++) {
            loop.execute(frame);
        }
        // Run the application's set-up, complete the connect with frames waiting, and frames each task after.
        drain(loop, frame, ops, 3);
        loop.execute(frame);
        connect.complete(driver);
        drain(loop, frame, ops, 200);
        assertThat(crashes).isEmpty();
        assertThat(image.nic).isSameAs(driver);
        assertThat(image.framesBeforeNic).as("frames handed on before the application held the interface").isZero();
        assertThat(image.frames).as("frames delivered once it did").isPositive();
    }

    @Property(tries = 50)
    @Label("a promise that fails never runs its hook; one nobody waits for runs it as a task of its own")
    void shouldRunTheHookOnlyForAValue(@ForAll boolean fail) {
        FakePvOps ops = new FakePvOps();
        RunLoop loop = new RunLoop(ops, e -> { });
        int[] ran = new int[1];
        Promise<Object> p = loop.promise();
        p.whenTaken(() -> ran[0]++);
        if (fail) {
            p.fail(new IllegalStateException("handshake failed"));
        } else {
            p.complete("x");
        }
        drain(loop, () -> { }, ops, 10);
        assertThat(ran[0]).isEqualTo(fail ? 0 : 1);
    }

    /** Runs tasks until the loop would idle, queueing one {@code frame} after each of the first {@code frames} tasks. */
    private static void drain(RunLoop loop, Runnable frame, FakePvOps ops, int frames) {
        try {
            for (int i = 0; i < 10_000; i++) {
                loop.runOnce();
                if (i < frames) {
                    loop.execute(frame);
                }
            }
        } catch (FakePvOps.IdleForever idle) {
            return;
        }
        throw new AssertionError("the loop never went idle");
    }
}
