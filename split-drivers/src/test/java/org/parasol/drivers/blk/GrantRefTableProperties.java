package org.parasol.drivers.blk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** blkback's persistent-grant table against a {@link HashMap} given the same operations. */
class GrantRefTableProperties {

    /** One operation: put (key, value), get (key) or clear. */
    record Op(int kind, int key, int value) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        // Keys from a small range collide often; from the whole int range they include
        // negative references (an unsigned grant_ref_t above 2^31) and zero.
        Arbitrary<Integer> keys = Arbitraries.oneOf(Arbitraries.integers().between(-4, 80), Arbitraries.integers());
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, keys.flatMap(k -> Arbitraries.integers().map(v -> new Op(0, k, v)))),
                net.jqwik.api.Tuple.of(6, keys.map(k -> new Op(1, k, 0))),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Op(2, 0, 0))));
        return op.list().ofMaxSize(300);
    }

    @Property
    void behavesAsAMapWithALimit(@ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 0, max = 64) int limit) {
        GrantRefTable<Integer> table = new GrantRefTable<>(limit);
        Map<Integer, Integer> ref = new HashMap<>();
        for (Op op : ops) {
            switch (op.kind()) {
                case 0 -> {
                    if (!ref.containsKey(op.key()) && ref.size() >= limit) {
                        assertThatThrownBy(() -> table.put(op.key(), op.value()))
                                .isInstanceOf(IllegalStateException.class);
                    } else {
                        table.put(op.key(), op.value());
                        ref.put(op.key(), op.value());
                    }
                }
                case 1 -> assertThat(table.get(op.key())).isEqualTo(ref.get(op.key()));
                default -> {
                    table.clear();
                    ref.clear();
                }
            }
            assertThat(table.size()).isEqualTo(ref.size());
            assertThat(table.full()).isEqualTo(ref.size() >= limit);
        }
        for (Map.Entry<Integer, Integer> e : ref.entrySet()) {
            assertThat(table.get(e.getKey())).isEqualTo(e.getValue());
        }
        List<Integer> values = new ArrayList<>();
        table.forEach(values::add);
        assertThat(values).containsExactlyInAnyOrderElementsOf(ref.values());
    }

    @Property
    void aFullTableStillFindsEveryKeyAndMissesOthers(@ForAll @IntRange(min = 1, max = 256) int limit,
            @ForAll int base, @ForAll @IntRange(min = 1, max = 1 << 16) int stride) {
        GrantRefTable<Integer> table = new GrantRefTable<>(limit);
        for (int i = 0; i < limit; i++) {
            table.put(base + i * stride, i);
        }
        for (int i = 0; i < limit; i++) {
            assertThat(table.get(base + i * stride)).isEqualTo(i);
        }
        assertThat(table.get(base + limit * stride)).isNull();
        assertThat(table.full()).isTrue();
    }
}
