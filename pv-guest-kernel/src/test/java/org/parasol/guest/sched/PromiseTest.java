package org.parasol.guest.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakePvOps;

class PromiseTest {
    private FakePvOps ops;
    private RunLoop loop;
    private final List<Throwable> crashes = new ArrayList<>();

    @BeforeEach
    void setUp() {
        ops = new FakePvOps();
        loop = new RunLoop(ops, crashes::add);
        ops.onTimer = loop::timerEvent;
    }

    /** Runs every task, and the tasks they queue, until the loop would idle. */
    private void drain() {
        try {
            for (int i = 0; i < 1000; i++) {
                loop.runOnce();
            }
        } catch (FakePvOps.IdleForever idle) {
            return;
        }
        throw new AssertionError("the loop never went idle");
    }

    @Test
    @DisplayName("callbacks never run inside complete (which may be an upcall), only later as tasks")
    void shouldRunCallbacksAsTasksNotInline() {
        Promise<String> p = loop.promise();
        List<String> seen = new ArrayList<>();
        p.whenDone((v, e) -> seen.add(v));
        p.complete("x");
        assertThat(seen).isEmpty();
        drain();
        assertThat(seen).containsExactly("x");
    }

    @Test
    void shouldCompleteOnlyOnce() {
        Promise<Integer> p = loop.promise();
        assertThat(p.complete(1)).isTrue();
        assertThat(p.complete(2)).isFalse();
        assertThat(p.fail(new RuntimeException())).isFalse();
        assertThat(p.value()).isEqualTo(1);
    }

    @Test
    void shouldChainMapAndThen() {
        Promise<Integer> p = loop.promise();
        Promise<String> r = p.map(x -> x + 1).then(x -> loop.completed("v" + x));
        p.complete(41);
        drain();
        assertThat(r.value()).isEqualTo("v42");
    }

    @Test
    void shouldPassFailuresThroughTheChain() {
        Promise<Integer> p = loop.promise();
        IllegalStateException cause = new IllegalStateException("bad");
        Promise<Integer> r = p.map(x -> x * 2).then(x -> loop.completed(x));
        p.fail(cause);
        drain();
        assertThat(r.isFailed()).isTrue();
        assertThat(r.failure()).isSameAs(cause);
        assertThatThrownBy(r::value).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldFailWhenTheMappingFunctionThrows() {
        Promise<Integer> p = loop.promise();
        Promise<Integer> r = p.map(x -> {
            throw new ArithmeticException("div");
        });
        p.complete(1);
        drain();
        assertThat(r.failure()).isInstanceOf(ArithmeticException.class);
        assertThat(crashes).isEmpty();
    }

    @Test
    void shouldFailWhenThenGetsNoPromise() {
        Promise<Integer> p = loop.promise();
        Promise<Integer> r = p.then(x -> null);
        p.complete(1);
        drain();
        assertThat(r.failure()).isInstanceOf(NullPointerException.class);
    }

    @Test
    void shouldRunACallbackAddedAfterCompletion() {
        Promise<Integer> p = loop.completed(3);
        List<Integer> seen = new ArrayList<>();
        p.whenDone((v, e) -> seen.add(v));
        drain();
        assertThat(seen).containsExactly(3);
    }

    @Test
    void shouldCrashWhenACallbackThrows() {
        Promise<Integer> p = loop.completed(3);
        p.whenDone((v, e) -> {
            throw new IllegalStateException("callback bug");
        });
        drain();
        assertThat(crashes).singleElement().extracting(Throwable::getMessage).isEqualTo("callback bug");
    }
}
